// The Node.js version check that runs before any of our code: the rule as a
// table, then the real launchers (the installed binary and `npm start`) run by
// every older Node found on PATH, such as Debian's Node 20.

import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { nodeVersionProblem, requiredNodeVersion } from '../bin/node-version.js';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: { start: string }; bin: Record<string, string> };

t.test('the needed version is the one package.json names', async (t) => {
  t.equal(pkg.engines.node, '>=22.18.0');
  t.equal(requiredNodeVersion(), '22.18.0');
});

t.test('older versions get one line naming both versions; newer ones pass', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['v20.20.2', 'vertex-openai-proxy needs Node.js 22.18.0 or newer; this is Node.js 20.20.2 (/usr/bin/node)'],
    ['22.17.9', 'vertex-openai-proxy needs Node.js 22.18.0 or newer; this is Node.js 22.17.9 (/usr/bin/node)'],
    ['18.0.0', 'vertex-openai-proxy needs Node.js 22.18.0 or newer; this is Node.js 18.0.0 (/usr/bin/node)'],
    ['22.18.0', undefined],
    ['22.19.0', undefined],
    ['23.0.0', undefined],
    ['24.11.1', undefined],
  ];
  for (const [found, problem] of cases) t.equal(nodeVersionProblem(found, '22.18.0', '/usr/bin/node'), problem, found);
  t.equal(nodeVersionProblem('20.0.0', undefined), undefined, 'no check when engines names no minimum');
});

t.test('both entry points people run check first: the bin and npm start', async (t) => {
  t.equal(pkg.bin['vertex-openai-proxy'], 'bin/vertex-openai-proxy.js');
  t.equal(pkg.scripts.start, 'node bin/from-source.js');
  for (const launcher of ['bin/vertex-openai-proxy.js', 'bin/from-source.js']) {
    const text = readFileSync(join(root, launcher), 'utf8');
    t.ok(text.indexOf('requireNodeVersion()') < text.indexOf('import('), `${launcher}: the check runs before the CLI is loaded`);
  }
});

/** Every `node` on PATH older than the needed version, with its version. */
async function olderNodes(): Promise<Array<{ path: string; version: string }>> {
  const found = new Map<string, string>();
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      // The real file: /bin/node is often a link to /usr/bin/node, and node names its real path.
      const path = realpathSync(join(dir, 'node'));
      accessSync(path, constants.X_OK);
      const { stdout } = await promisify(execFile)(path, ['-p', 'process.versions.node'], { timeout: 10_000 });
      const version = stdout.trim();
      if (nodeVersionProblem(version, requiredNodeVersion())) found.set(path, version);
    } catch {
      // not there, or not a working node
    }
  }
  return [...found].map(([path, version]) => ({ path, version }));
}

t.test('an older Node running the launchers prints the one line and exits 1', async (t) => {
  const nodes = await olderNodes();
  if (nodes.length === 0) {
    t.comment('skipped: no Node older than 22.18 on PATH');
    return;
  }
  for (const { path, version } of nodes) {
    for (const launcher of ['bin/vertex-openai-proxy.js', 'bin/from-source.js']) {
      const result = await promisify(execFile)(path, [join(root, launcher), '--version'], { timeout: 10_000 }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      t.equal(result.code, 1, `${path} ${launcher}: exit 1`);
      t.equal(result.stderr, `vertex-openai-proxy needs Node.js 22.18.0 or newer; this is Node.js ${version} (${path})\n`, 'one line');
      t.equal(result.stdout, '');
    }
  }
});
