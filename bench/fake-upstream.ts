// The benchmark's stand-in for Google, run in its own process (forked by
// run.ts): a GCE metadata server that issues tokens with a real lifetime, and a
// lean Vertex chat endpoint that accepts only those tokens while they are
// unexpired. It logs nothing; run.ts asks for counters over IPC. For the soak
// (soak.ts) it also answers with errors, a gzip bomb, and large bodies.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipBomb } from './bomb.ts';
import { chunk, completion } from '../test/helpers/fake-vertex.ts';
import { EMAIL_PATH, PROJECT_PATH, TOKEN_PATH } from '../test/helpers/fake-metadata.ts';
import { BENCH_MODEL, BENCH_PROJECT, VERTEX_CHAT_PATH, type Command, type UpstreamReady, type UpstreamStats } from './protocol.ts';

/** Answers are shaped by the request body, so every path under test gets the same answer. */
interface StreamShape {
  bench_chunks?: number;
  bench_interval_ms?: number;
  /** Answer this error status instead, with a Google-shaped body (429 also with Retry-After). */
  bench_status?: number;
  /** With bench_status: the error body is a gzip bomb (bomb.ts). */
  bench_gzip_bomb?: boolean;
  stream?: boolean;
  messages?: { content?: unknown }[];
}

// A translated (Responses API) request reaches us without the bench_* keys, which
// the translation does not carry: its prompt spells the shape out instead.
const SHAPE_IN_PROMPT = /bench_chunks=(\d+) bench_interval_ms=(\d+)/;

function streamShape(body: StreamShape): [chunks: number, intervalMs: number] {
  if (body.bench_chunks !== undefined) return [body.bench_chunks, body.bench_interval_ms ?? 150];
  const prompt = body.messages?.at(-1)?.content;
  const match = typeof prompt === 'string' ? SHAPE_IN_PROMPT.exec(prompt) : null;
  return match ? [Number(match[1]), Number(match[2])] : [20, 150];
}

/**
 * Bodies above this are not parsed (a 31 MB JSON.parse would cost this process
 * a gigabyte) and get the plain answer after LARGE_BODY_HOLD_MS, as a model
 * reading a large image takes a while; so large requests overlap in the proxy.
 */
const PARSED_BODY_LIMIT = 1024 * 1024;
const LARGE_BODY_HOLD_MS = 1000;

const BOMB = gzipBomb();

const COMPLETION_BYTES = Buffer.from(JSON.stringify(completion(BENCH_MODEL)));
const DONE = Buffer.from('data: [DONE]\n\n');
const chunkBytes: Buffer[] = [];

function sseChunk(index: number): Buffer {
  return (chunkBytes[index] ??= Buffer.from(`data: ${JSON.stringify(chunk(BENCH_MODEL, `part${index} `))}\n\n`));
}

const tokens = new Map<string, number>();
const stats: UpstreamStats = { tokenFetches: 0, fetchTimes: [], chatRequests: 0, expiredTokens: 0, unknownTokens: 0, largeBodies: 0 };
let lifetimeSeconds = 3600;
let sequence = 0;

function unauthorized(res: ServerResponse): void {
  const body = JSON.stringify({ error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
  res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function tokenIsLive(authorization: string | undefined): boolean {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  const expiresAt = tokens.get(token);
  if (expiresAt === undefined) {
    stats.unknownTokens++;
    return false;
  }
  if (Date.now() >= expiresAt) {
    stats.expiredTokens++;
    return false;
  }
  return true;
}

function vertex(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== VERTEX_CHAT_PATH) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    stats.chatRequests++;
    if (!tokenIsLive(req.headers.authorization)) return unauthorized(res);
    const body = Buffer.concat(parts);
    if (body.length > PARSED_BODY_LIMIT) {
      stats.largeBodies++;
      return void setTimeout(() => completed(res), LARGE_BODY_HOLD_MS);
    }
    const shape = JSON.parse(body.toString('utf8')) as StreamShape;
    if (shape.bench_status) return failed(res, shape.bench_status, shape.bench_gzip_bomb === true);
    if (shape.stream) return stream(res, ...streamShape(shape));
    completed(res);
  });
}

function completed(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': COMPLETION_BYTES.length }).end(COMPLETION_BYTES);
}

function failed(res: ServerResponse, status: number, bomb: boolean): void {
  if (bomb) {
    res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': BOMB.length }).end(BOMB);
    return;
  }
  const body = JSON.stringify({ error: { code: status, message: `bench error ${status}`, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL' } });
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(status === 429 ? { 'retry-after': '1' } : {}) };
  res.writeHead(status, headers).end(body);
}

/** Chunk i goes out at start + i × interval (no drift), then [DONE] one interval after the last. */
function stream(res: ServerResponse, chunks: number, intervalMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const start = Date.now();
  let index = 0;
  const send = (): void => {
    if (res.destroyed) return;
    if (index === chunks) return void res.end(DONE);
    res.write(sseChunk(index++));
    setTimeout(send, Math.max(0, start + index * intervalMs - Date.now()));
  };
  send();
}

function metadata(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Metadata-Flavor', 'Google');
  if (req.headers['metadata-flavor'] !== 'Google') return void res.writeHead(403).end();
  const path = (req.url ?? '').split('?', 1)[0];
  if (path === PROJECT_PATH) return void res.writeHead(200, { 'content-type': 'application/text' }).end(BENCH_PROJECT);
  if (path === EMAIL_PATH) return void res.writeHead(200, { 'content-type': 'application/text' }).end('bench@bench-project.iam.gserviceaccount.com');
  if (path !== TOKEN_PATH) return void res.writeHead(404).end();
  const now = Date.now();
  const token = `ya29.bench-${++sequence}`;
  tokens.set(token, now + lifetimeSeconds * 1000);
  stats.tokenFetches++;
  stats.fetchTimes.push(now);
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ access_token: token, expires_in: lifetimeSeconds, token_type: 'Bearer' }));
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    // A deep accept queue: 1000 streams connect at once.
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve((server.address() as AddressInfo).port));
  });
}

async function main(): Promise<void> {
  const vertexServer = createServer(vertex);
  vertexServer.keepAliveTimeout = 60_000;
  const metadataServer = createServer(metadata);
  const [vertexPort, metadataPort] = await Promise.all([listen(vertexServer), listen(metadataServer)]);
  process.on('message', (command: Command) => {
    if (command.type === 'lifetime') lifetimeSeconds = command.seconds;
    process.send?.({ id: command.id, ...(command.type === 'stats' ? { stats } : {}) });
  });
  process.on('disconnect', () => process.exit(0));
  const ready: UpstreamReady = { type: 'ready', vertexUrl: `http://127.0.0.1:${vertexPort}`, metadataHost: `127.0.0.1:${metadataPort}` };
  process.send?.(ready);
}

void main();
