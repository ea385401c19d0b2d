// Stream client process: opens SSE streams — Chat Completions, or the
// Responses API that the proxy translates — and checks each one arrives whole.
// Two modes:
//   concurrent: `count` streams at once; wall time from the first request to
//               the last [DONE], and how many arrived complete.
//   sequential: `count` streams one after another on a kept-alive connection;
//               time to the first body byte of each (an idle proxy's own delay;
//               for the Responses API, its first event).
// autocannon cannot verify a stream's chunks or time its first byte, hence this.
//
// Usage: node bench/streams.ts '<json StreamSpec>'

import { Agent, request } from 'node:http';
import { percentile } from './stats.ts';

export interface StreamSpec {
  mode: 'concurrent' | 'sequential';
  /** `chat`: POST …/chat/completions; `responses`: POST …/responses, translated by the proxy. Default chat. */
  api?: 'chat' | 'responses';
  url: string;
  headers: Record<string, string>;
  count: number;
  chunks: number;
  intervalMs: number;
  model: string;
}

export interface StreamResult {
  complete: number;
  failed: number;
  wallMs: number;
  ttfbP50Ms: number;
  ttfbP99Ms: number;
  firstError?: string;
}

interface OneStream {
  ok: boolean;
  ttfbMs: number;
  error?: string;
}

function openStream(spec: StreamSpec, agent: Agent, body: string): Promise<OneStream> {
  return new Promise((resolve) => {
    const started = performance.now();
    let ttfbMs = Number.NaN;
    let text = '';
    const req = request(spec.url, { method: 'POST', agent, headers: { ...spec.headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (part: string) => {
        if (Number.isNaN(ttfbMs)) ttfbMs = performance.now() - started;
        text += part;
      });
      res.on('end', () => {
        const error = res.statusCode === 200 ? incomplete(spec, text) : `status ${res.statusCode}`;
        resolve({ ok: error === undefined, ttfbMs, ...(error === undefined ? {} : { error }) });
      });
      res.on('error', (err) => resolve({ ok: false, ttfbMs, error: err.message }));
    });
    req.on('error', (err) => resolve({ ok: false, ttfbMs, error: err.message }));
    req.end(body);
  });
}

/** Why a stream's body is not whole; undefined when it is. */
function incomplete(spec: StreamSpec, text: string): string | undefined {
  const events = text.split('\n\n').length - 1;
  if (spec.api === 'responses') {
    const deltas = text.split('event: response.output_text.delta\n').length - 1;
    const done = text.includes('event: response.completed\n');
    return deltas === spec.chunks && done ? undefined : `${deltas} of ${spec.chunks} text deltas, ${done ? '' : 'no '}response.completed`;
  }
  return events === spec.chunks + 1 && text.endsWith('data: [DONE]\n\n') ? undefined : `${events} of ${spec.chunks + 1} events`;
}

function requestBody(spec: StreamSpec): string {
  if (spec.api === 'responses') {
    // The translation carries no unknown keys upstream, so the prompt tells the fake upstream the stream's shape.
    return JSON.stringify({ model: spec.model, stream: true, input: `bench_chunks=${spec.chunks} bench_interval_ms=${spec.intervalMs}` });
  }
  return JSON.stringify({
    model: spec.model,
    stream: true,
    messages: [{ role: 'user', content: 'Say hello.' }],
    bench_chunks: spec.chunks,
    bench_interval_ms: spec.intervalMs,
  });
}

async function run(spec: StreamSpec): Promise<StreamResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const body = requestBody(spec);
  const started = performance.now();
  const results: OneStream[] = [];
  if (spec.mode === 'concurrent') {
    results.push(...(await Promise.all(Array.from({ length: spec.count }, () => openStream(spec, agent, body)))));
  } else {
    for (let i = 0; i < spec.count; i++) results.push(await openStream(spec, agent, body));
  }
  const wallMs = performance.now() - started;
  agent.destroy();
  const ttfbs = results.map((r) => r.ttfbMs).filter((ms) => !Number.isNaN(ms)).sort((a, b) => a - b);
  const firstError = results.find((r) => !r.ok)?.error;
  return {
    complete: results.filter((r) => r.ok).length,
    failed: results.filter((r) => !r.ok).length,
    wallMs,
    ttfbP50Ms: percentile(ttfbs, 0.5),
    ttfbP99Ms: percentile(ttfbs, 0.99),
    ...(firstError ? { firstError } : {}),
  };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as StreamSpec;
process.stdout.write(`${JSON.stringify(await run(spec))}\n`);
