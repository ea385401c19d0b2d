// The command line: flags, commands, and exit codes. The daemon itself
// is in server/; the other commands are beside this file.

import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/load.ts';
import { silenceMetadataLookupWarnings } from '../observability/process-warnings.ts';
import { listenFailure } from '../server/listen-errors.ts';
import { EXIT_CONFIG, EXIT_USAGE } from '../server/exit-codes.ts';
import { detectShell, openAIVariables, renderEnv, SHELLS, type Shell } from './env.ts';
import { parseFlags, UsageError } from './flags.ts';
import { healthcheck } from './healthcheck.ts';

// The daemon and `check` load Fastify and google-auth-library; `healthcheck`
// (run by the container every few seconds) and `env` start without them.
const DEFAULT_CHECK_MODEL = 'google/gemini-3.5-flash';

const HELP = `Usage: vertex-openai-proxy [command] [options]

An OpenAI-compatible endpoint on localhost that forwards to Vertex AI with
Application Default Credentials.

Commands:
  start              run the daemon in the foreground (the default)
  env                print shell lines that point OpenAI tools at the proxy:
                       eval "$(vertex-openai-proxy env)"
  check              find credentials as the daemon would and report them
                     (never the token); exit code 0 only if all is well
  healthcheck        exit 0 when the local daemon's /healthz answers 200
  service install    start the daemon at login and after failures, with the
                     settings in force now (a systemd user unit on Linux, a
                     launchd agent on macOS; never root)
  service uninstall  stop it and remove it
  service status     is it installed and running, and where are its logs

Options (every command):
  --config <file>    config file (JSON or YAML); same as PROXY_CONFIG
  --host <host>      listen address (default 127.0.0.1); same as HOST
  --port <port>      listen port (default 8765); same as PORT
  -h, --help         show this help
  -v, --version      show the version

start:
  --metadata-server  also serve the GCE metadata token paths (loopback only),
                     so Google SDKs with GCE_METADATA_HOST=<host:port> share
                     the proxy's token; same as PROXY_METADATA_SERVER=true
env:
  --shell <shell>    sh, fish or powershell (default: from $SHELL)
check:
  --request          also send one tiny chat request and report its status
  --model <model>    the model for --request (default ${DEFAULT_CHECK_MODEL})
`;

const COMMANDS = ['start', 'env', 'check', 'healthcheck', 'service'] as const;
type Command = (typeof COMMANDS)[number];

const OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  'metadata-server': { type: 'boolean' },
  shell: { type: 'string' },
  request: { type: 'boolean' },
  model: { type: 'string' },
} as const;

/** Options that mean something only to one command. */
const COMMAND_OPTIONS: Record<string, Command> = { 'metadata-server': 'start', shell: 'env', request: 'check', model: 'check' };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = parseCommand(positionals);
  for (const [option, owner] of Object.entries(COMMAND_OPTIONS)) {
    if (values[option as keyof typeof values] !== undefined && owner !== command) {
      throw new UsageError(`--${option} belongs to the ${owner} command`);
    }
  }
  const load = () =>
    loadConfig({
      env: process.env,
      flags: {
        config: values.config,
        host: values.host,
        port: values.port,
        metadataServer: values['metadata-server'] ? 'true' : undefined,
      },
    });

  if (command === 'env') {
    process.stdout.write(renderEnv(openAIVariables(load()), parseShell(values.shell)));
    return 0;
  }
  if (command === 'healthcheck') {
    const result = await healthcheck(load());
    (result.ok ? process.stdout : process.stderr).write(`${result.message}\n`);
    return result.ok ? 0 : 1;
  }
  if (command === 'check') {
    const { runCheck } = await import('./check.ts');
    // Its cause is reported below, as "credentials: NOT FOUND".
    silenceMetadataLookupWarnings();
    const ok = await runCheck({
      config: load(),
      request: values.request ?? false,
      model: values.model ?? DEFAULT_CHECK_MODEL,
      print: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(ok ? 'OK\n' : 'FAILED\n');
    return ok ? 0 : 1;
  }
  if (command === 'service') {
    const { runServiceCommand } = await import('./service-cli.ts');
    return runServiceCommand(positionals[1], { config: values.config, host: values.host, port: values.port }, load);
  }
  const [{ startServer }, { exitOnSignals, keepServingOnStrayErrors }] = await Promise.all([import('../server/start.ts'), import('../server/signals.ts')]);
  const server = await startServer(load(), { reloadConfig: load });
  keepServingOnStrayErrors(server.app.log);
  exitOnSignals(server);
  return -1;
}

function parseCommand(positionals: string[]): Command {
  // `service` alone takes an action: service install|uninstall|status.
  if (positionals.length > (positionals[0] === 'service' ? 2 : 1)) throw new UsageError(`unexpected argument "${positionals.at(-1)}"`);
  const command = positionals[0] ?? 'start';
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"; commands: ${COMMANDS.join(', ')} (see --help)`);
  }
  return command as Command;
}

function parseShell(shell: string | undefined): Shell {
  // $SHELL is the user's login shell: the caller's own environment, not proxy config.
  if (shell === undefined) return detectShell(process.env.SHELL);
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`--shell must be one of ${SHELLS.join(', ')}`);
  return shell as Shell;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    // A taken port and the like: one line and an exit code of its own, no stack.
    const listen = listenFailure(err);
    if (listen) {
      process.stderr.write(`vertex-openai-proxy: ${listen.message}\n`);
      process.exitCode = listen.exitCode;
      return;
    }
    const known = err instanceof ConfigError || err instanceof UsageError;
    process.stderr.write(`vertex-openai-proxy: ${known ? (err as Error).message : String((err as Error).stack ?? err)}\n`);
    process.exitCode = err instanceof ConfigError ? EXIT_CONFIG : known ? EXIT_USAGE : 1;
  },
);
