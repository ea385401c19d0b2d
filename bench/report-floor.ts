// The floor part of the report: chat throughput and CPU per request of the
// reference servers (the stack alone, Node alone) beside the proxy's and
// nginx's, and the stack alone's peak RSS during the concurrent streams.

import { IMAGE_SETTINGS_TEXT } from './image-settings.ts';
import type { LoadResult } from './load.ts';
import { fixed, type Of, type PathName, type Report } from './report-types.ts';
import type { StreamResult } from './streams.ts';

const FLOORS: [PathName, string][] = [
  ['proxy', 'this proxy'],
  ['floor-stack', 'the stack alone (`bench/floor/stack.ts`)'],
  ['proxy-image', 'this proxy, as the image runs it'],
  ['floor-stack-image', 'the stack alone, so run'],
  ['floor-node', 'Node alone (`bench/floor/node.ts`)'],
  ['nginx', 'nginx'],
];

/** Chat throughput of the reference servers beside the proxy's, as fractions of nginx's. */
export function floorSection(report: Report, of: Of): string[] {
  if (!report.chat[16]?.has('floor-stack')) return [];
  const rows = Object.entries(report.chat).map(([connections, results]) => {
    const rps = (name: PathName) => of(results, name, (r: LoadResult) => r.rps);
    const cells = FLOORS.map(([name]) => {
      if (!results.has(name)) return 'skipped';
      const versusNginx = results.has('nginx') ? ` (${fixed(rps(name) / rps('nginx'), 2)}×)` : '';
      return `${fixed(rps(name), 0)}${versusNginx}`;
    });
    const cpu = (name: PathName) => of(results, name, (r: LoadResult) => r.cpuUsPerRequest ?? Number.NaN);
    const cpuCells = FLOORS.map(([name]) => (results.has(name) ? `${fixed(cpu(name), 1)} µs` : 'skipped'));
    return `| chat, ${connections} connections | ${cells.join(' | ')} |\n| CPU per request | ${cpuCells.join(' | ')} |`;
  });
  return [
    '',
    '## The floor: what the stack and Node cost before any of our code',
    '',
    `Throughput in req/s (and as a fraction of nginx), measured in the same interleaved rounds, and the CPU time (user and system, all threads; summed over nginx's workers) each server spent per request: on a machine whose two cores the load generator and the fake upstream share, throughput moves from run to run, CPU per request much less. The stack alone is Fastify 5 with @fastify/http-proxy, a static token, no logging and no hooks; Node alone is node:http with an undici Pool and no framework. "As the image runs it": with the image's ${IMAGE_SETTINGS_TEXT}.`,
    '',
    `| scenario | ${FLOORS.map(([, label]) => label).join(' | ')} |`,
    `| --- | ${FLOORS.map(() => '---:').join(' | ')} |`,
    ...rows,
    ...floorMemory(report, of),
  ];
}

/** The stack alone's peak RSS during the concurrent streams, beside the proxy's, both with the image's settings. */
function floorMemory(report: Report, of: Of): string[] {
  if (!report.streams.has('floor-stack-image')) return [];
  const peak = (name: PathName) => fixed(of(report.streams, name, (r: StreamResult & { peakRssMb: number }) => r.peakRssMb), 0);
  const s = report.settings;
  return [
    '',
    `Memory: during the ${s.streams} concurrent streams, with the image's ${IMAGE_SETTINGS_TEXT}, the stack alone (its upstream pool uncapped, as the proxy's, instead of reply-from's default 128 connections) peaked at ${peak('floor-stack-image')} MB and the proxy at ${peak('proxy-image')} MB.`,
  ];
}
