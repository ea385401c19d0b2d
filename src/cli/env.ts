// `vertex-openai-proxy env`: the lines that point OpenAI tools at this proxy,
// in the user's shell's syntax, so `eval "$(vertex-openai-proxy env)"` works.

import type { Config } from '../config/load.ts';
import { bracketedHost } from '../config/values.ts';

export type Shell = 'sh' | 'fish' | 'powershell';
export const SHELLS: readonly Shell[] = ['sh', 'fish', 'powershell'];

/** From `$SHELL`'s name; PowerShell on Windows, where `$SHELL` is usually unset. */
export function detectShell(shellPath: string | undefined, platform: NodeJS.Platform = process.platform): Shell {
  const name = (shellPath ?? '').split(/[\\/]/).pop()?.toLowerCase().replace(/\.exe$/, '') ?? '';
  if (name === 'fish') return 'fish';
  if (name === 'pwsh' || name === 'powershell') return 'powershell';
  if (name === '' && platform === 'win32') return 'powershell';
  return 'sh';
}

/** The address clients dial: a wildcard listen address is reached on loopback. */
export function clientHost(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1';
  if (listenHost === '::' || listenHost === '[::]') return '[::1]';
  return bracketedHost(listenHost);
}

export function openAIVariables(config: Pick<Config, 'host' | 'port' | 'apiKeys'>): Record<string, string> {
  return {
    OPENAI_BASE_URL: `http://${clientHost(config.host)}:${config.port}/v1`,
    // Any value works without PROXY_API_KEY; OpenAI SDKs refuse to start with none.
    OPENAI_API_KEY: config.apiKeys[0] ?? 'unused',
  };
}

export function renderEnv(variables: Record<string, string>, shell: Shell): string {
  const entries = Object.entries(variables);
  if (shell === 'fish') return entries.map(([name, value]) => `set -gx ${name} ${fishQuote(value)};`).join('\n') + '\n';
  if (shell === 'powershell') return entries.map(([name, value]) => `$env:${name} = ${psQuote(value)}`).join('\n') + '\n';
  return `export ${entries.map(([name, value]) => `${name}=${shQuote(value)}`).join(' ')}\n`;
}

const PLAIN = /^[\w@%+=:,./-]+$/;

function shQuote(value: string): string {
  return PLAIN.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

function fishQuote(value: string): string {
  return PLAIN.test(value) ? value : `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function psQuote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
