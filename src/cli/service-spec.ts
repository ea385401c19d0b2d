// What `vertex-openai-proxy service install` sets up, whatever the platform:
// the command (this very node with its flags, and entry script, absolute), the settings in
// force now (the setting variables that are set, and the few others the daemon
// or google-auth-library reads), and how long a stop may take.

import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/load.ts';
import { SETTING_ENV_NAMES } from '../config/settings.ts';
import { clientHost } from './env.ts';

export const SERVICE_NAME = 'vertex-openai-proxy';

/** A service that cannot be set up as asked; the message says why and what to do. */
export class ServiceError extends Error {}

/** Read by google-auth-library, Node or the shell rather than by our config; kept so the service behaves as the shell would. */
export const PASSED_ENV_NAMES: readonly string[] = [
  'GOOGLE_APPLICATION_CREDENTIALS',
  'CLOUDSDK_CONFIG',
  'NODE_EXTRA_CA_CERTS',
  'NODE_OPTIONS',
  // glibc's, as the container image sets it (Dockerfile).
  'MALLOC_ARENA_MAX',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  // Service managers start with a bare PATH; google-auth-library may run `gcloud` to find the project.
  'PATH',
];

/** Paths a service (started elsewhere than this shell's directory) needs absolute. */
const PATH_VALUED: ReadonlySet<string> = new Set(['PROXY_CONFIG', 'GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG', 'NODE_EXTRA_CA_CERTS']);

export interface ServiceSpec {
  readonly description: string;
  /** Absolute program, then its arguments. */
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** SIGTERM, then this long for in-flight requests before the manager kills. */
  readonly stopTimeoutSeconds: number;
}

export interface SpecSources {
  /** The node binary running now (process.execPath). */
  readonly execPath: string;
  /** The flags node runs with now (process.execArgv), such as the image's --no-concurrent-recompilation. */
  readonly execArgv?: readonly string[];
  /** The script node runs now (process.argv[1]): the installed binary. */
  readonly entry: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Flags given to `service install`, passed on to `start`. */
  readonly flags: { readonly config?: string; readonly host?: string; readonly port?: string };
  readonly config: Pick<Config, 'host' | 'port' | 'shutdownGraceMs'>;
}

export function serviceSpec(sources: SpecSources): ServiceSpec {
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(sources.cwd, path));
  const command = [absolute(sources.execPath), ...(sources.execArgv ?? []), absolute(sources.entry), 'start'];
  const { config: file, host, port } = sources.flags;
  if (file !== undefined) command.push('--config', absolute(file));
  if (host !== undefined) command.push('--host', host);
  if (port !== undefined) command.push('--port', port);

  const environment: Record<string, string> = {};
  for (const name of [...SETTING_ENV_NAMES, ...PASSED_ENV_NAMES]) {
    const value = sources.env[name];
    if (value === undefined || value.trim() === '') continue;
    // Neither a unit file line nor launchd's plist round-trips control characters safely.
    if (/[\0-\x1f\x7f]/.test(value)) throw new ServiceError(`${name} holds a line break or control character; a service cannot be given it`);
    environment[name] = PATH_VALUED.has(name) ? absolute(value.trim()) : value;
  }
  return {
    description: `vertex-openai-proxy: OpenAI-compatible endpoint for Vertex AI at http://${clientHost(sources.config.host)}:${sources.config.port}/v1`,
    command,
    environment,
    stopTimeoutSeconds: Math.ceil(sources.config.shutdownGraceMs / 1000) + 10,
  };
}
