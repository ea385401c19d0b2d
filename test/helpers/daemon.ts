// The real daemon as a child process (`node src/cli.ts …`) on a free loopback
// port, with an explicit environment (see cli.ts), its log lines and its exit.
// `startDaemonWithFakes` also stands up the fake metadata server and the fake
// Vertex and points the daemon at them.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { onExit } from 'signal-exit';
import type { Test } from 'tap';
import { CLI, childEnv, fakeMetadataEnv } from './cli.ts';
import { FakeMetadata, type FakeMetadataOptions } from './fake-metadata.ts';
import { startFakeVertex, type FakeVertex, type FakeVertexOptions } from './fake-vertex.ts';
import { waitFor, within } from './wait.ts';

const LISTENING = 'vertex-openai-proxy listening';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Daemon {
  readonly child: ChildProcess;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Every JSON log line the daemon wrote to stdout, parsed. */
  readonly logs: LogLine[];
  /** Everything it wrote to stderr. */
  stderr(): string;
  /** Resolves when a log line with this message has been written. */
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with how the process ended, once its output is all read. */
  readonly exited: Promise<Exit>;
  /** SIGTERM (SIGKILL if it has not ended 10 s later), then waits for the exit. */
  stop(): Promise<Exit>;
}

export interface DaemonOptions {
  /** Settings on top of HOST=127.0.0.1, PORT=0 and LOG_LEVEL=info; nothing else is inherited but PATH. */
  readonly env?: Record<string, string>;
  readonly args?: string[];
}

// tap ends a file that runs past its timeout with a signal (SIGALRM), running
// no teardowns and no 'exit' listeners: no daemon may outlive the test process
// that started it. signal-exit (as tap itself uses) also runs on such a signal.
const running = new Set<ChildProcess>();
onExit(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `node src/cli.ts …` and resolves once its "listening" line says the port. */
export async function startDaemon(t: Test, options: DaemonOptions = {}): Promise<Daemon> {
  const env = childEnv({ HOST: '127.0.0.1', PORT: '0', ...options.env });
  const child = spawn(process.execPath, [CLI, ...(options.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // 'close', not 'exit': by then every line of stdout has been read into `logs`.
  running.add(child);
  const exited = once(child, 'close').then(([code, signal]) => {
    running.delete(child);
    return { code, signal } as Exit;
  });
  const logs: LogLine[] = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: 30, msg: line });
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  let stopped: Promise<Exit> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await within(exited, 'the daemon to exit on SIGTERM').catch(() => child.kill('SIGKILL'));
      }
      return exited;
    })();
    return stopped;
  };
  t.teardown(stop);

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
  const address = String((await waitForLog(LISTENING, 20_000)).address);
  const port = Number(new URL(address).port);
  return { child, port, url: `http://127.0.0.1:${port}`, logs, stderr: () => stderr, waitForLog, exited, stop };
}

export interface DaemonWithFakes extends Daemon {
  readonly metadata: FakeMetadata;
  readonly vertex: FakeVertex;
}

export interface DaemonWithFakesOptions extends DaemonOptions {
  readonly metadata?: FakeMetadataOptions;
  readonly vertex?: FakeVertexOptions;
}

/** The daemon with its credentials from a fake metadata server and its upstream a fake Vertex. */
export async function startDaemonWithFakes(t: Test, options: DaemonWithFakesOptions = {}): Promise<DaemonWithFakes> {
  // Not startFakeMetadata(): that rewrites this process's env; the daemon gets its own.
  const metadata = await new FakeMetadata(options.metadata).listen();
  t.teardown(() => metadata.close());
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token), ...options.vertex });
  t.teardown(() => vertex.close());
  const env = { ...fakeMetadataEnv(metadata.host), VERTEX_BASE_URL: vertex.baseUrl, ...options.env };
  const daemon = await startDaemon(t, { ...options, env });
  return { ...daemon, metadata, vertex };
}
