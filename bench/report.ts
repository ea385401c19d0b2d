// Turns the measurements into the markdown that is printed and written to
// bench/results.md: the targets first, then every figure per path. The floor
// and the Responses API streams have sections of their own.

import { IMAGE_SETTINGS_TEXT } from './image-settings.ts';
import type { LoadResult } from './load.ts';
import { floorSection } from './report-floor.ts';
import { responsesSection, responsesTargets } from './report-responses.ts';
import { fixed, met, type PathName, type Report } from './report-types.ts';

const COLUMNS: [PathName, string][] = [
  ['direct', 'direct'],
  ['proxy', 'proxy (defaults: LOG_LEVEL=info)'],
  ['proxy-warn', 'proxy, LOG_LEVEL=warn'],
  ['proxy-image', `proxy, as the image runs it (${IMAGE_SETTINGS_TEXT})`],
  ['nginx', 'nginx'],
];

type Pick<T> = (result: T) => number;
type Compare = 'ratio' | 'added';

export function renderReport(report: Report, median: (values: number[]) => number): string {
  const of = <T>(results: Map<PathName, T[]>, name: PathName, pick: Pick<T>): number => {
    const values = results.get(name);
    return values && values.length ? median(values.map(pick)) : Number.NaN;
  };
  const rows: string[] = [];
  const row = <T>(scenario: string, metric: string, results: Map<PathName, T[]>, pick: Pick<T>, compare: Compare, digits: number): void => {
    const value = (name: PathName) => of(results, name, pick);
    const cells = COLUMNS.map(([name]) => (results.has(name) ? fixed(value(name), digits) : 'skipped'));
    const versus = (other: PathName) => (results.has(other) ? comparison(value('proxy'), value(other), compare) : 'n/a');
    rows.push(`| ${scenario} | ${metric} | ${cells.join(' | ')} | ${versus('direct')} | ${versus('nginx')} |`);
  };

  for (const [connections, results] of Object.entries(report.chat)) {
    const scenario = `chat, ${connections} connections`;
    row(scenario, 'throughput (req/s)', results, (r) => r.rps, 'ratio', 0);
    row('', 'latency p50 (ms)', results, (r) => r.p50Ms, 'added', 2);
    row('', 'latency p99 (ms)', results, (r) => r.p99Ms, 'added', 2);
  }
  row('one stream at a time', 'time to first byte p50 (ms)', report.ttfb, (r) => r.ttfbP50Ms, 'added', 2);
  row('', 'time to first byte p99 (ms)', report.ttfb, (r) => r.ttfbP99Ms, 'added', 2);
  const s = report.settings;
  const streamScenario = `${s.streams} streams × ${s.streamChunks} chunks over ${(s.streamChunks * s.streamIntervalMs) / 1000} s`;
  row(streamScenario, 'streams complete', report.streams, (r) => r.complete, 'ratio', 0);
  row('', 'wall time (s)', report.streams, (r) => r.wallMs / 1000, 'ratio', 2);
  row('', 'time to first byte p99 (ms)', report.streams, (r) => r.ttfbP99Ms, 'added', 1);
  row('', 'peak RSS (MB)', report.streams, (r) => r.peakRssMb, 'ratio', 0);

  const chat16 = report.chat[16] as Map<PathName, LoadResult[]>;
  const proxyRps = (c: number) => of(report.chat[c] as Map<PathName, LoadResult[]>, 'proxy', (r) => r.rps);
  const nginxRps = (c: number) => of(report.chat[c] as Map<PathName, LoadResult[]>, 'nginx', (r) => r.rps);
  const added = (pick: Pick<LoadResult>) => of(chat16, 'proxy', pick) - of(chat16, 'direct', pick);
  const wall = (name: PathName) => of(report.streams, name, (r) => r.wallMs);
  const complete = of(report.streams, 'proxy', (r) => r.complete);
  const rss = of(report.streams, 'proxy', (r) => r.peakRssMb);
  const rssImage = of(report.streams, 'proxy-image', (r) => r.peakRssMb);
  const rssFloor = of(report.streams, 'floor-stack-image', (r) => r.peakRssMb);
  const cpuPerRequest = (c: number, name: PathName) => of(report.chat[c] as Map<PathName, LoadResult[]>, name, (r) => r.cpuUsPerRequest ?? Number.NaN);
  const stackRps = (c: number) => of(report.chat[c] as Map<PathName, LoadResult[]>, 'floor-stack', (r) => r.rps);
  const t = report.tokens;
  const tokenOk = t.expiredTokensSent === 0 && t.unknownTokensSent === 0 && t.failed === 0 && t.minGapSeconds >= 0.75 * t.lifetimeSeconds;
  const cold = median(report.coldStartMs.dist);
  const coldSrc = median(report.coldStartMs.src);
  const hasNginx = report.chat[16]?.has('nginx') ?? false;
  const throughputTarget = (c: number): string[] =>
    hasNginx
      ? [`throughput ≥ 0.75× nginx at ${c} connections (aim 0.9×)`, `${fixed(proxyRps(c) / nginxRps(c), 2)}×`, met(proxyRps(c) / nginxRps(c) >= 0.75)]
      : [`throughput ≥ 0.75× nginx at ${c} connections`, 'no nginx in this run (not installed, or BENCH_SKIP_NGINX)', 'n/a'];
  const stackTarget = (c: number): string[] => [
    `throughput ≥ 0.9× the stack alone's at ${c} connections (defaults: LOG_LEVEL=info)`,
    `${fixed(proxyRps(c) / stackRps(c), 2)}× (${fixed(of(report.chat[c] as Map<PathName, LoadResult[]>, 'proxy-warn', (r) => r.rps) / stackRps(c), 2)}× at LOG_LEVEL=warn); CPU per request ${fixed(cpuPerRequest(c, 'proxy') / cpuPerRequest(c, 'floor-stack'), 2)}× the stack's`,
    met(proxyRps(c) / stackRps(c) >= 0.9),
  ];
  const targets: string[][] = [
    throughputTarget(16),
    throughputTarget(64),
    stackTarget(16),
    stackTarget(64),
    ['added p50 latency ≤ 1 ms at 16 connections', `${fixed(added((r) => r.p50Ms), 2)} ms`, met(added((r) => r.p50Ms) <= 1)],
    ['added p99 latency ≤ 5 ms at 16 connections', `${fixed(added((r) => r.p99Ms), 2)} ms`, met(added((r) => r.p99Ms) <= 5)],
    [
      `${s.streams} streams complete in ≤ 1.2× the direct time`,
      `${fixed(complete, 0)}/${s.streams} complete, ${fixed(wall('proxy') / wall('direct'), 2)}×`,
      met(complete === s.streams && wall('proxy') / wall('direct') <= 1.2),
    ],
    [
      `proxy peak RSS ≤ 150 MB during those streams, with the image's ${IMAGE_SETTINGS_TEXT}`,
      `${fixed(rssImage, 0)} MB (${fixed(rss, 0)} MB with Node's defaults; the stack alone as the image runs it: ${fixed(rssFloor, 0)} MB)`,
      met(rssImage <= 150),
    ],
    [
      "proxy peak RSS ≤ 1.1× the stack alone's during those streams (both as the image runs them)",
      `${fixed(rssImage / rssFloor, 2)}×`,
      met(rssImage / rssFloor <= 1.1),
    ],
    [
      `one token fetch per token lifetime (${t.lifetimeSeconds} s tokens, ${t.loadSeconds} s of load)`,
      `${t.tokenFetches} fetches for ${t.requests} requests, ≥ ${fixed(t.minGapSeconds, 1)} s apart; ${t.expiredTokensSent} expired and ${t.unknownTokensSent} unknown tokens sent; ${t.failed} failed`,
      met(tokenOk),
    ],
    [
      'cold start to first /readyz 200 ≤ 500 ms (`node dist/cli.js`, as packaged)',
      `${fixed(cold, 0)} ms (median of ${report.coldStartMs.dist.length}: ${report.coldStartMs.dist.map((ms) => fixed(ms, 0)).join(', ')})`,
      met(cold <= 500),
    ],
    [
      'the same from sources (`node src/cli.ts`, as `npm start`)',
      `${fixed(coldSrc, 0)} ms (median of ${report.coldStartMs.src.length}: ${report.coldStartMs.src.map((ms) => fixed(ms, 0)).join(', ')})`,
      met(coldSrc <= 500),
    ],
    ...responsesTargets(report, of),
  ];

  const m = report.machine;
  const failures = failureNotes(report);
  return [
    '# Benchmark results',
    '',
    `\`npm run bench${m.quick ? ' -- --quick' : ''}\` on ${m.date.slice(0, 16).replace('T', ' ')} UTC, code at ${m.commit}: ${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.nginx ? `nginx ${m.nginx}` : 'no nginx'}.`,
    `1-minute load average ${m.loadAtStart.toFixed(2)} at the start, ${m.loadAtEnd.toFixed(2)} at the end: load generator, fake upstream, proxy and nginx share these cores with whatever else runs.`,
    `Each figure is the median of ${s.rounds} interleaved rounds (${s.streamRounds} for the ${s.streams} streams) of ${s.loadSeconds} s per path.`,
    '',
    '## Targets',
    '',
    '| target | result | met |',
    '| --- | --- | --- |',
    ...targets.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    '## Figures',
    '',
    `| scenario | metric | ${COLUMNS.map(([, label]) => label).join(' | ')} | proxy vs direct | proxy vs nginx |`,
    `| --- | --- | ${COLUMNS.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...rows,
    '',
    failures.length ? `Failed requests: ${failures.join('; ')}.` : 'Failed requests: none.',
    ...responsesSection(report, of),
    ...floorSection(report, of),
    '',
    '## Setup',
    '',
    '- All on 127.0.0.1. The fake Vertex and fake metadata server share one process (`bench/fake-upstream.ts`); load comes from autocannon in another (`bench/load.ts`; latencies from its per-response times, not its millisecond histogram) and, for streams, from `bench/streams.ts`, which checks every stream arrives whole.',
    '- direct: autocannon sends a valid token itself. proxy: `node dist/cli.js` (built from this tree), its log written to a file, one line per request at the default level. nginx: `worker_processes auto`, access log on, `proxy_buffering off`, upstream keepalive 256, a static Authorization header.',
    `- Chat: closed-loop load for ${s.loadSeconds} s per path and round, so latency at a fixed connection count rises as throughput falls. Streams: ${s.streams} opened at once, ${s.streamChunks} chunks ${s.streamIntervalMs} ms apart; peak RSS is VmHWM after a reset (clear_refs), summed over nginx's workers.`,
    '- Tokens: a proxy started with 10 s tokens under constant load at 16 connections; the fake upstream rejects and counts any expired or unknown token.',
    '',
  ].join('\n');
}

function failureNotes(report: Report): string[] {
  const notes: string[] = [];
  for (const [connections, results] of Object.entries(report.chat)) {
    for (const [name, runs] of results) {
      const failed = runs.reduce((sum, r) => sum + r.failed, 0);
      if (failed) notes.push(`${failed} on ${name} at ${connections} connections`);
    }
  }
  for (const [label, results] of [['stream TTFB', report.ttfb], ['concurrent streams', report.streams]] as const) {
    for (const [name, runs] of results) {
      const failed = runs.reduce((sum, r) => sum + r.failed, 0);
      const first = runs.find((r) => r.firstError)?.firstError;
      if (failed) notes.push(`${failed} ${label} on ${name}${first ? ` (${first})` : ''}`);
    }
  }
  return notes;
}

function comparison(proxy: number, other: number, compare: Compare): string {
  if (Number.isNaN(proxy) || Number.isNaN(other)) return 'n/a';
  if (compare === 'ratio') return `${fixed(proxy / other, 2)}×`;
  const delta = proxy - other;
  return `${delta >= 0 ? '+' : '−'}${fixed(Math.abs(delta), 2)} ms`;
}
