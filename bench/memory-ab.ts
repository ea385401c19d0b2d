// Peak memory of one process during 1000 concurrent streams, split into
// anonymous and file-backed pages (the node binary's), round after round: for
// trying memory settings quickly. The full comparison is `npm run bench`.
//
// Usage: node bench/memory-ab.ts [rounds]
//   NODE_ARGS   node options for the measured process (default: the image's, --max-semi-space-size=8)
//   PROXY_ENV   extra environment for the proxy, as JSON (e.g. '{"MALLOC_ARENA_MAX":"2"}')
//   FLOOR=1     measure the stack alone (bench/floor/stack.ts) instead of the proxy

import { statusMb } from './proc.ts';
import { resetPeakRss, runChild, spawnFloor, spawnProxy, stop, Upstream } from './processes.ts';
import { BENCH_MODEL } from './protocol.ts';
import { SEMI_SPACE_OPTION } from './report.ts';
import type { StreamResult } from './streams.ts';

const rounds = Number(process.argv[2] ?? 2);
const nodeArgs = (process.env.NODE_ARGS ?? SEMI_SPACE_OPTION).split(' ').filter(Boolean);
const env = process.env.PROXY_ENV ? (JSON.parse(process.env.PROXY_ENV) as NodeJS.ProcessEnv) : {};

interface Memory {
  peakMb: number;
  anonMb: number;
  fileMb: number;
}

function memoryOf(pid: number): Memory {
  return { peakMb: statusMb(pid, 'VmHWM'), anonMb: statusMb(pid, 'RssAnon'), fileMb: statusMb(pid, 'RssFile') };
}

const upstream = await Upstream.start();
const measured = process.env.FLOOR
  ? await spawnFloor('stack', upstream, await upstream.issueToken(), nodeArgs)
  : await spawnProxy(upstream, 'memory-ab', 'info', { nodeArgs, env });
const pid = measured.child.pid as number;
await new Promise((resolve) => setTimeout(resolve, 500));
const idle = memoryOf(pid);
process.stdout.write(`idle: ${idle.peakMb.toFixed(1)} MB (anonymous ${idle.anonMb.toFixed(1)}, file-backed ${idle.fileMb.toFixed(1)})\n`);
for (let round = 0; round < rounds; round++) {
  resetPeakRss(pid);
  // VmHWM has no anonymous/file split: sample the anonymous part.
  let peakAnonMb = 0;
  const sampler = setInterval(() => (peakAnonMb = Math.max(peakAnonMb, memoryOf(pid).anonMb)), 20);
  const url = `${measured.url}/v1/chat/completions`;
  const spec = { mode: 'concurrent', api: 'chat', url, headers: { 'content-type': 'application/json' }, count: 1000, chunks: 20, intervalMs: 150, model: BENCH_MODEL };
  const result = await runChild<StreamResult>('streams.ts', spec);
  clearInterval(sampler);
  const after = memoryOf(pid);
  process.stdout.write(
    `round ${round}: ${result.complete}/1000 complete in ${(result.wallMs / 1000).toFixed(1)} s; peak RSS ${after.peakMb.toFixed(1)} MB, peak anonymous ${peakAnonMb.toFixed(1)} MB (sampled)\n`,
  );
}
await stop(measured.child);
await stop(upstream.child);
