// The npm package as a user gets it: `npm pack` (which builds dist/ on
// `prepare`), the tarball's file list, then `npm install --global` of that
// tarball into a temporary prefix — its dependencies from a loopback registry
// fed by the lockfile and npm's cache — and the installed
// `vertex-openai-proxy` binary run for real: --version, env, start and stop.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import t from 'tap';
import { isolatedHome } from './helpers/cli.ts';
import { FakeMetadata } from './helpers/fake-metadata.ts';
import { FakeNpmRegistry } from './helpers/fake-npm-registry.ts';
import { pathWithoutHostGcloud } from './helpers/no-gcloud.ts';
import { within } from './helpers/wait.ts';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };

// Packing compiles the project and installing unpacks ~90 packages.
t.setTimeout(180_000);

/** This process's environment without the npm_* settings an enclosing `npm test` exports, node first on PATH (after the stand-in gcloud). */
function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, PATH: pathWithoutHostGcloud(`${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`), ...extra };
}

async function run(program: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(program, args, { ...options, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

t.test('npm pack builds dist/ and ships only what runs; the installed binary works', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'vop-pack-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const env = npmEnv();

  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, env });
  t.equal(pack.code, 0, 'npm pack', { stderr: pack.stderr });
  const listing = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('\n[') + 1 || pack.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  const files = listing[0].files.map((file) => file.path).sort();
  for (const path of ['LICENSE', 'README.md', 'package.json', 'bin/vertex-openai-proxy.js', 'bin/node-version.js', 'dist/cli.js', 'config/default-models.yaml']) {
    t.ok(files.includes(path), `ships ${path}`);
  }
  const outside = files.filter((path) => !/^(LICENSE|README\.md|package\.json|bin\/(vertex-openai-proxy|node-version)\.js|dist\/.+\.js|config\/[^/]+\.ya?ml)$/.test(path));
  t.same(outside, [], 'nothing else: no sources, tests, source maps or tsconfigs');

  const npmCache = (await run('npm', ['config', 'get', 'cache'], { env })).stdout.trim();
  const registry = new FakeNpmRegistry(join(root, 'package-lock.json'), npmCache);
  if (registry.missing.length > 0) {
    t.comment(`skipped: npm's cache lacks ${registry.missing.length} locked packages (${registry.missing.slice(0, 3).join(', ')}…): run npm ci first`);
    return;
  }
  await registry.listen();
  t.teardown(() => registry.close());

  const prefix = join(work, 'prefix');
  const npmrc = join(work, 'npmrc');
  writeFileSync(npmrc, '');
  const install = await run(
    'npm',
    ['install', '--global', '--prefix', prefix, '--registry', registry.url, '--cache', join(work, 'npm-cache'), '--userconfig', npmrc, '--no-audit', '--no-fund', join(work, listing[0].filename)],
    { env },
  );
  t.equal(install.code, 0, 'npm install --global <tarball>', { stderr: install.stderr });
  const bin = join(prefix, 'bin', 'vertex-openai-proxy');
  t.ok(existsSync(bin), `the binary is linked at ${bin}`);
  t.ok(registry.requests.some((path) => path.startsWith('/-/tarball/')), 'dependencies came from the loopback registry');
  t.notOk(existsSync(join(prefix, 'lib', 'node_modules', pkg.name, 'node_modules', 'typescript')), 'no dev dependencies installed');

  const home = isolatedHome();
  const version = await run(bin, ['--version'], { env: npmEnv(home) });
  t.equal(version.stdout, `${pkg.version}\n`, '--version', { stderr: version.stderr });
  const shellLines = await run(bin, ['env', '--shell', 'sh', '--port', '9911'], { env: npmEnv(home) });
  t.equal(shellLines.stdout, 'export OPENAI_BASE_URL=http://127.0.0.1:9911/v1 OPENAI_API_KEY=unused\n', 'env');

  // start and stop, with credentials from a fake metadata server.
  const metadata = await new FakeMetadata().listen();
  t.teardown(() => metadata.close());
  const daemon = spawn(bin, [], {
    env: npmEnv({ ...home, HOST: '127.0.0.1', PORT: '0', GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(daemon, 'close');
  t.teardown(() => {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  });
  let stderr = '';
  daemon.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const listening = new Promise<{ address: string }>((resolve) => {
    createInterface({ input: daemon.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'vertex-openai-proxy listening') resolve({ address: entry.address ?? '' });
    });
  });
  const { address } = await within(listening, 'the installed daemon to listen', 20_000).catch((err: Error) => {
    throw new Error(`${err.message}; stderr: ${stderr}`);
  });
  t.equal((await fetch(`${address}/healthz`)).status, 200, '/healthz of the installed daemon');
  const models = (await (await fetch(`${address}/v1/models`)).json()) as { data: unknown[] };
  t.ok(models.data.length > 0, "/v1/models lists the package's config/default-models.yaml");
  daemon.kill('SIGTERM');
  const [code] = (await within(exited, 'the installed daemon to exit on SIGTERM', 15_000)) as [number | null];
  t.equal(code, 0, 'exit 0 on SIGTERM');
  t.equal(stderr, '', 'nothing on stderr');
});

t.test('installing from git builds dist/ on prepare: the installed binary works', async (t) => {
  const env = npmEnv();
  const head = await run('git', ['-C', root, 'rev-parse', 'HEAD'], { env });
  if (head.code !== 0) {
    t.comment('skipped: not a git checkout');
    return;
  }
  const npmCache = (await run('npm', ['config', 'get', 'cache'], { env })).stdout.trim();
  // npm installs the dev dependencies in its clone to run `prepare`.
  const registry = new FakeNpmRegistry(join(root, 'package-lock.json'), npmCache, { dev: true });
  if (registry.missing.length > 0) {
    t.comment(`skipped: npm's cache lacks ${registry.missing.length} locked packages: run npm ci first`);
    return;
  }
  await registry.listen();
  t.teardown(() => registry.close());
  const work = mkdtempSync(join(tmpdir(), 'vop-git-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  writeFileSync(join(work, 'npmrc'), '');
  // The committed HEAD, as a clone sees it. (A global install from git is broken
  // in npm itself — npm/cli#8440: no dev dependencies for prepare — so the
  // README sends global installs through the tarball; into a folder, as npx does, it works.)
  const install = await run(
    'npm',
    ['install', '--prefix', join(work, 'app'), '--registry', registry.url, '--cache', join(work, 'npm-cache'), '--userconfig', join(work, 'npmrc'), '--no-audit', '--no-fund', `git+file://${root}`],
    { env },
  );
  t.equal(install.code, 0, 'npm install --prefix DIR git+file://…', { stderr: install.stderr });
  const version = await run(join(work, 'app', 'node_modules', '.bin', 'vertex-openai-proxy'), ['--version'], { env: npmEnv(isolatedHome()) });
  t.equal(version.stdout, `${pkg.version}\n`, 'the binary from git runs', { stderr: version.stderr });
});
