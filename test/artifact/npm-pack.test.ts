// The npm package as a user gets it: `npm pack` in a copy of the project
// without dist/ (so the tarball's dist/ can only come from `prepare`), the
// tarball's file list, then `npm install --global` of that tarball into a
// temporary prefix — its dependencies from a loopback registry fed by the
// lockfile and npm's cache — and the installed `vertex-openai-proxy` binary
// run for real: --version, env, start and stop. Installing from git is in
// git-install.test.ts. (This folder's name sorts first on purpose: tap starts
// test files in name order, and these two are the longest.)

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { isolatedHome } from '../helpers/cli.ts';
import { FakeMetadata } from '../helpers/fake-metadata.ts';
import { lockfileRegistry, npmEnv, PKG, ROOT, run } from '../helpers/npm-run.ts';
import { within } from '../helpers/wait.ts';

// Packing compiles the project and installing unpacks ~90 packages.
t.setTimeout(360_000);

/** What a fresh checkout lacks: build output, installed packages, test and coverage output, tarballs. */
const NOT_IN_A_CHECKOUT = /^(dist|\.git|\.tap|coverage)(\/|$)|(^|\/)node_modules(\/|$)|\.tgz$/;

/**
 * The project as a fresh checkout has it, with node_modules linked in for the
 * build. Packing there leaves this checkout's dist/ alone, which other test
 * files run meanwhile (the README's `npx vertex-openai-proxy env`).
 */
function checkoutCopy(dest: string): void {
  cpSync(ROOT, dest, { recursive: true, filter: (source) => !NOT_IN_A_CHECKOUT.test(relative(ROOT, source)) });
  symlinkSync(join(ROOT, 'node_modules'), join(dest, 'node_modules'));
}

t.test('npm pack builds dist/ and ships only what runs; the installed binary works', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'vop-pack-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const env = npmEnv();
  const project = join(work, 'project');
  checkoutCopy(project);

  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: project, env });
  t.equal(pack.code, 0, 'npm pack', { stderr: pack.stderr });
  const listing = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('\n[') + 1 || pack.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  const files = listing[0].files.map((file) => file.path).sort();
  for (const path of ['LICENSE', 'README.md', 'package.json', 'bin/vertex-openai-proxy.js', 'bin/node-version.js', 'dist/cli.js', 'config/default-models.yaml']) {
    t.ok(files.includes(path), `ships ${path}`);
  }
  const outside = files.filter((path) => !/^(LICENSE|README\.md|package\.json|bin\/(vertex-openai-proxy|node-version)\.js|dist\/.+\.js|config\/[^/]+\.ya?ml)$/.test(path));
  t.same(outside, [], 'nothing else: no sources, tests, source maps or tsconfigs');

  const registry = await lockfileRegistry(t);
  if (!registry) return;

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
  t.notOk(existsSync(join(prefix, 'lib', 'node_modules', PKG.name, 'node_modules', 'typescript')), 'no dev dependencies installed');

  const home = isolatedHome();
  const version = await run(bin, ['--version'], { env: npmEnv(home) });
  t.equal(version.stdout, `${PKG.version}\n`, '--version', { stderr: version.stderr });
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
