// Starting, probing and stopping the processes under test: the fake upstream,
// the proxy (`node dist/cli.js`, as the package and image run it) and the child
// processes that generate load. Every process started here is stopped by PID.

import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/loopback.ts';
import type { FloorSpec } from './floor/spec.ts';
import type { LoadResult, LoadSpec } from './load.ts';
import { cpuSeconds, statusMb } from './proc.ts';
import { BENCH_PROJECT, CHAT_BODY, VERTEX_CHAT_PATH, type Command, type UpstreamReady, type UpstreamStats } from './protocol.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const started = new Set<ChildProcess>();

export const workDir = mkdtempSync(join(tmpdir(), 'vop-bench-'));

export function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export function stopAll(): void {
  for (const child of started) child.kill('SIGKILL');
}

/** The fake metadata server and fake Vertex, in one forked process driven over IPC. */
export class Upstream {
  readonly child: ChildProcess;
  readonly ready: UpstreamReady;
  #nextId = 0;

  private constructor(child: ChildProcess, ready: UpstreamReady) {
    this.child = child;
    this.ready = ready;
  }

  static async start(): Promise<Upstream> {
    const child = track(fork(join(ROOT, 'bench/fake-upstream.ts'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    const [ready] = (await once(child, 'message')) as [UpstreamReady];
    return new Upstream(child, ready);
  }

  #ask(command: Omit<Command, 'id'>): Promise<{ stats?: UpstreamStats }> {
    const id = ++this.#nextId;
    return new Promise((resolve) => {
      const onMessage = (message: { id: number; stats?: UpstreamStats }) => {
        if (message.id !== id) return;
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ ...command, id });
    });
  }

  async stats(): Promise<UpstreamStats> {
    return (await this.#ask({ type: 'stats' })).stats as UpstreamStats;
  }

  async setTokenLifetime(seconds: number): Promise<void> {
    await this.#ask({ type: 'lifetime', seconds } as Omit<Command, 'id'>);
  }

  /** A token for the paths that do not fetch their own (direct, nginx). */
  async issueToken(): Promise<string> {
    const body = await httpGet(`http://${this.ready.metadataHost}/computeMetadata/v1/instance/service-accounts/default/token`, {
      'metadata-flavor': 'Google',
    });
    return (JSON.parse(body.text) as { access_token: string }).access_token;
  }
}

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

/** A reference server from bench/floor/ (`stack` or `node`), forwarding /v1/chat/completions with a static token. */
export type FloorKind = 'stack' | 'node';

/**
 * The floor as plain JavaScript, as the proxy runs from dist/: run as .ts,
 * Node would load its type stripper too, and that memory is not the stack's.
 */
function floorScript(kind: FloorKind): string {
  const dir = join(workDir, 'floor');
  const script = join(dir, `${kind}.mjs`);
  if (existsSync(script)) return script;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(script, stripTypeScriptTypes(readFileSync(join(ROOT, `bench/floor/${kind}.ts`), 'utf8')));
  return script;
}

export async function spawnFloor(
  kind: FloorKind,
  upstream: Upstream,
  token: string,
  execArgv: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string }> {
  const spec: FloorSpec = {
    port: await freePort(),
    upstreamOrigin: upstream.ready.vertexUrl,
    upstreamBasePath: VERTEX_CHAT_PATH.slice(0, -'/chat/completions'.length),
    token,
  };
  const child = track(fork(floorScript(kind), [JSON.stringify(spec)], { cwd: ROOT, execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const first = await Promise.race([once(child, 'message').then(() => 'ready'), once(child, 'exit').then(([code]) => `exited with ${code}`)]);
  if (first !== 'ready') throw new Error(`bench/floor/${kind}.ts ${first} before it was ready`);
  return { child, url: `http://127.0.0.1:${spec.port}` };
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

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (text += part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

export async function waitForPort(url: string, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ${url} answered`);
    if (await httpGet(url).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${url} not listening within 10 s`);
}

/** Runs a bench child script (load.ts, streams.ts) in its own process and parses its JSON line. */
export async function runChild<T>(script: string, spec: unknown): Promise<T> {
  const child = track(spawn(process.execPath, [join(ROOT, 'bench', script), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (part: string) => (out += part));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`bench/${script} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as T;
}

/**
 * Closed-loop chat load (CHAT_BODY) at `url`, with the CPU time `pids` spent
 * per request (all threads) when there are any to read.
 */
export async function chatLoad(url: string, headers: Record<string, string>, pids: readonly number[], connections: number, durationSeconds: number): Promise<LoadResult> {
  const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const before = cpu();
  const spec: LoadSpec = { url, headers: { 'content-type': 'application/json', ...headers }, body: CHAT_BODY, connections, durationSeconds };
  const result = await runChild<LoadResult>('load.ts', spec);
  if (pids.length === 0) return result;
  return { ...result, cpuUsPerRequest: ((cpu() - before) * 1e6) / Math.max(1, result.ok + result.failed) };
}

/** Resets a process's peak RSS (Linux clear_refs 5); false where not permitted. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak resident set size (VmHWM) in MB since start or the last reset. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

export function countLines(file: string): number {
  const text = readFileSync(file, 'utf8');
  return text.length === 0 ? 0 : text.split('\n').length - 1;
}
