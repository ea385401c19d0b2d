// Pure header rewriting for both directions of the proxy.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS, RESERVED_EXTRA_HEADERS } from '../config/header-names.ts';

/** Client credentials meant for OpenAI or for us, never for Google. */
const CLIENT_CREDENTIAL_HEADERS = [
  'authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'openai-organization',
  'openai-project',
];

const STRIPPED_REQUEST_HEADERS = new Set([...CLIENT_CREDENTIAL_HEADERS, ...HOP_BY_HOP_HEADERS]);

export interface UpstreamAuth {
  readonly token: string;
  readonly quotaProject?: string | undefined;
  /** Extra headers from config, e.g. for dedicated endpoints. */
  readonly extra?: Readonly<Record<string, string>> | undefined;
}

export function upstreamRequestHeaders(client: IncomingHttpHeaders, auth: UpstreamAuth): IncomingHttpHeaders {
  const named = connectionNamedHeaders(client.connection);
  const headers: IncomingHttpHeaders = {};
  for (const name of Object.keys(client)) {
    if (!STRIPPED_REQUEST_HEADERS.has(name) && !named.has(name)) headers[name] = client[name];
  }
  for (const [name, value] of Object.entries(auth.extra ?? {})) {
    if (!RESERVED_EXTRA_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  headers.authorization = `Bearer ${auth.token}`;
  if (auth.quotaProject) headers['x-goog-user-project'] = auth.quotaProject;
  return headers;
}

function connectionNamedHeaders(connection: string | string[] | undefined): Set<string> {
  if (!connection) return new Set();
  const value = Array.isArray(connection) ? connection.join(',') : connection;
  return new Set(value.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean));
}

export function isEventStream(headers: IncomingHttpHeaders | OutgoingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream');
}

/** Fronting proxies (nginx, Cloud Run's GFE) must not buffer a stream either. */
export function clientResponseHeaders<H extends IncomingHttpHeaders>(upstream: H): H {
  if (!isEventStream(upstream)) return upstream;
  return { ...upstream, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
}
