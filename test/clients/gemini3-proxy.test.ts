// The proxy-side behaviour issue 13 asks for, seen from a real `openai` client:
// thought signatures remembered while the proxy runs and the documented
// sentinel after a restart; fields Vertex refuses dropped, other bodies
// forwarded byte for byte; `global` as the default location.

import t from 'tap';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { fakeMetadataEnv } from '../helpers/cli.ts';
import { startDaemon, startDaemonWithFakes } from '../helpers/daemon.ts';
import { REJECTED_BY_VERTEX } from '../helpers/vertex-chat-fields.ts';
import { assertVertexAccepted, chatRequests, startProxy } from './proxy.ts';
import { CLIENT_KEY, FINAL_TEXT, GEMINI_3, MODEL, PROMPT, TOOL_DESCRIPTION, TOOL_NAME, TOOL_PARAMETERS, TOOL_RESULT, toolLoop } from './weather.ts';

const SENTINEL = 'skip_thought_signature_validator';
const TOOLS: ChatCompletionTool[] = [
  { type: 'function', function: { name: TOOL_NAME, description: TOOL_DESCRIPTION, parameters: TOOL_PARAMETERS as unknown as Record<string, unknown> } },
];

function client(url: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
}

/** Asks, then sends the tool result back the way most clients do: the assistant message rebuilt without `extra_content`. */
async function toolTurn(openai: OpenAI, model = GEMINI_3): Promise<{ callId: string; text: string | null }> {
  const question: ChatCompletionMessageParam = { role: 'user', content: PROMPT };
  const first = await openai.chat.completions.create({ model, messages: [question], tools: TOOLS });
  const call = first.choices[0]?.message.tool_calls?.[0];
  if (call?.type !== 'function') throw new Error(`expected a function call, got ${JSON.stringify(first)}`);
  const second = await openai.chat.completions.create({
    model,
    tools: TOOLS,
    messages: [
      question,
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] },
      { role: 'tool', tool_call_id: call.id, content: TOOL_RESULT },
    ],
  });
  return { callId: call.id, text: second.choices[0]?.message.content ?? null };
}

t.test('signatures: remembered while the proxy runs, the sentinel after a restart', async (t) => {
  const first = await startDaemonWithFakes(t);
  first.vertex.chat.script = toolLoop();
  const before = await toolTurn(client(first.url));
  t.equal(before.text, FINAL_TEXT);
  t.equal(first.vertex.chat.followUps[0]?.toolCalls[0]?.signature, first.vertex.chat.signatures.get(before.callId), 'the real signature, put back');

  // The second daemon never saw the first one's answers: the signature can only be the sentinel.
  const signedBeforeRestart = (await toolTurn(client(first.url))).callId;
  await first.stop();
  const second = await startDaemon(t, { env: { ...fakeMetadataEnv(first.metadata.host), VERTEX_BASE_URL: first.vertex.baseUrl } });
  const openai = client(second.url);
  const question: ChatCompletionMessageParam = { role: 'user', content: PROMPT };
  const after = await openai.chat.completions.create({
    model: GEMINI_3,
    tools: TOOLS,
    messages: [
      question,
      { role: 'assistant', content: null, tool_calls: [{ id: signedBeforeRestart, type: 'function', function: { name: TOOL_NAME, arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: signedBeforeRestart, content: TOOL_RESULT },
    ],
  });
  t.equal(after.choices[0]?.message.content, FINAL_TEXT, 'the follow-up is accepted');
  const last = first.vertex.chat.followUps.at(-1);
  t.same(last?.toolCalls.map((call) => call.signature), [SENTINEL], 'it carried the sentinel');
  t.ok(last?.accepted);
});

t.test('a signature the client sends back itself is forwarded untouched', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const openai = client(target().baseURL.replace(/\/v1$/, ''));
  const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: PROMPT }];
  const first = await openai.chat.completions.create({ model: GEMINI_3, messages, tools: TOOLS });
  // The SDK keeps unknown fields of the message it got: sending it back as is keeps the signature.
  messages.push(first.choices[0]?.message as ChatCompletionMessageParam);
  const callId = first.choices[0]?.message.tool_calls?.[0]?.id ?? '';
  messages.push({ role: 'tool', tool_call_id: callId, content: TOOL_RESULT });
  const second = await openai.chat.completions.create({ model: GEMINI_3, messages, tools: TOOLS });
  t.equal(second.choices[0]?.message.content, FINAL_TEXT);
  t.equal(h.vertex.chat.followUps[0]?.toolCalls[0]?.signature, h.vertex.chat.signatures.get(callId));
  assertVertexAccepted(t, h.vertex);
});

t.test('chat with store, metadata, prompt_cache_key succeeds; those keys never reach Vertex', async (t) => {
  const { h, target } = await startProxy(t);
  const openai = client(target().baseURL.replace(/\/v1$/, ''));
  const chat = await openai.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'hi' }],
    store: true,
    metadata: { team: 'a' },
    prompt_cache_key: 'session-1',
  });
  t.equal(chat.choices[0]?.message.content, 'Hello from fake Vertex');
  const [forwarded] = chatRequests(h.vertex);
  for (const key of REJECTED_BY_VERTEX) t.notOk(forwarded && key in forwarded, `${key} never reaches Vertex`);
  assertVertexAccepted(t, h.vertex);
});

t.test('a body without such keys arrives byte for byte', async (t) => {
  const { h, target } = await startProxy(t);
  // Odd spacing, key order and escapes: any re-serialization would show.
  const raw = '{ "messages":[{"content":"h\\u00e9llo","role":"user"}],\n  "model" : "google/gemini-2.5-flash", "temperature":0.50 }';
  const res = await fetch(`${target().baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
    body: raw,
  });
  t.equal(res.status, 200);
  await res.arrayBuffer();
  t.equal(h.vertex.last?.body.toString('utf8'), raw);
});

t.test('no location set: requests go to global', async (t) => {
  const { h, target } = await startProxy(t);
  await client(target().baseURL.replace(/\/v1$/, '')).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
  t.match(h.vertex.last?.url, /\/locations\/global\/endpoints\/openapi\/chat\/completions$/);
});
