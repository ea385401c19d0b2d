// A recording stand-in for api.openai.com on loopback: it plays the Responses
// API (create, streamed or not; retrieve; delete) and Chat Completions with
// answers from a script, and records every request exactly as the client sent
// it, credentials replaced by a placeholder. What it records becomes the
// fixtures under test/fixtures/clients/.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackServer } from '../helpers/loopback.ts';
import { chatChunks, chatCompletion, sendJson, withIds, writeSse, type ScriptedAnswer } from '../helpers/chat-answers.ts';
import { outputItems, responseEvents, responseObject, writeResponseEvents } from './responses-answers.ts';
import { toolLoop } from './weather.ts';

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; null when empty. */
  readonly body: unknown;
}

export type Script = (body: Record<string, unknown>, api: 'responses' | 'chat') => ScriptedAnswer;

export const CREDENTIAL = '<credential>';
const SECRET_HEADER = /authorization|api-key|token|secret|cookie/i;

/** Headers as sent, lower-case, with credentials and the random port replaced. */
export function sanitizeHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    if (name === 'authorization') out[name] = text.replace(/^(\w+) .*/, `$1 ${CREDENTIAL}`);
    else if (SECRET_HEADER.test(name)) out[name] = CREDENTIAL;
    else if (name === 'host') out[name] = text.replace(/:\d+$/, ':<port>');
    else out[name] = text;
  }
  return out;
}

export class Recorder extends LoopbackServer {
  readonly calls: RecordedCall[] = [];
  script: Script = toolLoop();
  readonly #responses = new Map<string, ReturnType<typeof responseObject>>();
  #ids = 0;

  constructor() {
    super(createServer());
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  #nextId = (): string => `${++this.#ids}`.padStart(4, '0');

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text.length ? text : null;
    try {
      if (text.length) body = JSON.parse(text);
    } catch {
      // kept as text: the fixture shows what was really sent
    }
    const path = req.url ?? '';
    this.calls.push({ method: req.method ?? '', path, headers: sanitizeHeaders(req.headers), body });
    const json = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const route = path.split('?', 1)[0] ?? '';
    const stored = /\/responses\/([^/]+)$/.exec(route)?.[1];

    if (req.method === 'POST' && route.endsWith('/responses')) return this.#respond(res, json);
    if (req.method === 'POST' && route.endsWith('/chat/completions')) return this.#chat(res, json);
    if (req.method === 'GET' && stored && this.#responses.has(stored)) return sendJson(res, 200, this.#responses.get(stored));
    if (req.method === 'DELETE' && stored && this.#responses.delete(stored)) {
      return sendJson(res, 200, { id: stored, object: 'response', deleted: true });
    }
    if (req.method === 'GET' && route.endsWith('/models')) return sendJson(res, 200, { object: 'list', data: [] });
    sendJson(res, 404, { error: { message: `No route ${req.method} ${route}`, type: 'invalid_request_error', code: null, param: null } });
  }

  #respond(res: ServerResponse, body: Record<string, unknown>): void {
    const answer = withIds(this.script(body, 'responses'), () => `call_${this.#nextId()}`);
    const response = responseObject(`resp_${this.#nextId()}`, body, outputItems(answer, this.#nextId), 'completed');
    if (body.store !== false) this.#responses.set(response.id, response);
    if (body.stream === true) return writeResponseEvents(res, responseEvents(response));
    sendJson(res, 200, response);
  }

  async #chat(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const answer = withIds(this.script(body, 'chat'), () => `call_${this.#nextId()}`);
    const model = String(body.model ?? 'gpt-test');
    if (body.stream !== true) return sendJson(res, 200, chatCompletion(model, answer));
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    await writeSse(res, chatChunks(model, answer, { includeUsage }));
  }
}

export async function startRecorder(): Promise<Recorder> {
  return new Recorder().listen();
}
