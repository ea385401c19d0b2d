// The soak and adversarial run (issue: nothing a client, an upstream or a broken
// file does may crash, wedge or bloat the daemon): large bodies against the body
// memory budget, an upstream gzip bomb, connection floods, then mixed traffic
// for N minutes with 30-second tokens, RSS and descriptors sampled. All against
// the built proxy (`node dist/cli.js`) on 127.0.0.1, bounded in count and time.
// Prints a markdown report and writes it to bench/soak-results.md.
//
// Usage: npm run soak [-- --quick | --minutes N]

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { probeMemory } from './probe-memory.ts';
import { sample } from './proc.ts';
import { runChild, stop, stopAll, Upstream } from './processes.ts';
import { buildDist, spawnProxy } from './proxy-process.ts';
import { floodRun } from './soak-flood.ts';
import { IMAGE_ENV, IMAGE_SETTINGS_TEXT } from './image-settings.ts';
import { bodyMemory, gzipBombRun, PROXY_NODE_ARGS } from './soak-memory.ts';
import { renderSoakReport, type MixedSoak, type SoakReport } from './soak-report.ts';
import type { TrafficResult, TrafficSpec } from './soak-traffic.ts';

function minutesArg(): number {
  if (process.argv.includes('--quick')) return 1;
  const at = process.argv.indexOf('--minutes');
  const minutes = at >= 0 ? Number(process.argv[at + 1]) : 10;
  if (!(minutes > 0 && minutes <= 120)) throw new Error('--minutes takes a number from 0 to 120');
  return minutes;
}

const SETTINGS = {
  minutes: minutesArg(),
  raisedBudgetMb: 1024,
  bodyRepeats: 2,
  bombsAtOnce: 10,
  flood: { idle: 3000, trickle: 2000 },
  /** Past the default PROXY_MAX_CONNECTIONS (4000). */
  capFlood: { idle: 4500, trickle: 0 },
  tokenLifetimeSeconds: 30,
  sampleEveryMs: 5_000,
  traffic: { chatLoops: 4, streamLoops: 50, abortLoops: 2, streamChunks: 20, streamIntervalMs: 100 },
};

function progress(message: string): void {
  process.stderr.write(`[soak] ${message}\n`);
}

/** pino lines at error (50) or fatal (60). */
function errorLines(logFile: string): { count: number; first?: string } {
  const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => /"level":(50|60)/.test(l));
  return { count: lines.length, ...(lines[0] ? { first: (JSON.parse(lines[0]) as { msg?: string }).msg ?? lines[0].slice(0, 200) } : {}) };
}

async function mixedSoak(upstream: Upstream): Promise<MixedSoak> {
  await upstream.setTokenLifetime(SETTINGS.tokenLifetimeSeconds);
  const before = await upstream.stats();
  const proxy = await spawnProxy(upstream, 'soak-mixed', 'info', { nodeArgs: PROXY_NODE_ARGS, env: IMAGE_ENV });
  try {
    const sampler = sample(proxy.child.pid as number, SETTINGS.sampleEveryMs);
    const spec: TrafficSpec = { url: `${proxy.url}/v1/chat/completions`, seconds: SETTINGS.minutes * 60, ...SETTINGS.traffic };
    const traffic = await runChild<TrafficResult>('soak-traffic.ts', spec);
    const samples = sampler.stop();
    const after = await upstream.stats();
    const errors = errorLines(proxy.logFile);
    return {
      minutes: SETTINGS.minutes,
      traffic,
      tokenLifetimeSeconds: SETTINGS.tokenLifetimeSeconds,
      tokenFetches: after.tokenFetches - before.tokenFetches,
      expiredTokens: after.expiredTokens - before.expiredTokens,
      unknownTokens: after.unknownTokens - before.unknownTokens,
      errorLines: errors.count,
      ...(errors.first ? { firstErrorLine: errors.first } : {}),
      alive: proxy.child.exitCode === null && proxy.child.signalCode === null,
      samples,
    };
  } finally {
    await stop(proxy.child);
    await upstream.setTokenLifetime(3600);
  }
}

function commit(): string {
  const root = new URL('..', import.meta.url).pathname;
  const head = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return process.env.BENCH_COMMIT ?? 'unknown';
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'config', 'package.json'], { encoding: 'utf8' }).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' with uncommitted changes in src/' : ''}`;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const loadAtStart = loadavg()[0] as number;
  progress(`starting: ${SETTINGS.minutes}-minute soak; 1-min load average ${loadAtStart.toFixed(2)}`);
  progress('building dist/ from this tree');
  buildDist();
  const upstream = await Upstream.start();

  const bodies = await bodyMemory(upstream, SETTINGS.raisedBudgetMb, SETTINGS.bodyRepeats, progress);
  progress('exec probe memory');
  const probeProxy = await spawnProxy(upstream, 'soak-probes', 'info', { nodeArgs: PROXY_NODE_ARGS, env: IMAGE_ENV });
  const probes = await probeMemory(probeProxy.url).finally(() => stop(probeProxy.child));
  progress(`gzip bomb: 1, then ${SETTINGS.bombsAtOnce} at once`);
  const bomb = await gzipBombRun(upstream, SETTINGS.bombsAtOnce);
  progress(`flood: ${SETTINGS.flood.idle} idle + ${SETTINGS.flood.trickle} trickling sockets under a raised connection cap`);
  // The cap raised past the flood, so this run shows the headers timeout and a fresh client served.
  const flood = await floodRun(upstream, 'flood', { PROXY_MAX_CONNECTIONS: '6000' }, SETTINGS.flood);
  progress(`cap: ${SETTINGS.capFlood.idle} idle sockets against the default PROXY_MAX_CONNECTIONS`);
  const cap = await floodRun(upstream, 'cap', {}, SETTINGS.capFlood);
  progress(`mixed traffic for ${SETTINGS.minutes} min with ${SETTINGS.tokenLifetimeSeconds}-second tokens`);
  const soak = await mixedSoak(upstream);
  await stop(upstream.child);

  const report: SoakReport = {
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      date,
      commit: commit(),
      loadAtStart,
      loadAtEnd: loadavg()[0] as number,
      imageSettings: IMAGE_SETTINGS_TEXT,
    },
    raisedBudgetMb: SETTINGS.raisedBudgetMb,
    bodyRepeats: SETTINGS.bodyRepeats,
    bodies,
    probes,
    bomb,
    floods: [flood, cap],
    soak,
  };
  const markdown = renderSoakReport(report);
  process.stdout.write(`${markdown}\n`);
  writeFileSync(new URL('soak-results.md', import.meta.url), markdown);
  progress('written to bench/soak-results.md');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll();
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`[soak] failed: ${(err as Error).stack ?? String(err)}\n`);
  stopAll();
  process.exitCode = 1;
});
