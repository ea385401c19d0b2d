// `vertex-openai-proxy check`: find credentials the way the daemon does and
// say what was found — source, principal, project, quota project, upstream,
// token lifetime (never the token) — and, with --request, send one tiny chat
// request through the daemon's own app and upstream code. Resolves true only
// when every step worked.

import { existsSync } from 'node:fs';
import type { Config } from '../config/load.ts';
import { RouteTable } from '../config/routing.ts';
import { createAdcCredentials, type CredentialInfo, type Credentials } from '../credentials/adc-credentials.ts';
import { credentialError } from '../credentials/errors.ts';
import type { Clock } from '../credentials/token-cache.ts';
import { createLogger } from '../observability/logger.ts';
import { upstreamUrl } from '../proxy/upstream-url.ts';
import { createProxy } from '../server/create-proxy.ts';

export interface CheckOptions {
  readonly config: Config;
  /** Send one chat request too. */
  readonly request: boolean;
  readonly model: string;
  readonly print: (line: string) => void;
  readonly now?: Clock;
}

export async function runCheck(options: CheckOptions): Promise<boolean> {
  const { config, print } = options;
  const now = options.now ?? Date.now;
  const credentials = createAdcCredentials({ now, fetchTimeoutMs: config.tokenTimeoutMs });
  const row = (name: string, value: string) => print(`${`${name}:`.padEnd(15)}${value}`);

  let info: CredentialInfo;
  try {
    info = await credentials.describe();
  } catch (err) {
    row('credentials', `NOT FOUND: ${credentialError(err).message}`);
    return false;
  }
  row('credentials', `${credentialSource(config, info.type)} (${info.type})`);
  const email = await credentials.principalEmail();
  row('principal', email ?? (info.type === 'authorized_user' ? 'unknown (user credentials do not name their account; `gcloud auth list` shows it)' : 'unknown'));

  let ok = true;
  const project = config.project ?? info.projectId;
  if (project) row('project', `${project} (${config.project ? 'from settings' : 'reported by ADC'})`);
  else {
    row('project', 'NOT FOUND: set GOOGLE_CLOUD_PROJECT, or `project` in the config file (ADC reports none)');
    ok = false;
  }
  const quotaProject = config.quotaProject ?? info.quotaProject;
  row('quota project', quotaProject ? `${quotaProject} (sent as x-goog-user-project)` : 'none');

  const route = new RouteTable(config).resolve(options.model);
  for (const target of route.targets) {
    const targetProject = target.project ?? project;
    row('upstream', targetProject ? upstreamUrl({ ...target, project: targetProject }, 'chat/completions') : 'unknown until a project is set (see project)');
  }

  try {
    const token = await credentials.getToken();
    row('token', `OK, expires in ${duration(token.expiresAt - now())}`);
  } catch (err) {
    row('token', `FAILED: ${credentialError(err).message}`);
    return false;
  }

  if (options.request) ok = (await sendTinyRequest(config, credentials, options.model, row, now)) && ok;
  return ok;
}

function credentialSource(config: Config, type: string): string {
  if (type === 'metadata_server') return 'metadata server';
  const file = config.adcFile;
  if (file?.origin === 'GOOGLE_APPLICATION_CREDENTIALS') return `GOOGLE_APPLICATION_CREDENTIALS=${file.path}`;
  if (file && existsSync(file.path)) return `gcloud ADC file ${file.path}`;
  return 'ADC';
}

/** Through the daemon's own app and upstream pool: exactly what the daemon would send. */
async function sendTinyRequest(
  config: Config,
  credentials: Credentials,
  model: string,
  row: (name: string, value: string) => void,
  now: Clock,
): Promise<boolean> {
  const { app } = await createProxy(config, { logger: createLogger('silent'), credentials, now });
  try {
    const started = performance.now();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: {
        host: '127.0.0.1',
        'content-type': 'application/json',
        ...(config.apiKeys[0] ? { authorization: `Bearer ${config.apiKeys[0]}` } : {}),
      },
      payload: JSON.stringify({ model, messages: [{ role: 'user', content: 'Reply with the word OK.' }], max_tokens: 16 }),
    });
    const ms = Math.round(performance.now() - started);
    const ok = response.statusCode === 200;
    const detail = ok ? '' : `: ${errorMessage(response.body)}`;
    row('request', `POST /v1/chat/completions model=${model} -> HTTP ${response.statusCode} in ${ms} ms${detail}`);
    return ok;
  } finally {
    await app.close();
  }
}

function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: show the start of it
  }
  return body.slice(0, 300);
}

export function duration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}
