// Pure header rewriting for both directions of the proxy.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS, RESERVED_EXTRA_HEADERS } from '../config/header-names.ts';

/**
 * Headers of Google's answers about Google's own host, not about the answer:
 * relayed, a client would take them as said by the proxy's address.
 * `set-cookie`: cookies for Google's front end, which a browser would keep for
 * the proxy's host. `alt-svc` (`h3=":443"`): go to HTTP/3 on port 443 of the
 * proxy's host, where nothing of ours listens. `strict-transport-security`:
 * Google's HTTPS-only policy; browsers ignore it over plain HTTP, but behind a
 * TLS front end it would pin the deployer's name (for a year, subdomains
 * perhaps too): that front end's choice to make, not Google's.
 * `www-authenticate` (on a 401 that stands): Google's sign-in realm, which the
 * proxy's address does not serve.
 */
const UPSTREAM_ORIGIN_HEADERS: readonly string[] = ['set-cookie', 'alt-svc', 'strict-transport-security', 'www-authenticate'];

/** Upstream response headers never relayed: hop-by-hop ones and Google's origin's own. */
const NOT_RELAYED: ReadonlySet<string> = new Set([...HOP_BY_HOP_HEADERS, ...UPSTREAM_ORIGIN_HEADERS]);

/**
 * What a client may send on to Google: framing, content negotiation, the
 * client's identity and request id, the billing project, and Vertex's own
 * `x-vertex-ai-*` controls. Everything else (cookies, `x-forwarded-*`, `via`,
 * method overrides, IAM and routing headers) stays here. `Host` too: it names
 * this proxy, and undici writes the upstream's own from the origin (and takes
 * the TLS server name from the Host header when one is given).
 */
const FORWARDED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'accept',
  'accept-encoding',
  'user-agent',
  'x-request-id',
  'x-goog-user-project',
]);
const FORWARDED_REQUEST_PREFIX = 'x-vertex-ai-';

/**
 * The content codings the proxy can undo on its own copy of an answer: the
 * Gemini 3 signature tap (compat/answer-tap.ts) and error messages
 * (error-answer.ts) decode these. A client's offer of others (zstd, `*`) is
 * not passed on, so Google never picks a coding those readers cannot read.
 */
const DECODED_CODINGS: ReadonlySet<string> = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);

/** An offer of DECODED_CODINGS only (with q-values): checked without splitting, as most requests carry one. */
const ONLY_DECODED = /^(?:\s*(?:gzip|x-gzip|deflate|br|identity)\s*(?:;\s*q\s*=\s*[\d.]+\s*)?(?:,|$))*$/i;

/** `accept-encoding` with only the codings in DECODED_CODINGS; the value itself when it offers no other (the usual case). */
export function decodableAcceptEncoding(value: string): string {
  if (ONLY_DECODED.test(value)) return value;
  const offers = value.split(',');
  const kept = offers.filter((offer) => DECODED_CODINGS.has((offer.split(';', 1)[0] as string).trim().toLowerCase()));
  if (kept.length === offers.length) return value;
  return kept.length === 0 ? 'identity' : kept.map((offer) => offer.trim()).join(', ');
}

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
  for (const name in client) {
    if (isForwarded(name) && !named?.has(name)) headers[name] = client[name];
  }
  const offered = headers['accept-encoding'];
  if (typeof offered === 'string') headers['accept-encoding'] = decodableAcceptEncoding(offered);
  const extra = auth.extra;
  if (extra) {
    for (const name in extra) {
      const lower = name.toLowerCase();
      if (!RESERVED_EXTRA_HEADERS.has(lower)) headers[lower] = extra[name];
    }
  }
  headers.authorization = `Bearer ${auth.token}`;
  if (auth.quotaProject) headers['x-goog-user-project'] = auth.quotaProject;
  return headers;
}

/** Header names a Connection header lists, lowercased; undefined when it lists none (the usual case). */
function connectionNamedHeaders(connection: string | string[] | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  const value = Array.isArray(connection) ? connection.join(',') : connection;
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '' && name !== 'keep-alive' && name !== 'close');
  return names.length > 0 ? new Set(names) : undefined;
}

export function isEventStream(headers: IncomingHttpHeaders | OutgoingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream');
}

/**
 * The headers of an upstream answer a client gets: every one the answer came
 * with but those in NOT_RELAYED and those its `Connection` names. Hop-by-hop
 * headers describe the upstream connection, not the answer: the client's own
 * connection (its `Connection: close`, say) is Node's to frame. Fronting
 * proxies (nginx, Cloud Run's GFE) must not buffer a stream either. The one
 * place that decides this, for every route that relays an upstream answer.
 */
export function clientResponseHeaders<H extends IncomingHttpHeaders>(upstream: H): H {
  const named = connectionNamedHeaders(upstream.connection);
  const stream = isEventStream(upstream);
  let headers: IncomingHttpHeaders | undefined;
  for (const name in upstream) {
    if (!NOT_RELAYED.has(name) && !named?.has(name)) {
      if (headers) headers[name] = upstream[name];
      continue;
    }
    // The first header to drop: copy what came before it, once.
    if (!headers) {
      headers = {};
      for (const kept in upstream) {
        if (kept === name) break;
        headers[kept] = upstream[kept];
      }
    }
  }
  if (!stream) return (headers ?? upstream) as H;
  return { ...(headers ?? upstream), ...UNBUFFERED_STREAM_HEADERS } as unknown as H;
}

/** What every event stream the proxy sends carries, so no cache or fronting proxy holds it back. */
export const UNBUFFERED_STREAM_HEADERS = { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } as const;

