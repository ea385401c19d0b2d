#!/usr/bin/env node
// `npm start`: the same Node.js version check as the installed command, then
// the CLI straight from the TypeScript sources (Node strips the types).

import { requireNodeVersion } from './node-version.js';

requireNodeVersion();
import('../src/cli.ts');
