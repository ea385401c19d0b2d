// Mixed traffic for the soak, in its own process: plain chat, SSE streams with
// delays, clients that abort mid-stream, upstream 429 and 500 answers, and bodies
// the proxy must refuse itself. Every answer is checked against what that kind
// must get; anything else is counted as unexpected, with a few examples. Prints
// one JSON line at the end.
//
// Usage: node bench/soak-traffic.ts '<json TrafficSpec>'

import { Agent, request } from 'node:http';
import { errorCode, post } from './post.ts';
import { BENCH_MODEL } from './protocol.ts';

export interface TrafficSpec {
  url: string;
  seconds: number;
  chatLoops: number;
  streamLoops: number;
  abortLoops: number;
  streamChunks: number;
  streamIntervalMs: number;
}

export interface KindCount {
  sent: number;
  unexpected: number;
  examples: string[];
}

export type TrafficResult = Record<string, KindCount>;

const spec = JSON.parse(process.argv[2] ?? '{}') as TrafficSpec;
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const result: TrafficResult = {};
const endAt = performance.now() + spec.seconds * 1000;
const TIMEOUT_MS = 30_000;
const messages = [{ role: 'user', content: 'Say hello.' }];

/** undefined: as expected; otherwise what was wrong. */
type Check = Promise<string | undefined>;

function streamOnce(abortAfterEvents?: number): Check {
  const body = JSON.stringify({ model: BENCH_MODEL, stream: true, messages, bench_chunks: spec.streamChunks, bench_interval_ms: spec.streamIntervalMs });
  return new Promise((resolve) => {
    const req = request(spec.url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => {
        text += part;
        if (abortAfterEvents !== undefined && text.split('\n\n').length - 1 >= abortAfterEvents) {
          req.destroy();
          resolve(res.statusCode === 200 ? undefined : `status ${res.statusCode}`);
        }
      });
      res.on('end', () => {
        const events = text.split('\n\n').length - 1;
        const whole = res.statusCode === 200 && events === spec.streamChunks + 1 && text.endsWith('data: [DONE]\n\n');
        resolve(whole && abortAfterEvents === undefined ? undefined : `status ${res.statusCode}, ${events} events${abortAfterEvents ? ' (ended before the abort)' : ''}`);
      });
      res.on('error', (err) => resolve(`response error ${err.message}`));
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve(`request error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    req.end(body);
  });
}

/** A request whose answer must have `status` and, for errors, an OpenAI-shaped body with `code` (any code when undefined). */
async function expect(body: string, status: number, code?: string, contentType = 'application/json'): Check {
  const answer = await post(spec.url, body, { agent, headers: { 'content-type': contentType }, timeoutMs: TIMEOUT_MS });
  if (answer.status !== status) return `status ${answer.status} ${answer.error ?? answer.text.slice(0, 160)}`;
  if (status === 200) return answer.text.includes('"choices"') ? undefined : `200 without choices: ${answer.text.slice(0, 160)}`;
  const got = errorCode(answer.text);
  if (got === undefined) return `${status} not OpenAI-shaped: ${answer.text.slice(0, 160)}`;
  return code === undefined || got === code ? undefined : `${status} with code ${got}`;
}

const chat = JSON.stringify({ model: BENCH_MODEL, messages, max_tokens: 16 });
const upstreamError = (status: number) => JSON.stringify({ model: BENCH_MODEL, messages, bench_status: status });
const KINDS: Record<string, () => Check> = {
  chat: () => expect(chat, 200),
  stream: () => streamOnce(),
  abort: () => streamOnce(3),
  upstream_429: () => expect(upstreamError(429), 429),
  upstream_500: () => expect(upstreamError(500), 500),
  invalid_json: () => expect(`{"model":${JSON.stringify(BENCH_MODEL)},"messages":[`, 400, 'invalid_json'),
  duplicate_model: () => expect(`{"model":"a","model":${JSON.stringify(BENCH_MODEL)},"messages":[]}`, 400, 'invalid_request_body'),
  not_json: () => expect(chat, 415, undefined, 'text/plain'),
};

async function loop(kinds: string[], pauseMs: number): Promise<void> {
  for (let i = 0; performance.now() < endAt; i++) {
    const kind = kinds[i % kinds.length] as string;
    const count = (result[kind] ??= { sent: 0, unexpected: 0, examples: [] });
    count.sent++;
    const problem = await (KINDS[kind] as () => Check)();
    if (problem !== undefined) {
      count.unexpected++;
      if (count.examples.length < 3) count.examples.push(problem);
    }
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

await Promise.all([
  ...Array.from({ length: spec.chatLoops }, () => loop(['chat'], 20)),
  ...Array.from({ length: spec.streamLoops }, () => loop(['stream'], 0)),
  ...Array.from({ length: spec.abortLoops }, () => loop(['abort'], 100)),
  loop(['upstream_429', 'upstream_500'], 50),
  loop(['invalid_json', 'duplicate_model', 'not_json'], 50),
]);
agent.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
