// What the package tests (test/artifact/) share: npm, git and the installed
// binaries run with this process's environment minus what an enclosing
// `npm test` exports, bounded in time, the outcome as data; and the loopback
// registry that serves the locked dependencies from npm's cache.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { FakeNpmRegistry } from './fake-npm-registry.ts';
import { pathWithoutHostGcloud } from './no-gcloud.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * This process's environment without the npm_* settings an enclosing `npm test`
 * exports, node first on PATH (after the stand-in gcloud), and tap's coverage
 * recorder off: tap puts it in every child process, but npm, tsc and the
 * packaged dist/ are not src/, and recording them made npm and tsc a third slower.
 */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  const path = pathWithoutHostGcloud(`${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`);
  return { ...env, PATH: path, _TAPJS_PROCESSINFO_COVERAGE_: '0', ...extra };
}

export async function run(program: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(program, args, { ...options, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/**
 * The loopback registry for the lockfile's packages (`dev`: the dev
 * dependencies too), listening and closed at teardown; undefined, with a
 * comment, when npm's cache lacks a locked package (run `npm ci` first).
 */
export async function lockfileRegistry(t: Test, options: { dev?: boolean } = {}): Promise<FakeNpmRegistry | undefined> {
  const npmCache = (await run('npm', ['config', 'get', 'cache'], { env: npmEnv() })).stdout.trim();
  const registry = new FakeNpmRegistry(join(ROOT, 'package-lock.json'), npmCache, options);
  if (registry.missing.length > 0) {
    t.comment(`skipped: npm's cache lacks ${registry.missing.length} locked packages (${registry.missing.slice(0, 3).join(', ')}…): run npm ci first`);
    return undefined;
  }
  await registry.listen();
  t.teardown(() => registry.close());
  return registry;
}
