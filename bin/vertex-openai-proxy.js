#!/usr/bin/env node
// The installed `vertex-openai-proxy` command: checks the Node.js version
// first, then loads the compiled CLI (dist/, built by `npm run build`, which
// npm runs on install from a checkout or git and before packing).

import { requireNodeVersion } from './node-version.js';

requireNodeVersion();
const cli = new URL('../dist/cli.js', import.meta.url);
import(cli.href).catch((err) => {
  // A checkout installed with --ignore-scripts has no dist/ yet.
  const missing = err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(cli.pathname);
  process.stderr.write(missing ? `vertex-openai-proxy: ${cli.pathname} is missing; run \`npm run build\` in the package\n` : `${(err && err.stack) || err}\n`);
  process.exitCode = 1;
});
