// Starting, probing and stopping processes: the fake upstream (metadata server
// and Vertex in one forked process) and the child processes that generate
// load. Every process started through here is tracked and stopped by PID. The
// proxy is started by proxy-process.ts, the reference servers by
// floor-process.ts.

import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult, LoadSpec } from './load.ts';
import { cpuSeconds } from './proc.ts';
import { CHAT_BODY, type Command, type UpstreamReady, type UpstreamStats } from './protocol.ts';

export const ROOT = new URL('..', import.meta.url).pathname;

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
