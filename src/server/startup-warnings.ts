// What the daemon says at start when it can already tell that something is
// wrong or risky: listening beyond this machine or serving any Host name
// without an API key, and no credentials or no project (before the first
// request fails with a 503).

import { isLoopbackHost } from '../config/values.ts';

/** The warning for a listener other machines or containers can reach without a key, if any. */
export function exposureWarning(config: { readonly host: string; readonly port: number; readonly apiKeys: readonly string[] }): string | undefined {
  if (isLoopbackHost(config.host) || config.apiKeys.length > 0) return undefined;
  return (
    `listening on ${config.host}, beyond this machine, without PROXY_API_KEY: anyone who can reach port ${config.port} ` +
    'can spend your Google credentials. Set PROXY_API_KEY (clients send it as their API key), or HOST=127.0.0.1.'
  );
}

/** The warning for a Host check turned off without a key, if any: DNS rebinding can then reach the proxy. */
export function anyHostWarning(config: { readonly allowedHosts: readonly string[]; readonly apiKeys: readonly string[] }): string | undefined {
  if (!config.allowedHosts.includes('*') || config.apiKeys.length > 0) return undefined;
  return (
    'PROXY_ALLOWED_HOSTS=* without PROXY_API_KEY: the Host check that stops DNS rebinding is off, so a web page could reach ' +
    'the proxy through a name that resolves to this machine and spend your Google credentials. Name the hosts, or set PROXY_API_KEY.'
  );
}

export const NO_PROJECT_HELP =
  'No Google Cloud project: set GOOGLE_CLOUD_PROJECT where the daemon starts (or `project` in the config file, ' +
  'or `gcloud config set project PROJECT_ID`); until then requests get 503 project_unknown.';
