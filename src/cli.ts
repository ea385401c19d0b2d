#!/usr/bin/env node
// The command's entry point, kept at this path so `node src/cli.ts` and the
// packaged `dist/cli.js` stay what the README, the image and the probes run.
// Everything else is in cli/main.ts.

import './cli/main.ts';
