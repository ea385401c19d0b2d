// Turns the soak's measurements into the markdown that is printed and written
// to bench/soak-results.md: the checks first, then every figure.

import type { ProbeCost } from './probe-memory.ts';
import { slopePerMinute, type Sample } from './proc.ts';
import type { FloodRun } from './soak-flood.ts';
import type { BodyRun, BombRun } from './soak-memory.ts';
import type { TrafficResult } from './soak-traffic.ts';

export interface MixedSoak {
  minutes: number;
  traffic: TrafficResult;
  tokenLifetimeSeconds: number;
  tokenFetches: number;
  expiredTokens: number;
  unknownTokens: number;
  /** Log lines at error level or above, and the first one's message. */
  errorLines: number;
  firstErrorLine?: string;
  alive: boolean;
  samples: Sample[];
}

export interface SoakReport {
  machine: { cores: number; cpu: string; node: string; date: string; commit: string; loadAtStart: number; loadAtEnd: number; imageSettings: string };
  raisedBudgetMb: number;
  bodyRepeats: number;
  bodies: BodyRun[];
  probes: { liveness: ProbeCost; readiness: ProbeCost };
  bomb: BombRun;
  floods: FloodRun[];
  soak: MixedSoak;
}

const f = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** What the measurement says a container needs: derived here so the manifests and README quote one figure. */
export function memoryNeeds(r: SoakReport): { firstMb: number; nextMb: number; defaultPeakMb: number; probesMb: number; limitMi: number } {
  const run = (body: string, n: number, raised: boolean) => r.bodies.find((b) => b.body === body && b.concurrent === n && (b.budgetMb !== undefined) === raised);
  const one = run('image', 1, true);
  const four = run('image', 4, true);
  const firstMb = one ? one.peakRssMb - one.idleRssMb : Number.NaN;
  const nextMb = one && four ? (four.peakRssMb - one.peakRssMb) / 3 : Number.NaN;
  const defaultPeakMb = Math.max(...r.bodies.filter((b) => b.budgetMb === undefined).map((b) => b.peakRssMb));
  const probesMb = r.probes.liveness.anonMb + r.probes.readiness.anonMb;
  // The worst default-budget peak, both exec probes at once, and a quarter on top, in steps of 32 Mi.
  const limitMi = Math.ceil(((defaultPeakMb + probesMb) * 1.25) / 32) * 32;
  return { firstMb, nextMb, defaultPeakMb, probesMb, limitMi };
}

/**
 * V8's RSS is a sawtooth (it grows between major collections, then drops), so
 * besides first-vs-last window and slope, a leak shows as a rising floor: the
 * lowest sample of the second half after warm-up against the first half's.
 */
function windows(samples: Sample[]) {
  const end = samples.at(-1)?.t ?? 0;
  const windowS = Math.min(60, end / 3);
  const rss = (from: number, to: number) => samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.rssMb);
  const points = (from: number) => samples.filter((s) => s.t >= from).map((s) => ({ t: s.t, y: s.rssMb }));
  const middle = (windowS + end) / 2;
  return {
    windowS,
    first: mean(rss(0, windowS)),
    last: mean(rss(end - windowS, end)),
    slope: slopePerMinute(points(0)),
    slopeAfterWarmUp: slopePerMinute(points(windowS)),
    floorFirstHalf: Math.min(...rss(windowS, middle)),
    floorSecondHalf: Math.min(...rss(middle, end)),
    peak: Math.max(...rss(0, end)),
  };
}

