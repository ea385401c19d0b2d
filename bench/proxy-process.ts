// The proxy under test as a process: compiled to a private dist/ (as the npm
// package and the container image run it) or from src/, started with its log
// in a file and an environment that reaches only the fake upstream, and
// polled until /readyz answers.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/helpers/loopback.ts';
import { httpGet, ROOT, track, workDir, type Upstream } from './processes.ts';
import { BENCH_PROJECT } from './protocol.ts';

/** Environment that points google-auth-library at the fake metadata server and nothing else. */
export function proxyEnv(upstream: Upstream, port: number, logLevel: string): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(workDir, 'home-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  return {
    ...env,
    HOME: home,
    CLOUDSDK_CONFIG: join(home, 'gcloud'),
    GCE_METADATA_HOST: upstream.ready.metadataHost,
    METADATA_SERVER_DETECTION: 'assume-present',
    GOOGLE_CLOUD_PROJECT: BENCH_PROJECT,
    VERTEX_BASE_URL: upstream.ready.vertexUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: logLevel,
  };
}

/**
 * How the proxy is started: `dist`, the compiled JavaScript that the npm package
 * and the container image run, built from this tree into the work directory; or
 * `src`, the TypeScript sources through Node's type stripping (`npm start`).
 */
export type ProxyEntry = 'dist' | 'src';

let builtEntry: string | undefined;

/** Compiles src/ to a private dist/ beside links to config/, package.json and node_modules. */
export function buildDist(): string {
  if (builtEntry) return builtEntry;
  const app = join(workDir, 'app');
  mkdirSync(app, { recursive: true });
  for (const name of ['config', 'package.json', 'node_modules']) symlinkSync(join(ROOT, name), join(app, name));
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist'), '--sourceMap', 'false'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  builtEntry = join(app, 'dist/cli.js');
  if (!existsSync(builtEntry)) throw new Error(`building dist failed:\n${result.stdout}${result.stderr}`);
  if (result.status !== 0) process.stderr.write(`[bench] tsc reported errors but emitted dist; benchmarking it anyway:\n${result.stdout}\n`);
  return builtEntry;
}

function entryScript(entry: ProxyEntry): string {
  return entry === 'dist' ? buildDist() : join(ROOT, 'src/cli.ts');
}

export interface ProxyProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logFile: string;
}

/** Starts the proxy (`node dist/cli.js` unless told) with its log going to a file, as a daemon's would. */
export async function spawnProxy(
  upstream: Upstream,
  name: string,
  logLevel: string,
  options: { entry?: ProxyEntry; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ProxyProcess & { readyMs: number }> {
  const script = entryScript(options.entry ?? 'dist');
  const port = await freePort();
  const logFile = join(workDir, `${name}.log`);
  const log = openSync(logFile, 'a');
  const spawnedAt = performance.now();
  const child = track(
    spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
      cwd: ROOT,
      env: { ...proxyEnv(upstream, port, logLevel), ...options.env },
      stdio: ['ignore', log, log],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(`${url}/readyz`, child);
  return { child, url, logFile, readyMs: performance.now() - spawnedAt };
}

/** Polls every 2 ms until the probe answers 200. */
async function waitForReady(probeUrl: string, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ${probeUrl} answered`);
    const status = await httpGet(probeUrl).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${probeUrl} not ready within 15 s`);
}
