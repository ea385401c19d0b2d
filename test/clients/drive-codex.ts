// A real `codex exec` pointed at a base URL through its documented config: a
// custom `model_provider` with `base_url`, `env_key`, `wire_api = "responses"`
// in a config.toml under a temporary CODEX_HOME. It runs with a minimal
// environment, every HTTP(S) proxy variable aimed at a loopback trap that
// records and refuses whatever Codex would send beyond loopback, and a hard
// time limit that kills its process group.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './drive-openai.ts';
import { CLIENT_KEY, toolLoop } from './weather.ts';

export const CODEX_PKG = '@openai/codex';
const CODEX_BIN = new URL('node_modules/@openai/codex/bin/codex.js', import.meta.url).pathname;
export const CODEX_PROMPT = 'Run `echo hi` in the shell, then tell me what it printed.';
/** What the scripted model asks Codex to run; harmless and allowed by the read-only sandbox. */
export const CODEX_COMMAND = 'echo hi';
/** Codex's shell tool (unified exec) takes one command line in `cmd`. */
export const CODEX_TOOL_CALL = { name: 'exec_command', arguments: JSON.stringify({ cmd: CODEX_COMMAND }) };
export const CODEX_FINAL_TEXT = 'The command printed: hi';
/** The model's side: run the command, then report once its output is back. */
export const codexScript = toolLoop(CODEX_TOOL_CALL, CODEX_FINAL_TEXT);

export interface CodexRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Codex's final message (`--output-last-message`). */
  readonly lastMessage: string;
  /** Every request Codex tried to send somewhere other than the base URL ("CONNECT host:443", …). */
  readonly escaped: string[];
  /** Temporary paths to blank out of anything kept (fixtures). */
  readonly replace: Record<string, string>;
}

function configToml(target: Target): string {
  return [
    `model = ${JSON.stringify(target.model)}`,
    'model_provider = "vertex-proxy"',
    'approval_policy = "never"',
    'sandbox_mode = "read-only"',
    'check_for_update_on_startup = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[features]',
    'plugins = false',
    'remote_plugin = false',
    'apps = false',
    '',
    '[model_providers.vertex-proxy]',
    'name = "Vertex AI through vertex-openai-proxy"',
    `base_url = ${JSON.stringify(target.baseURL)}`,
    'env_key = "VERTEX_PROXY_API_KEY"',
    'wire_api = "responses"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n');
}

/** An HTTP proxy on loopback that answers 403 to everything and notes what was asked. */
async function startTrap(escaped: string[]) {
  const trap = createServer((req: IncomingMessage, res) => {
    escaped.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  trap.on('connect', (req: IncomingMessage, socket: Socket) => {
    escaped.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  trap.listen(0, '127.0.0.1');
  await once(trap, 'listening');
  return { url: `http://127.0.0.1:${(trap.address() as AddressInfo).port}`, close: () => trap.close() };
}

export async function codexExec(target: Target, options: { timeoutMs?: number; prompt?: string } = {}): Promise<CodexRun> {
  // realpath: on some systems the temp dir is a symlink and Codex reports the resolved path
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'codex-home-')));
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'codex-work-')));
  writeFileSync(join(home, 'config.toml'), configToml(target));
  const lastMessageFile = join(home, 'last-message.txt');
  const escaped: string[] = [];
  const trap = await startTrap(escaped);
  const proxyVars = Object.fromEntries(
    ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'].map((name) => [name, trap.url]),
  );
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CODEX_HOME: home,
    VERTEX_PROXY_API_KEY: CLIENT_KEY,
    ...proxyVars,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  const args = ['exec', '--strict-config', '--skip-git-repo-check', '--color', 'never', '-C', work, '-o', lastMessageFile, options.prompt ?? CODEX_PROMPT];
  // detached: Codex's launcher starts the native binary as a child; the time limit kills the whole group.
  const child = spawn(process.execPath, [CODEX_BIN, ...args], { env, cwd: work, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 3_000).unref();
  }, options.timeoutMs ?? 60_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  killGroup('SIGKILL');
  trap.close();
  let lastMessage = '';
  try {
    lastMessage = readFileSync(lastMessageFile, 'utf8');
  } catch {
    // Codex ended before it had a final message
  }
  for (const dir of [home, work]) rmSync(dir, { recursive: true, force: true });
  return { code, signal, stdout, stderr, lastMessage, escaped, replace: { [work]: '<workdir>', [home]: '<codex-home>' } };
}