function checks(r: SoakReport): string[] {
  const traffic = Object.values(r.soak.traffic);
  const unexpected = traffic.reduce((s, k) => s + k.unexpected, 0);
  const flood = r.floods.find((x) => x.trickle > 0);
  const cap = r.floods.find((x) => x.trickle === 0);
  const capLimit = Number(cap?.env.PROXY_MAX_CONNECTIONS ?? 4000);
  const trend = windows(r.soak.samples);
  const rows: [string, boolean | undefined][] = [
    ['large bodies: every answer 200 or 503 `proxy_overloaded`', r.bodies.every((b) => b.other.length === 0)],
    ['gzip bomb: every client got a short OpenAI-shaped 500, peak RSS within 64 MB of idle', r.bomb.shaped === r.bomb.requests && r.bomb.peakRssMb - r.bomb.idleRssMb < 64 && r.bomb.aliveAfter],
    ['flood: every probe served on a fresh connection', flood !== undefined && flood.fresh.failed === 0],
    ['flood: every socket closed by the headers timeout, proxy descriptors back', flood !== undefined && flood.result.idle.stillOpen + flood.result.trickle.stillOpen === 0 && Number.isFinite(flood.fdsBackAfterS)],
    ['cap: the excess closed at once, kept-alive probes served', cap !== undefined && cap.result.idle.closedAtOnce >= cap.idle - capLimit && cap.kept.failed === 0],
    ['soak: 0 unexpected answers, daemon alive, no error log lines', unexpected === 0 && r.soak.alive && r.soak.errorLines === 0],
    ['soak: 0 expired or unknown tokens seen upstream', r.soak.expiredTokens + r.soak.unknownTokens === 0],
    ['soak: no RSS trend: the second half\'s floor within 10% of the first half\'s (judged from 5 minutes on)', r.soak.minutes < 5 ? undefined : trend.floorSecondHalf <= trend.floorFirstHalf * 1.1],
  ];
  const met = (ok: boolean | undefined) => (ok === undefined ? 'n/a: too short' : ok ? 'yes' : '**no**');
  return ['| check | met |', '|---|---|', ...rows.map(([what, ok]) => `| ${what} | ${met(ok)} |`)];
}

function bodySection(r: SoakReport): string[] {
  const need = memoryNeeds(r);
  const rows = r.bodies.map(
    (b) =>
      `| ${b.body === 'image' ? 'chat with a base64 image' : '`{"model":…,"x":[{},{},…]}`'} | ${f(b.bodyMb, 1)} | ${b.concurrent} | ${b.budgetMb ?? '64 (default)'} | ${b.admitted} | ${b.refused} | ${b.other.length ? b.other.join('; ') : 0} | ${f(b.idleRssMb)} | ${f(b.peakRssMb)} | +${f(b.peakRssMb - b.idleRssMb)} |`,
  );
  const p = r.probes;
  return [
    '## Large request bodies',
    '',
    `Each row run ${r.bodyRepeats} times, each time in a fresh proxy, the highest peak kept; the requests are sent at once; the fake upstream answers a large body after 1 s, as a model reading an image takes a while.`,
    '',
    '| body | MB | at once | PROXY_BODY_MEMORY_MB | 200 | 503 `proxy_overloaded` | other | idle RSS MB | peak RSS MB | peak − idle |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    ...rows,
    '',
    `Per concurrent large request: the first 30 MB body costs ${f(need.firstMb)} MB of RSS, each further one ${f(need.nextMb)} MB. ` +
      `With the default budget the peak stays at ${f(need.defaultPeakMb)} MB however many arrive; the rest get 503 with Retry-After.`,
    `Exec probes (a second node process in the container): liveness ${f(p.liveness.rssMb)} MB RSS of which ${f(p.liveness.anonMb)} MB anonymous, ` +
      `readiness ${f(p.readiness.rssMb)} MB of which ${f(p.readiness.anonMb)} MB anonymous (their binary pages are the page cache the proxy already holds).`,
    `Container memory limit: (default-budget peak ${f(need.defaultPeakMb)} MB + both probes ${f(need.probesMb)} MB) × 1.25, in steps of 32 Mi: **${need.limitMi}Mi**.`,
  ];
}

function floodSection(r: SoakReport): string[] {
  const rows = r.floods.map((x) => {
    const res = x.result;
    const later = (k: 'idle' | 'trickle') => (res[k].closedLater ? `${res[k].closedLater} (${f(res[k].closedLaterP50Ms / 1000, 1)} / ${f(res[k].closedLaterMaxMs / 1000, 1)} s)` : '0');
    const probe = (p: FloodRun['fresh']) => `${p.ok}/${p.ok + p.failed}, ${f(p.p50Ms, 1)} / ${f(p.maxMs, 1)} ms`;
    const env = Object.entries(x.env).map(([k, v]) => `${k}=${v}`).join(' ');
    return `| ${x.name} | ${env || 'defaults'} | ${x.idle} idle + ${x.trickle} trickling | ${res.idle.closedAtOnce + res.trickle.closedAtOnce} | ${later('idle')} | ${later('trickle')} | ${res.idle.stillOpen + res.trickle.stillOpen} | ${x.fdsBefore} / ${x.fdsPeak} / ${f(x.fdsBackAfterS, 1)} s | ${f(x.baselineProbeMs, 1)} ms | ${probe(x.fresh)} | ${probe(x.kept)} |`;
  });
  return [
    '## Connection floods',
    '',
    'Sockets from their own process; trickling ones send a request line, then a header line a second, never ending the headers. A probe chat request every 200 ms, alternately on a fresh connection and on one kept-alive connection opened before the flood.',
    '',
    '| run | settings | sockets | closed at once | idle closed later (p50 / max) | trickling closed later (p50 / max) | still open | proxy fds before / peak / back after | probe before | fresh probes ok, p50 / max | kept-alive probes ok, p50 / max |',
    '|---|---|---|---:|---|---|---:|---|---:|---|---|',
    ...rows,
  ];
}

