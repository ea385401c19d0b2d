// Runs the real CLI (`node src/cli.ts …`) in a child process with an explicit
// environment (nothing inherited but PATH), bounded in time, and a daemon
// started that way with its log lines and listening address.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh HOME and CLOUDSDK_CONFIG: no gcloud ADC file unless a test writes one. */
export function isolatedHome(): { HOME: string; CLOUDSDK_CONFIG: string } {
  const home = mkdtempSync(join(tmpdir(), 'vop-cli-'));
  const gcloud = join(home, 'gcloud');
  mkdirSync(gcloud);
  return { HOME: home, CLOUDSDK_CONFIG: gcloud };
}

/** Environment for a child that reaches Google only through the given fake metadata host. */
export function fakeMetadataEnv(metadataHost: string): Record<string, string> {
  return { ...isolatedHome(), GCE_METADATA_HOST: metadataHost, METADATA_SERVER_DETECTION: 'assume-present' };
}

function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env };
}

export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface Daemon {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** Starts `node src/cli.ts start …` on a free port and waits for its "listening" line. */
export async function startDaemon(t: Test, env: Record<string, string>, args: string[] = []): Promise<Daemon> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: childEnv({ HOST: '127.0.0.1', PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let buffered = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parseLine(line);
        logs.push(entry);
        if (entry.msg === 'vertex-openai-proxy listening') resolve(String(entry.address));
      }
    });
    child.once('close', (code) => reject(new Error(`daemon exited (${code}) before listening: ${stderr}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  let exited: Promise<number | null> | undefined;
  const stop = () => {
    exited ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const [code] = (await once(child, 'close')) as [number | null];
        return code;
      }
      return child.exitCode;
    })();
    return exited;
  };
  t.teardown(async () => {
    clearTimeout(timer);
    await stop();
  });
  const address = await listening;
  clearTimeout(timer);
  const port = Number(new URL(address).port);
  return { child, url: `http://127.0.0.1:${port}`, port, logs, stop };
}

function parseLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { msg: line };
  }
}
