// The benchmark: the same requests sent directly to a fake Vertex, through this
// proxy (with its defaults, at LOG_LEVEL=warn, and with a smaller V8 young
// generation), and through nginx, in interleaved rounds (A B C … A B C …) so
// machine noise hits every path alike. Streams also go through the proxy's
// Responses API (translated to chat upstream). Chat load also goes through two
// reference servers (bench/floor/) that show what the stack, and Node, cost alone.
// Prints a markdown table and writes it to bench/results.md.
//
// Usage: npm run bench [-- --quick]

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import type { LoadResult } from './load.ts';
import { findNginx, startNginx, type Nginx } from './nginx.ts';
import { spawnFloor } from './floor-process.ts';
import { peakRssMb, resetPeakRss } from './proc.ts';
import { chatLoad, runChild, stop, stopAll, Upstream } from './processes.ts';
import { buildDist, spawnProxy, type ProxyEntry, type ProxyProcess } from './proxy-process.ts';
import { BENCH_MODEL, VERTEX_CHAT_PATH } from './protocol.ts';
import { IMAGE_ENV, IMAGE_NODE_ARGS } from './image-settings.ts';
import { renderReport } from './report.ts';
import type { PathName, Report, TokenRun } from './report-types.ts';
import type { StreamResult, StreamSpec } from './streams.ts';
import { median } from './stats.ts';

const QUICK = process.argv.includes('--quick');
const SETTINGS = {
  rounds: QUICK ? 1 : 5,
  loadSeconds: QUICK ? 1 : 3,
  streamRounds: QUICK ? 1 : 2,
  streams: 1000,
  streamChunks: 20,
  streamIntervalMs: 150,
  ttfbStreams: QUICK ? 20 : 100,
  tokenLifetimeSeconds: 10,
  tokenLoadSeconds: QUICK ? 12 : 25,
  coldStarts: QUICK ? 3 : 7,
};

interface Path {
  readonly name: PathName;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Processes whose peak RSS counts for this path. */
  readonly pids: () => number[];
  /** Streams through the Responses API (translated by the proxy) instead of chat. */
  readonly api?: StreamSpec['api'];
}

function streamSpec(path: Path, mode: StreamSpec['mode']): StreamSpec {
  const concurrent = mode === 'concurrent';
  return {
    mode,
    api: path.api ?? 'chat',
    url: path.url,
    headers: { 'content-type': 'application/json', ...path.headers },
    count: concurrent ? SETTINGS.streams : SETTINGS.ttfbStreams,
    chunks: concurrent ? SETTINGS.streamChunks : 1,
    intervalMs: concurrent ? SETTINGS.streamIntervalMs : 0,
    model: BENCH_MODEL,
  };
}

/** Closed-loop chat load on one path, with the CPU its processes spent per request. */
function pathLoad(path: Path, connections: number, seconds: number): Promise<LoadResult> {
  return chatLoad(path.url, path.headers, path.pids(), connections, seconds);
}

