// Profiles the proxy under load: starts the fake upstream and `node --cpu-prof
// dist/cli.js`, sends non-streaming chat (or streams) at it, stops it, and prints
// the functions with the most self time. The .cpuprofile file opens in Chrome
// DevTools or speedscope for a flame graph.
//
// With --floor, profiles the stack alone (bench/floor/stack.ts) instead, for comparison.
//
// Usage: node bench/profile.ts [--streams] [--floor] [--seconds N] [--connections N] [--log-level info|warn]

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadResult } from './load.ts';
import { spawnFloor } from './floor-process.ts';
import { runChild, stop, Upstream, workDir } from './processes.ts';
import { spawnProxy } from './proxy-process.ts';
import { BENCH_MODEL } from './protocol.ts';
import type { StreamResult } from './streams.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values } = parseArgs({
  options: { streams: { type: 'boolean' }, floor: { type: 'boolean' }, seconds: { type: 'string', default: '8' }, connections: { type: 'string', default: '16' }, 'log-level': { type: 'string', default: 'info' } },
});

const profileDir = join(workDir, 'profile');
const upstream = await Upstream.start();
const profileArgs = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
const proxy = values.floor
  ? await spawnFloor('stack', upstream, await upstream.issueToken(), profileArgs)
  : await spawnProxy(upstream, 'proxy-profile', values['log-level'] as string, { nodeArgs: profileArgs });
const url = `${proxy.url}/v1/chat/completions`;
const headers = { 'content-type': 'application/json' };
if (values.streams) {
  const result = await runChild<StreamResult>('streams.ts', { mode: 'concurrent', url, headers, count: 1000, chunks: 20, intervalMs: 150, model: BENCH_MODEL });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const body = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: 'user', content: 'Say hello.' }] });
  const result = await runChild<LoadResult>('load.ts', { url, headers, body, connections: Number(values.connections), durationSeconds: Number(values.seconds) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
await stop(proxy.child);
await stop(upstream.child);

const file = join(profileDir, readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile')) as string);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMs = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)?.callFrame;
  const where = frame ? `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/src\//, 'src/')}:${frame.lineNumber + 1}` : '?';
  selfMs.set(where, (selfMs.get(where) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`profile: ${file}\n`);
for (const [where, ms] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  process.stdout.write(`${((ms / total) * 100).toFixed(1).padStart(5)}%  ${where}\n`);
}
