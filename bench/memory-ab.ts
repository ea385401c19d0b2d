// Peak memory of the proxy and of the stack alone during 1000 concurrent
// streams, split into anonymous and file-backed pages (the node binary's), in
// interleaved rounds after a chat warm-up, both with the same settings: for
// trying memory settings quickly. The full comparison is `npm run bench`.
//
// Usage: node bench/memory-ab.ts [rounds] [warm-up seconds]
//   NODE_ARGS   node options for both processes (default: the image's)
//   PROXY_ENV   environment added for both, as JSON, in place of the image's (default: the image's)
//   FRESH=1     start both processes anew for every round: each round is then the
//               first burst after a warm-up, the worst case, and spreads less than
//               back-to-back bursts of one process, whose garbage waits for V8's next full collection

import type { ChildProcess } from 'node:child_process';
import { spawnFloor } from './floor-process.ts';
import { resetPeakRss, statusMb } from './proc.ts';
import { chatLoad, runChild, stop, Upstream } from './processes.ts';
import { spawnProxy } from './proxy-process.ts';
import { BENCH_MODEL } from './protocol.ts';
import { IMAGE_ENV, IMAGE_NODE_ARGS } from './image-settings.ts';
import type { StreamResult } from './streams.ts';

const rounds = Number(process.argv[2] ?? 3);
const warmSeconds = Number(process.argv[3] ?? 5);
const nodeArgs = process.env.NODE_ARGS === undefined ? [...IMAGE_NODE_ARGS] : process.env.NODE_ARGS.split(' ').filter(Boolean);
const env = process.env.PROXY_ENV ? (JSON.parse(process.env.PROXY_ENV) as NodeJS.ProcessEnv) : IMAGE_ENV;
const fresh = process.env.FRESH === '1';

interface Measured {
  name: string;
  url: string;
  child: ChildProcess;
}

function memoryOf(pid: number): string {
  const mb = (field: string) => statusMb(pid, field).toFixed(1);
  return `${mb('VmHWM')} MB (anonymous ${mb('RssAnon')}, file-backed ${mb('RssFile')})`;
}

async function warm({ url }: Measured): Promise<void> {
  await chatLoad(`${url}/v1/chat/completions`, {}, [], 16, warmSeconds);
}

async function streamRound({ url, child }: Measured): Promise<string> {
  const pid = child.pid as number;
  resetPeakRss(pid);
  // VmHWM has no anonymous/file split: sample the anonymous part.
  let peakAnonMb = 0;
  const sampler = setInterval(() => (peakAnonMb = Math.max(peakAnonMb, statusMb(pid, 'RssAnon'))), 20);
  const spec = { mode: 'concurrent', api: 'chat', url: `${url}/v1/chat/completions`, headers: { 'content-type': 'application/json' }, count: 1000, chunks: 20, intervalMs: 150, model: BENCH_MODEL };
  const result = await runChild<StreamResult>('streams.ts', spec);
  clearInterval(sampler);
  const peak = `peak RSS ${statusMb(pid, 'VmHWM').toFixed(1)} MB, peak anonymous ${peakAnonMb.toFixed(1)} MB (sampled)`;
  return `${result.complete}/1000 complete in ${(result.wallMs / 1000).toFixed(1)} s; ${peak}`;
}

async function start(upstream: Upstream): Promise<Measured[]> {
  const floor = await spawnFloor('stack', upstream, await upstream.issueToken(), nodeArgs, env);
  const proxy = await spawnProxy(upstream, 'memory-ab', 'info', { nodeArgs, env });
  const measured: Measured[] = [
    { name: 'proxy', ...proxy },
    { name: 'stack', ...floor },
  ];
  for (const m of measured) process.stdout.write(`${m.name} idle: ${memoryOf(m.child.pid as number)}\n`);
  for (const m of measured) await warm(m);
  return measured;
}

const upstream = await Upstream.start();
process.stdout.write(`settings: ${nodeArgs.join(' ')} ${JSON.stringify(env)}${fresh ? ', fresh processes every round' : ''}\n`);
let measured = await start(upstream);
for (let round = 0; round < rounds; round++) {
  if (fresh && round > 0) {
    for (const m of measured) await stop(m.child);
    measured = await start(upstream);
  }
  for (const m of measured) process.stdout.write(`${m.name} round ${round}: ${await streamRound(m)}\n`);
}
for (const m of measured) await stop(m.child);
await stop(upstream.child);
