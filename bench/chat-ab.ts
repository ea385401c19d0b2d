// Chat throughput of the proxy (at LOG_LEVEL=info and warn) against the stack
// alone, in interleaved rounds, with each server's CPU time per request: for
// iterating on the hot path. CPU per request is steadier than throughput on a
// busy machine. The full comparison is `npm run bench`.
//
// Usage: node bench/chat-ab.ts [rounds] [seconds]
//   VARIANTS   also measure proxies with other node options and environment,
//              as JSON: [{"name":"arena","nodeArgs":["--max-semi-space-size=8"],"env":{"MALLOC_ARENA_MAX":"2"}}]

import type { ChildProcess } from 'node:child_process';
import { spawnFloor } from './floor-process.ts';
import { chatLoad, stop, Upstream } from './processes.ts';
import { buildDist, spawnProxy } from './proxy-process.ts';
import { median } from './stats.ts';

const rounds = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 3);

buildDist();
const upstream = await Upstream.start();
const token = await upstream.issueToken();
interface Server {
  url: string;
  child: ChildProcess;
}

const servers = new Map<string, Server>([
  ['info', await spawnProxy(upstream, 'ab-info', 'info')],
  ['warn', await spawnProxy(upstream, 'ab-warn', 'warn')],
  ['stack', await spawnFloor('stack', upstream, token)],
]);
const variants = JSON.parse(process.env.VARIANTS ?? '[]') as { name: string; nodeArgs?: string[]; env?: NodeJS.ProcessEnv }[];
for (const { name, nodeArgs, env } of variants) servers.set(name, await spawnProxy(upstream, `ab-${name}`, 'info', { nodeArgs, env }));

for (const connections of [16, 64]) {
  const rps = new Map<string, number[]>([...servers.keys()].map((n) => [n, []]));
  const cpuUs = new Map<string, number[]>([...servers.keys()].map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, { url, child }] of servers) {
      const result = await chatLoad(`${url}/v1/chat/completions`, {}, [child.pid as number], connections, seconds);
      rps.get(name)?.push(result.rps);
      cpuUs.get(name)?.push(result.cpuUsPerRequest ?? Number.NaN);
    }
  }
  const names = [...servers.keys()];
  const of = (values: Map<string, number[]>, name: string) => median(values.get(name) ?? []);
  const line = names.map((n) => `${n} ${of(rps, n).toFixed(0)} req/s, ${of(cpuUs, n).toFixed(1)} µs CPU/req`).join('; ');
  const ratio = (n: string) => `${n}/stack ${(of(rps, n) / of(rps, 'stack')).toFixed(2)}× throughput, ${(of(cpuUs, 'stack') / of(cpuUs, n)).toFixed(2)}× by CPU`;
  const ratios = names.filter((n) => n !== 'stack').map(ratio);
  process.stdout.write(`${connections} connections: ${line}\n  ${ratios.join('; ')}\n`);
}
for (const { child } of servers.values()) await stop(child);
await stop(upstream.child);
