// Installing the committed HEAD from git into a folder, as npx does: npm
// clones it, installs its dev dependencies from a loopback registry fed by the
// lockfile and npm's cache, builds dist/ on `prepare`, and the installed
// `vertex-openai-proxy` binary runs. The tarball install is in npm-pack.test.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isolatedHome } from '../helpers/cli.ts';
import { lockfileRegistry, npmEnv, PKG, ROOT, run } from '../helpers/npm-run.ts';

// The clone installs ~400 packages and builds twice.
t.setTimeout(360_000);

t.test('installing from git builds dist/ on prepare: the installed binary works', async (t) => {
  const env = npmEnv();
  const head = await run('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { env });
  if (head.code !== 0) {
    t.comment('skipped: not a git checkout');
    return;
  }
  // npm installs the dev dependencies in its clone to run `prepare`.
  const registry = await lockfileRegistry(t, { dev: true });
  if (!registry) return;
  const work = mkdtempSync(join(tmpdir(), 'vop-git-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  writeFileSync(join(work, 'npmrc'), '');
  // The committed HEAD, as a clone sees it. (A global install from git is broken
  // in npm itself — npm/cli#8440: no dev dependencies for prepare — so the
  // README sends global installs through the tarball; into a folder, as npx does, it works.)
  const install = await run(
    'npm',
    ['install', '--prefix', join(work, 'app'), '--registry', registry.url, '--cache', join(work, 'npm-cache'), '--userconfig', join(work, 'npmrc'), '--no-audit', '--no-fund', `git+file://${ROOT}`],
    { env },
  );
  t.equal(install.code, 0, 'npm install --prefix DIR git+file://…', { stderr: install.stderr });
  const version = await run(join(work, 'app', 'node_modules', '.bin', 'vertex-openai-proxy'), ['--version'], { env: npmEnv(isolatedHome()) });
  t.equal(version.stdout, `${PKG.version}\n`, 'the binary from git runs', { stderr: version.stderr });
});
