// A fake Vertex AI OpenAI-compatible endpoint on loopback. It checks the bearer
// token, records every request, and answers chat (plain and SSE, with delays),
// completions and embeddings. Tests queue raw answers with `next()` and scripted
// chat answers (text or tool calls, streamed or not as the request asks) with
// `chat.queue()` / `chat.script`. Like Vertex it refuses chat fields it does
// not know, and for Gemini 3 models it hands out thought signatures and refuses
// a follow-up that drops them (vertex-chat.ts).

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { sendJson } from './chat-answers.ts';
import { LoopbackServer } from './loopback.ts';
import { VertexChat, type ChatBody, type VertexChatOptions } from './vertex-chat.ts';

export { sendJson };

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A one-off answer; returns true when it handled the response. */
export type Responder = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void | Promise<void>;

export interface FakeVertexOptions extends VertexChatOptions {
  /** Accepts a bearer token; default: any non-empty token. */
  isValidToken?: (token: string) => boolean;
  /** Serve HTTPS with the self-signed fixture certificate. */
  tls?: boolean;
  /** Delay between SSE chunks. */
  chunkDelayMs?: number;
  /** Number of content chunks in a stream. */
  chunks?: number;
  /** Headers every answer carries, queued ones too, as Google's front end adds `alt-svc` to each. */
  answerHeaders?: Record<string, string | string[]>;
}

export const FIXTURE_CERT = readFileSync(new URL('../fixtures/self-signed-cert.pem', import.meta.url));
const FIXTURE_KEY = readFileSync(new URL('../fixtures/self-signed-key.pem', import.meta.url));

export class FakeVertex extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  readonly tls: boolean;
  isValidToken: (token: string) => boolean;
  chunkDelayMs: number;
  chunks: number;
  answerHeaders: Record<string, string | string[]>;
  /** Requests whose client went away before the answer was complete. */
  aborted = 0;
  /** Requests currently being answered. */
  inFlight = 0;
  /** Requests refused with 401 because `isValidToken` rejected their bearer token. */
  unauthorized = 0;
  /** Chat behaviour: strict fields, Gemini 3 signatures, scripted answers, and what it saw. */
  readonly chat: VertexChat;
  readonly #queue: Responder[] = [];

  constructor(options: FakeVertexOptions = {}) {
    const tls = options.tls ?? false;
    super(tls ? createHttpsServer({ cert: FIXTURE_CERT, key: FIXTURE_KEY }) : createServer());
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.tls = tls;
    this.isValidToken = options.isValidToken ?? ((token) => token.length > 0);
    this.chunkDelayMs = options.chunkDelayMs ?? 5;
    this.chunks = options.chunks ?? 3;
    this.answerHeaders = options.answerHeaders ?? {};
    this.chat = new VertexChat(options);
  }

  get baseUrl(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get last(): RecordedRequest | undefined {
    return this.requests.at(-1);
  }

  /** Answer the next request with `responder` instead of the default. */
  next(responder: Responder): this {
    this.#queue.push(responder);
    return this;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      // The caller cut its request before the whole body came (an abort): no one to answer.
      return;
    }
    const body = Buffer.concat(chunks);
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    this.inFlight++;
    res.on('close', () => {
      this.inFlight--;
      if (!res.writableFinished) this.aborted++;
    });

    // Set before any writeHead, which adds its own headers to these.
    for (const [name, value] of Object.entries(this.answerHeaders)) res.setHeader(name, value);
    const queued = this.#queue.shift();
    if (queued) return void (await queued(req, body, res));

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.isValidToken(token)) {
      this.unauthorized++;
      return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    let json: ChatBody;
    try {
      json = JSON.parse(body.toString('utf8') || '{}') as ChatBody;
      if (!json || typeof json !== 'object' || Array.isArray(json)) throw new TypeError('not an object');
    } catch {
      const error = { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } };
      return this.chat.reject(res, 'invalid-json', body, error);
    }
    if (path.endsWith('/embeddings')) return sendJson(res, 200, embedding(json.model));
    if (path.endsWith('/chat/completions')) {
      const fallback = () => (json.stream ? this.#stream(res, json.model) : sendJson(res, 200, completion(json.model)));
      return this.chat.answer(res, json, body, this.chunkDelayMs, fallback);
    }
    if (path.endsWith('/completions') && json.stream) return this.#stream(res, json.model);
    if (path.endsWith('/completions')) return sendJson(res, 200, completion(json.model));
    googleError(res, 404, 'NOT_FOUND', `No route ${path}`);
  }

  async #stream(res: ServerResponse, model = 'google/gemini-2.5-flash'): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < this.chunks && !res.destroyed; i++) {
      res.write(`data: ${JSON.stringify(chunk(model, `part${i} `))}\n\n`);
      await sleep(this.chunkDelayMs);
    }
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function googleError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code: status, message, status: code } }, headers);
}

export function completion(model = 'google/gemini-2.5-flash') {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from fake Vertex' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  };
}

export function chunk(model: string, content: string) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }],
  };
}

export function embedding(model = 'text-embedding-005') {
  return {
    object: 'list',
    model,
    data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }],
    usage: { prompt_tokens: 2, total_tokens: 2 },
  };
}

export async function startFakeVertex(options: FakeVertexOptions = {}): Promise<FakeVertex> {
  return new FakeVertex(options).listen();
}