function soakSection(r: SoakReport): string[] {
  const s = r.soak;
  const kinds = Object.entries(s.traffic).map(([kind, k]) => `| ${kind} | ${k.sent} | ${k.unexpected}${k.examples.length ? ` (${k.examples.join('; ')})` : ''} |`);
  const total = Object.values(s.traffic).reduce((sum, k) => sum + k.sent, 0);
  const t = windows(s.samples);
  const fds = s.samples.map((x) => x.fds);
  return [
    `## Mixed traffic for ${s.minutes} min with ${s.tokenLifetimeSeconds}-second tokens`,
    '',
    '| kind | requests | unexpected |',
    '|---|---:|---:|',
    ...kinds,
    `| **all** | **${total}** | **${Object.values(s.traffic).reduce((sum, k) => sum + k.unexpected, 0)}** |`,
    '',
    `Token fetches ${s.tokenFetches}; expired tokens seen upstream ${s.expiredTokens}, unknown ${s.unknownTokens}. ` +
      `Error log lines ${s.errorLines}${s.firstErrorLine ? ` (first: ${s.firstErrorLine})` : ''}; daemon ${s.alive ? 'alive' : '**exited**'} at the end.`,
    `RSS every 5 s (${s.samples.length} samples): first ${f(t.windowS)} s ${f(t.first, 1)} MB, last ${f(t.windowS)} s ${f(t.last, 1)} MB; ` +
      `slope ${f(t.slope, 2)} MB/min overall, ${f(t.slopeAfterWarmUp, 2)} MB/min after the first ${f(t.windowS)} s; ` +
      `lowest after warm-up ${f(t.floorFirstHalf, 1)} MB in the first half, ${f(t.floorSecondHalf, 1)} MB in the second; highest ${f(t.peak, 1)} MB. ` +
      `Open descriptors: first ${fds[0] ?? 'n/a'}, highest ${Math.max(...fds)}, last ${fds.at(-1) ?? 'n/a'}.`,
  ];
}

export function renderSoakReport(r: SoakReport): string {
  const m = r.machine;
  const b = r.bomb;
  return [
    '# Soak and adversarial run',
    '',
    `${m.date}, code at \`${m.commit}\`; ${m.cores} cores (${m.cpu}), Node ${m.node}; proxy started as the image runs it (\`${m.imageSettings} node dist/cli.js\`), everything on 127.0.0.1. ` +
      `1-minute load average ${f(m.loadAtStart, 2)} at the start, ${f(m.loadAtEnd, 2)} at the end.`,
    '',
    ...checks(r),
    '',
    ...bodySection(r),
    '',
    '## Gzip bomb',
    '',
    `The upstream answers 500 with a ${f(b.bombBytes / 1024 / 1024, 2)} MB gzip body that inflates to ${f(b.inflatedBytes / 1024 ** 3, 0)} GiB; one request, then ${b.requests - 1} at once. ` +
      `${b.shaped} of ${b.requests} got a short OpenAI-shaped 500 (largest ${b.largestAnswerBytes} bytes)${b.other.length ? `; others: ${b.other.join('; ')}` : ''}; ` +
      `RSS idle ${f(b.idleRssMb)} MB, peak ${f(b.peakRssMb)} MB; ${b.aliveAfter ? 'serving afterwards' : '**not serving afterwards**'}.`,
    '',
    ...floodSection(r),
    '',
    ...soakSection(r),
    '',
  ].join('\n');
}
