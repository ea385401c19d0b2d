// What the client end-to-end tests share: the real proxy on a loopback port in
// front of the fake Vertex (test/helpers/harness.ts), the reasons a test waits
// for a feature, and the checks every test makes on what reached the fake.

import type { Test } from 'tap';
import { startHarness, type Harness, type HarnessOptions } from '../helpers/harness.ts';
import { VERTEX_CHAT_FIELDS } from '../helpers/vertex-chat-fields.ts';
import type { FakeVertex } from '../helpers/fake-vertex.ts';
import type { Target } from './drive-openai.ts';
import { MODEL } from './weather.ts';


export interface Proxy {
  readonly h: Harness;
  /** The proxy's /v1 base URL with a model, as a client is configured. */
  target(model?: string): Target;
}

export async function startProxy(t: Test, options: HarnessOptions = {}): Promise<Proxy> {
  const h = await startHarness(t, options);
  const url = await h.listen();
  return { h, target: (model = MODEL) => ({ baseURL: `${url}/v1`, model }) };
}

export type ChatRequest = Record<string, unknown> & { model?: string; messages?: ChatMessage[]; stream?: boolean };
export type ChatMessage = {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
};

/** The chat requests that reached the fake Vertex, parsed. */
export function chatRequests(vertex: FakeVertex): ChatRequest[] {
  return vertex.requests
    .filter((request) => request.url.split('?', 1)[0]?.endsWith('/chat/completions'))
    .map((request) => JSON.parse(request.body.toString('utf8')) as ChatRequest);
}

/** A message's text, whether content is a string or a list of parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

/** Nothing reached the fake that Vertex would refuse: no 400 from it, only fields it knows. */
export function assertVertexAccepted(t: Test, vertex: FakeVertex): void {
  t.same(
    vertex.chat.rejections.map((r) => r.message),
    [],
    'the fake Vertex refused nothing',
  );
  for (const body of chatRequests(vertex)) {
    const unknown = Object.keys(body).filter((key) => !VERTEX_CHAT_FIELDS.has(key));
    t.same(unknown, [], `only fields Vertex knows reach it (${Object.keys(body).join(', ')})`);
  }
}

/** Every follow-up reached the fake with the signature it handed out for that call, not the sentinel. */
export function assertSignaturesCarried(t: Test, vertex: FakeVertex): void {
  t.ok(vertex.chat.followUps.length > 0, 'a follow-up with tool calls reached the fake');
  for (const followUp of vertex.chat.followUps) {
    t.ok(followUp.accepted, 'the fake accepted the follow-up');
    const first = followUp.toolCalls[0];
    t.ok(first && vertex.chat.signatures.has(first.id), `the tool call id ${first?.id} is one the fake handed out`);
    t.equal(first?.signature, vertex.chat.signatures.get(first?.id ?? ''), 'it carries the real signature, not the sentinel');
  }
}
