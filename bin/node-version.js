// The Node.js version check that runs before any of the proxy's code: the
// proxy's own files need a newer Node than many systems ship (Debian's Node 20
// cannot even load `src/cli.ts`), and whatever broke first would say nothing
// useful. Plain JavaScript old Node versions can parse, no TypeScript.

import { readFileSync } from 'node:fs';

/**
 * The minimum version from package.json's `engines.node` (">=22.18.0").
 * @returns {string | undefined}
 */
export function requiredNodeVersion() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const match = /^\s*>=\s*(\d+\.\d+\.\d+)\s*$/.exec((pkg.engines && pkg.engines.node) || '');
  return match ? match[1] : undefined;
}

/**
 * The one line to print when `found` is older than `needed`, else undefined.
 * @param {string} found e.g. "20.20.2" or "v20.20.2"
 * @param {string | undefined} needed e.g. "22.18.0"
 * @param {string} [execPath] the node binary, named so the user sees which one ran
 * @returns {string | undefined}
 */
export function nodeVersionProblem(found, needed, execPath) {
  if (!needed) return undefined;
  const have = parts(found);
  const want = parts(needed);
  for (let i = 0; i < 3; i++) {
    const a = have[i] || 0;
    const b = want[i] || 0;
    if (a > b) return undefined;
    if (a < b) {
      const which = execPath ? ` (${execPath})` : '';
      return `vertex-openai-proxy needs Node.js ${needed} or newer; this is Node.js ${found.replace(/^v/, '')}${which}`;
    }
  }
  return undefined;
}

/**
 * @param {string} version
 * @returns {number[]}
 */
function parts(version) {
  return version
    .replace(/^v/, '')
    .split('.')
    .slice(0, 3)
    .map((part) => parseInt(part, 10) || 0);
}

/** Prints the problem and exits 1 when this Node is too old; returns otherwise. */
export function requireNodeVersion() {
  const problem = nodeVersionProblem(process.versions.node, requiredNodeVersion(), process.execPath);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
