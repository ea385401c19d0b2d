// podman from tests: run a command and get its result, start a container that
// is removed at teardown, wait for it to serve, measure an image.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import type { Test } from 'tap';
import { freePort } from '../helpers/loopback.ts';

/** runc and cgroupfs by default: they also work where crun fails on hybrid cgroup hierarchies. */
const command = (process.env.PODMAN ?? 'podman --runtime /usr/sbin/runc --cgroup-manager=cgroupfs').split(/\s+/).filter(Boolean);

/** Ulimits within what a container host may allow (podman's defaults can exceed it); `run` and `build` use them. */
export const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function podman(...args: string[]): Promise<Result> {
  const [program = 'podman', ...base] = command;
  try {
    const { stdout, stderr } = await promisify(execFile)(program, [...base, ...args], { timeout: 60_000 });
    return { code: 0, stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout?.trim() ?? '', stderr: failed.stderr?.trim() ?? '' };
  }
}

/** Polls until `check` holds; bounded so a broken container fails the test, not hangs it. */
export async function waitFor(what: string, check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface Container {
  readonly name: string;
  readonly origin: string;
  logs(): Promise<string>;
}

/**
 * Runs `image` detached on the host's network, listening on a free loopback
 * port, and waits until /healthz answers. Removed at teardown.
 */
export async function runContainer(t: Test, image: string, env: Record<string, string>, options: string[] = []): Promise<Container> {
  const port = await freePort();
  const name = `vertex-openai-proxy-test-${process.pid}-${port}`;
  const envArgs = Object.entries({ ...env, HOST: '127.0.0.1', PORT: String(port) }).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const run = await podman('run', '--detach', '--name', name, '--network=host', ...ULIMITS, ...options, ...envArgs, image);
  t.teardown(async () => {
    await podman('rm', '--force', '--time', '0', name);
  });
  if (run.code !== 0) throw new Error(`podman run failed: ${run.stderr}`);
  const container = { name, origin: `http://127.0.0.1:${port}`, logs: async () => (await podman('logs', name)).stdout };
  try {
    await waitFor(`${name} to serve /healthz`, async () => (await fetch(`${container.origin}/healthz`)).ok);
  } catch (err) {
    t.comment(await container.logs());
    throw err;
  }
  return container;
}

/** The image as a registry would store it: its layers, gzip-compressed. */
export async function compressedImageBytes(image: string): Promise<number> {
  const [program = 'podman', ...base] = command;
  const save = spawn(program, [...base, 'image', 'save', '--format', 'docker-archive', image], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  const gzip = save.stdout.pipe(createGzip());
  gzip.on('data', (data: Buffer) => (bytes += data.length));
  await once(gzip, 'end');
  return bytes;
}
