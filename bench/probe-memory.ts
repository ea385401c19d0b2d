// What one Kubernetes exec probe costs: each starts a second node process in
// the proxy's container, so its memory counts against the same limit. Its
// file-backed pages (the node binary, ~45 MB) are the page cache the proxy
// already holds and are charged to the container once; what a probe adds is
// its anonymous memory, read inside the probe as it exits (image NODE_OPTIONS).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { buildDist } from './proxy-process.ts';
import { IMAGE_NODE_OPTIONS } from './image-settings.ts';

const REPORT_AT_EXIT =
  "data:text/javascript,process.on('exit',()=>process.stderr.write(process.getBuiltinModule('node:fs').readFileSync('/proc/self/status','utf8')))";

export interface ProbeCost {
  /** Whole resident set at exit, shared binary pages included. */
  rssMb: number;
  /** Anonymous memory at exit: what the probe adds to the container. */
  anonMb: number;
  ok: boolean;
}

async function costOf(args: string[], url: URL): Promise<ProbeCost> {
  const env = { PATH: process.env.PATH, HOST: url.hostname, PORT: url.port };
  const child = spawn(process.execPath, [...IMAGE_NODE_OPTIONS, '--import', REPORT_AT_EXIT, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let status = '';
  child.stderr.setEncoding('utf8').on('data', (part: string) => (status += part));
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, ok: exitCode === 0 };
}

/** The liveness probe (`node dist/cli.js healthcheck`) and the readiness probe (`node -e fetch(…/readyz)`). */
export async function probeMemory(proxyUrl: string): Promise<{ liveness: ProbeCost; readiness: ProbeCost }> {
  const url = new URL(proxyUrl);
  const liveness = await costOf([buildDist(), 'healthcheck'], url);
  const readiness = await costOf(['-e', `fetch('${proxyUrl}/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`], url);
  return { liveness, readiness };
}
