// Pure header rewriting for both directions of the proxy.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS, RESERVED_EXTRA_HEADERS } from '../config/header-names.ts';

const HOP_BY_HOP_SET: ReadonlySet<string> = new Set(HOP_BY_HOP_HEADERS);

/**
 * What a client may send on to Google: framing, content negotiation, the
 * client's identity and request id, the billing project, and Vertex's own
 * `x-vertex-ai-*` controls. Everything else (cookies, `x-forwarded-*`, `via`,
 * method overrides, IAM and routing headers) stays here.
 */
const FORWARDED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-type',
  'content-length',
  'accept',
  'accept-encoding',
  'user-agent',
  'x-request-id',
  'x-goog-user-project',
]);
const FORWARDED_REQUEST_PREFIX = 'x-vertex-ai-';

function isForwarded(name: string): boolean {
  return FORWARDED_REQUEST_HEADERS.has(name) || name.startsWith(FORWARDED_REQUEST_PREFIX);
}

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
    if (isForwarded(name) && !named.has(name)) headers[name] = client[name];
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

/**
 * Hop-by-hop headers describe the upstream connection, not the answer: the
 * client's own connection (its `Connection: close`, say) is Node's to frame.
 * Fronting proxies (nginx, Cloud Run's GFE) must not buffer a stream either.
 */
export function clientResponseHeaders<H extends IncomingHttpHeaders>(upstream: H): H {
  let headers = upstream;
  const named = connectionNamedHeaders(upstream.connection);
  for (const name of Object.keys(upstream)) {
    if (!HOP_BY_HOP_SET.has(name) && !named.has(name)) continue;
    if (headers === upstream) headers = { ...upstream };
    delete headers[name];
  }
  if (!isEventStream(headers)) return headers;
  return { ...headers, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
}

