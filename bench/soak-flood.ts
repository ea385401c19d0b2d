// The soak's connection floods: sockets that never send a byte and sockets that
// trickle headers, from their own process (flood.ts), while a legitimate client
// keeps sending requests, on a fresh connection each time and on one kept-alive
// connection opened before the flood. The proxy's open descriptors are sampled
// throughout, until they are back where they started.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { join } from 'node:path';
import type { FloodKind, FloodSpec } from './flood.ts';
import { post } from './post.ts';
import { fdCount, sample } from './proc.ts';
import { stop, track, type Upstream } from './processes.ts';
import { spawnProxy } from './proxy-process.ts';
import { BENCH_MODEL } from './protocol.ts';
import { IMAGE_ENV } from './image-settings.ts';
import { PROXY_NODE_ARGS } from './soak-memory.ts';
import { percentile } from './stats.ts';

const PROBE_BODY = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: 'user', content: 'Say hello.' }] });
const PROBE_EVERY_MS = 200;
const FDS_SLACK = 5;

export interface ProbeSummary {
  ok: number;
  failed: number;
  p50Ms: number;
  maxMs: number;
}

export interface FloodRun {
  name: string;
  env: Record<string, string>;
  idle: number;
  trickle: number;
  openMs: number;
  result: Record<'idle' | 'trickle', FloodKind>;
  fdsBefore: number;
  fdsPeak: number;
  /** Seconds from the flood's start until the proxy's descriptors were back within FDS_SLACK of fdsBefore. */
  fdsBackAfterS: number;
  baselineProbeMs: number;
  fresh: ProbeSummary;
  kept: ProbeSummary;
}

function summarize(answers: { status: number; ms: number }[]): ProbeSummary {
  const ok = answers.filter((a) => a.status === 200).map((a) => a.ms).sort((a, b) => a - b);
  return { ok: ok.length, failed: answers.length - ok.length, p50Ms: percentile(ok, 0.5), maxMs: ok.at(-1) ?? Number.NaN };
}

export async function floodRun(upstream: Upstream, name: string, env: Record<string, string>, counts: { idle: number; trickle: number }): Promise<FloodRun> {
  const proxy = await spawnProxy(upstream, `soak-flood-${name}`, 'info', { nodeArgs: PROXY_NODE_ARGS, env: { ...IMAGE_ENV, ...env } });
  const pid = proxy.child.pid as number;
  const url = `${proxy.url}/v1/chat/completions`;
  const kept = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await post(url, PROBE_BODY, { agent: kept });
    const baseline: number[] = [];
    for (let i = 0; i < 20; i++) baseline.push((await post(url, PROBE_BODY)).ms);
    const fdsBefore = fdCount(pid);
    const sampler = sample(pid, 250);

    const spec: FloodSpec = { port: Number(new URL(proxy.url).port), ...counts, trickleEveryMs: 1000, holdMs: 30_000 };
    const child = track(spawn(process.execPath, [join(import.meta.dirname, 'flood.ts'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const lines: string[] = [];
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (part: string) => {
      const split = (partial + part).split('\n');
      partial = split.pop() ?? '';
      lines.push(...split);
    });
    const exited = once(child, 'exit');
    let done = false;
    void exited.then(() => (done = true));

    const fresh: { status: number; ms: number }[] = [];
    const keptAnswers: { status: number; ms: number }[] = [];
    for (let i = 0; !done; i++) {
      const answer = await post(url, PROBE_BODY, { agent: i % 2 === 0 ? false : kept, timeoutMs: 5_000 });
      (i % 2 === 0 ? fresh : keptAnswers).push(answer);
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
    await exited;
    // The descriptors of sockets closed last take a moment to be released.
    const settleUntil = performance.now() + 5_000;
    while (performance.now() < settleUntil && fdCount(pid) > fdsBefore + FDS_SLACK) await new Promise((r) => setTimeout(r, 250));
    const samples = sampler.stop();
    const peakAt = samples.reduce((best, s) => (s.fds > best.fds ? s : best), samples[0] ?? { t: 0, fds: fdsBefore, rssMb: 0 });
    const back = samples.find((s) => s.t > peakAt.t && s.fds <= fdsBefore + FDS_SLACK);
    const parsed = lines.map((l) => JSON.parse(l) as { event?: string; ms?: number; idle?: FloodKind; trickle?: FloodKind });
    const result = parsed.find((p) => p.idle !== undefined) as Record<'idle' | 'trickle', FloodKind> | undefined;
    if (!result) throw new Error(`bench/flood.ts ended without a result`);
    return {
      name,
      env,
      ...counts,
      openMs: parsed.find((p) => p.event === 'open')?.ms ?? Number.NaN,
      result,
      fdsBefore,
      fdsPeak: peakAt.fds,
      fdsBackAfterS: back?.t ?? Number.NaN,
      baselineProbeMs: percentile(baseline.sort((a, b) => a - b), 0.5),
      fresh: summarize(fresh),
      kept: summarize(keptAnswers),
    };
  } finally {
    kept.destroy();
    await stop(proxy.child);
  }
}
