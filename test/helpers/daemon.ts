// The real daemon as a child process (`node src/cli.ts`), pointed at the fake
// metadata server and the fake Vertex, for tests of signals and process exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import { startFakeMetadata, type FakeMetadata } from './fake-metadata.ts';
import { startFakeVertex, type FakeVertex, type FakeVertexOptions } from './fake-vertex.ts';
import { waitFor } from './streams.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

// Settings of the outer environment that would change the daemon's behaviour.
const DAEMON_SETTINGS = /^(PROXY_|VERTEX_|GOOGLE_|HOST$|PORT$|LOCATION$|PROJECT_ID$|LOG_LEVEL$)/;

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Daemon {
  readonly child: ChildProcess;
  readonly metadata: FakeMetadata;
  readonly vertex: FakeVertex;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Every JSON log line the daemon wrote to stdout, parsed. */
  readonly logs: LogLine[];
  /** Everything it wrote to stderr. */
  stderr(): string;
  /** Resolves when a log line with this message has been written. */
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface DaemonOptions {
  readonly env?: Record<string, string>;
  readonly vertex?: FakeVertexOptions;
}

export async function startDaemon(t: Test, options: DaemonOptions = {}): Promise<Daemon> {
  const metadata = await startFakeMetadata();
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token), ...options.vertex });
  // startFakeMetadata pointed this process's env at the fake; the child inherits it.
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !DAEMON_SETTINGS.test(name)) env[name] = value;
  }
  Object.assign(env, { HOST: '127.0.0.1', PORT: '0', VERTEX_BASE_URL: vertex.baseUrl, LOG_LEVEL: 'info', ...options.env });

  const child = spawn(process.execPath, [CLI], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const logs: LogLine[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: 30, msg: line });
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await vertex.close();
    await metadata.close();
  });

  const waitForLog = async (msg: string, timeoutMs = 15_000): Promise<LogLine> => {
    const logged = () => logs.find((line) => line.msg === msg);
    const exitedFirst = exited.then(() => {
      if (!logged()) throw new Error(`daemon exited before logging "${msg}": ${stderr}`);
    });
    exitedFirst.catch(() => {}); // only the race below reports it
    await Promise.race([waitFor(() => logged() !== undefined, `log line "${msg}"`, timeoutMs), exitedFirst]);
    return logged() as LogLine;
  };
  // PORT=0 let the kernel pick a free port; the "listening" line says which.
  const url = String((await waitForLog('vertex-openai-proxy listening')).address);
  return { child, metadata, vertex, port: Number(new URL(url).port), url, logs, stderr: () => stderr, waitForLog, exited };
}
