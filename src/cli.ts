#!/usr/bin/env node
// Command-line entry point: flags, commands, and exit codes. The daemon itself
// is in server.ts.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { exitOnSignals, startServer } from './server.ts';

const HELP = `Usage: vertex-openai-proxy [options]

An OpenAI-compatible endpoint on localhost that forwards to Vertex AI with
Application Default Credentials.

Options:
  --config <file>   config file (JSON or YAML); same as PROXY_CONFIG
  --host <host>     listen address (default 127.0.0.1); same as HOST
  --port <port>     listen port (default 8765); same as PORT
  -h, --help        show this help
  -v, --version     show the version

Then: export OPENAI_BASE_URL=http://127.0.0.1:8765/v1 OPENAI_API_KEY=unused
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const load = () => loadConfig({ env: process.env, flags: { config: values.config, host: values.host, port: values.port } });
  const server = await startServer(load(), { reloadConfig: load });
  exitOnSignals(server);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (err as Error).message : String((err as Error).stack ?? err);
    process.stderr.write(`vertex-openai-proxy: ${message}\n`);
    process.exitCode = err instanceof ConfigError ? 78 : 1;
  },
);
