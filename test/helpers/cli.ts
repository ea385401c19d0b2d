// Runs the real CLI (`node src/cli.ts …`) in a child process with an explicit
// environment (nothing inherited but PATH), bounded in time. The daemon started
// that way is in daemon.ts.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathWithoutHostGcloud } from './no-gcloud.ts';
import { scratchDir } from './scratch-dir.ts';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh HOME and CLOUDSDK_CONFIG: no gcloud ADC file unless a test writes one. */
export function isolatedHome(prefix = 'vop-cli-'): { HOME: string; CLOUDSDK_CONFIG: string } {
  const home = scratchDir(prefix);
  const gcloud = join(home, 'gcloud');
  mkdirSync(gcloud);
  return { HOME: home, CLOUDSDK_CONFIG: gcloud };
}

/** Environment for a child that reaches Google only through the given fake metadata host. */
export function fakeMetadataEnv(metadataHost: string): Record<string, string> {
  return { ...isolatedHome(), GCE_METADATA_HOST: metadataHost, METADATA_SERVER_DETECTION: 'assume-present' };
}

/** A child's whole environment: PATH (without the host's gcloud), LOG_LEVEL=info unless `env` sets it, and `env`. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: pathWithoutHostGcloud(), LOG_LEVEL: 'info', ...env };
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