/** Runs `measure` for every path, round after round, and keeps each path's results in order. */
async function interleaved<T>(paths: readonly Path[], rounds: number, measure: (path: Path) => Promise<T>): Promise<Map<PathName, T[]>> {
  const results = new Map<PathName, T[]>(paths.map((p) => [p.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) results.get(path.name)?.push(await measure(path));
  }
  return results;
}

/** The commit whose code is measured, and whether src/ differs from it (BENCH_COMMIT for a tree without .git). */
function benchedCommit(): string {
  const root = new URL('..', import.meta.url).pathname;
  const git = (...args: string[]) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return process.env.BENCH_COMMIT ?? 'unknown';
  const dirty = git('status', '--porcelain', '--', 'src', 'config', 'package.json').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' with uncommitted changes in src/' : ''}`;
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function streamsWithRss(path: Path): Promise<StreamResult & { peakRssMb: number }> {
  const pids = path.pids();
  const resettable = pids.length > 0 && pids.every(resetPeakRss);
  const result = await runChild<StreamResult>('streams.ts', streamSpec(path, 'concurrent'));
  const rss = resettable ? pids.reduce((sum, pid) => sum + peakRssMb(pid), 0) : Number.NaN;
  return { ...result, peakRssMb: rss };
}

async function tokenLifetimeRun(upstream: Upstream): Promise<TokenRun> {
  await upstream.setTokenLifetime(SETTINGS.tokenLifetimeSeconds);
  const before = await upstream.stats();
  const proxy = await spawnProxy(upstream, 'proxy-token', 'info');
  try {
    const load = await chatLoad(`${proxy.url}/v1/chat/completions`, {}, [], 16, SETTINGS.tokenLoadSeconds);
    const after = await upstream.stats();
    const fetchTimes = after.fetchTimes.slice(before.fetchTimes.length);
    const gaps = fetchTimes.slice(1).map((t, i) => (t - (fetchTimes[i] as number)) / 1000);
    return {
      lifetimeSeconds: SETTINGS.tokenLifetimeSeconds,
      loadSeconds: SETTINGS.tokenLoadSeconds,
      requests: load.ok + load.failed,
      failed: load.failed,
      tokenFetches: after.tokenFetches - before.tokenFetches,
      minGapSeconds: gaps.length ? Math.min(...gaps) : Number.NaN,
      expiredTokensSent: after.expiredTokens - before.expiredTokens,
      unknownTokensSent: after.unknownTokens - before.unknownTokens,
    };
  } finally {
    await stop(proxy.child);
    await upstream.setTokenLifetime(3600);
  }
}

/** Spawn to first /readyz 200, alternating the packaged entry and the sources. */
async function coldStarts(upstream: Upstream): Promise<Record<ProxyEntry, number[]>> {
  const times: Record<ProxyEntry, number[]> = { dist: [], src: [] };
  for (let i = 0; i < SETTINGS.coldStarts; i++) {
    for (const entry of ['dist', 'src'] as const) {
      const proxy = await spawnProxy(upstream, `proxy-cold-${entry}-${i}`, 'info', { entry });
      times[entry].push(proxy.readyMs);
      await stop(proxy.child);
    }
  }
  return times;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg()[0] as number;
  progress(`starting (${QUICK ? 'quick' : 'full'} run); 1-min load average ${loadAtStart.toFixed(2)}`);
  progress('building dist/ from this tree');
  buildDist();
  const upstream = await Upstream.start();
  const token = await upstream.issueToken();
  const proxies: ProxyProcess[] = [
    await spawnProxy(upstream, 'proxy-info', 'info'),
    await spawnProxy(upstream, 'proxy-warn', 'warn'),
    await spawnProxy(upstream, 'proxy-image', 'info', { nodeArgs: [...IMAGE_NODE_ARGS], env: IMAGE_ENV }),
  ];
  const [proxyInfo, proxyWarn, proxyImage] = proxies as [ProxyProcess, ProxyProcess, ProxyProcess];
  const nginxBinary = findNginx();
  let nginx: Nginx | undefined;
  if (nginxBinary) nginx = await startNginx(nginxBinary, upstream.ready.vertexUrl, token);
  else progress('nginx not installed (apt-get install -y nginx-light): skipping the nginx path');

  const paths: Path[] = [
    { name: 'direct', url: upstream.ready.vertexUrl + VERTEX_CHAT_PATH, headers: { authorization: `Bearer ${token}` }, pids: () => [] },
    { name: 'proxy', url: `${proxyInfo.url}/v1/chat/completions`, headers: {}, pids: () => [proxyInfo.child.pid as number] },
    { name: 'proxy-warn', url: `${proxyWarn.url}/v1/chat/completions`, headers: {}, pids: () => [proxyWarn.child.pid as number] },
    { name: 'proxy-image', url: `${proxyImage.url}/v1/chat/completions`, headers: {}, pids: () => [proxyImage.child.pid as number] },
  ];
  if (nginx) {
    const n = nginx;
    paths.push({ name: 'nginx', url: `${n.url}/v1/chat/completions`, headers: {}, pids: () => n.workerPids() });
  }

  // Translated streams, beside the passthrough ones of the same process: streams only (no chat load).
  const responses: Path = { name: 'proxy-responses', url: `${proxyImage.url}/v1/responses`, headers: {}, api: 'responses', pids: () => [proxyImage.child.pid as number] };
  const streamPaths: Path[] = [...paths.slice(0, 4), responses, ...paths.slice(4)];

  // References: how fast the stack alone, and Node alone, forward on this machine. The stack alone
  // as the image runs it also serves the concurrent streams, as a reference for the proxy's memory:
  // it takes the same chat rounds as the proxy first, so both are measured warm.
  const floors = [
    { name: 'floor-stack', ...(await spawnFloor('stack', upstream, token)) },
    { name: 'floor-node', ...(await spawnFloor('node', upstream, token)) },
    { name: 'floor-stack-image', ...(await spawnFloor('stack', upstream, token, [...IMAGE_NODE_ARGS], IMAGE_ENV)) },
  ] as const;
  const floorPaths = floors.map(({ name, url, child }): Path => ({ name, url: `${url}/v1/chat/completions`, headers: {}, pids: () => [child.pid as number] }));
  const chatPaths: Path[] = [...paths, ...floorPaths];

  progress('warm-up');
  await interleaved(chatPaths, 1, (p) => pathLoad(p, 16, 1));
  const chat: Report['chat'] = {};
  for (const connections of [16, 64]) {
    progress(`chat, ${connections} connections, ${SETTINGS.rounds} rounds of ${SETTINGS.loadSeconds} s per path`);
    chat[connections] = await interleaved(chatPaths, SETTINGS.rounds, (p) => pathLoad(p, connections, SETTINGS.loadSeconds));
  }
  for (const floor of floors.slice(0, 2)) await stop(floor.child);
  progress(`time to first byte, ${SETTINGS.ttfbStreams} sequential streams per path`);
  const ttfb = await interleaved(streamPaths, SETTINGS.rounds, (p) => runChild<StreamResult>('streams.ts', streamSpec(p, 'sequential')));
  progress(`${SETTINGS.streams} concurrent streams of ${SETTINGS.streamChunks} chunks, ${SETTINGS.streamRounds} rounds`);
  const streams = await interleaved([...streamPaths, floorPaths[2] as Path], SETTINGS.streamRounds, streamsWithRss);
  await stop(floors[2].child);
  progress(`steady load with ${SETTINGS.tokenLifetimeSeconds} s tokens for ${SETTINGS.tokenLoadSeconds} s`);
  const tokens = await tokenLifetimeRun(upstream);
  progress(`cold start, ${SETTINGS.coldStarts} times each for dist/cli.js and src/cli.ts`);
  const cold = await coldStarts(upstream);

  const report: Report = {
    settings: SETTINGS,
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      nginx: nginx?.version,
      loadAtStart,
      loadAtEnd: loadavg()[0] as number,
      date: startedAt.toISOString(),
      quick: QUICK,
      commit: benchedCommit(),
    },
    paths: paths.map((p) => p.name),
    chat,
    ttfb,
    streams,
    tokens,
    coldStartMs: cold,
  };
  for (const proxy of proxies) await stop(proxy.child);
  if (nginx) await stop(nginx.child, 'SIGQUIT');
  await stop(upstream.child);

  const markdown = renderReport(report, median);
  process.stdout.write(`${markdown}\n`);
  writeFileSync(new URL('results.md', import.meta.url), markdown);
  progress('written to bench/results.md');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll();
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? String(err)}\n`);
  stopAll();
  process.exitCode = 1;
});
