// A daemon on localhost that spends the user's Google credentials is a target
// for web pages in the user's own browser (DNS rebinding, cross-origin POSTs).
// These checks run before anything else touches a request.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bracketedHost } from '../config/values.ts';
import { ProxyError, sendError } from '../errors/proxy-error.ts';
import { answerCors } from './cors.ts';

export interface GuardOptions {
  /** The address the daemon listens on; clients may name it in `Host`. */
  readonly listenHost: string;
  readonly allowedHosts: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly apiKeys: readonly string[];
}

// Each route may relax the checks in its config (`app.get(path, { config: { anyHost: true } }, …)`).
declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered whatever the `Host`: probes and scrapes come by pod IP or service name. */
    anyHost?: boolean;
    /** No API key needed (probes; the metadata paths, whose clients cannot send one). */
    noKey?: boolean;
    /** Answered for a foreign `Host` only with the API key (/metrics: scrapes by pod IP send it). */
    anyHostWithKey?: boolean;
  }
  interface FastifyRequest {
    /**
     * Came by a `Host` this proxy does not serve, without the API key: a web
     * page after DNS rebinding looks like this. `anyHost` routes answer it
     * without details.
     */
    foreignHost: boolean;
  }
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/** The host part of a `Host` header or URL host, lowercased, without port. */
export function hostOnly(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * Whether a request came with more than one `Host` header. Node keeps the
 * first in `headers.host` and drops the rest, but a front end or cache before
 * us may have read another: RFC 9112 §3.2 requires a 400. One pass over the
 * raw names, allocating nothing for the usual spellings.
 */
export function hasDuplicateHost(rawHeaders: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 4 || (name !== 'Host' && name !== 'host' && name.toLowerCase() !== 'host')) continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

export function allowedHostSet(listenHost: string, allowedHosts: readonly string[]): Set<string> | 'any' {
  if (allowedHosts.includes('*')) return 'any';
  const listen = bracketedHost(listenHost);
  const hosts = [...LOOPBACK_HOSTS, ...allowedHosts.map((name) => hostOnly(bracketedHost(name)))];
  if (!WILDCARD_ADDRESSES.has(listen)) hosts.push(hostOnly(listen));
  return new Set(hosts);
}

export function isAllowedOrigin(origin: string, corsOrigins: readonly string[]): boolean {
  if (corsOrigins.includes('*')) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (/^https?:$/.test(url.protocol) && LOOPBACK_HOSTS.includes(url.hostname)) return true;
  return corsOrigins.includes(url.origin);
}

export function createKeyCheck(apiKeys: readonly string[]): (presented: string | undefined) => boolean {
  const digest = (key: string) => createHash('sha256').update(key).digest();
  const expected = apiKeys.map(digest);
  return (presented) => {
    if (presented === undefined) return false;
    const candidate = digest(presented);
    // Compare against every key so timing does not reveal which one matched.
    let match = false;
    for (const key of expected) match = timingSafeEqual(key, candidate) || match;
    return match;
  };
}

export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && /^bearer /i.test(authorization)) return authorization.slice(7).trim();
  const apiKey = request.headers['api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

async function guard(app: FastifyInstance, options: GuardOptions): Promise<void> {
  const hosts = allowedHostSet(options.listenHost, options.allowedHosts);
  const keyMatches = options.apiKeys.length > 0 ? createKeyCheck(options.apiKeys) : undefined;

  /** Why `request` may not go on, or undefined when it may. */
  function refusal(request: FastifyRequest): ProxyError | undefined {
    // An absolute-form target (`POST http://host/...`) names its own host, which
    // a forward proxy would obey. We are not one: only `/path` targets are served.
    if (!request.url.startsWith('/')) {
      return new ProxyError('invalid_request_target');
    }
    const hostHeader = request.headers.host;
    if (hostHeader === undefined && request.raw.httpVersionMinor !== 0) return new ProxyError('missing_host');
    // The Host checked below must be the only one: a second could name another site.
    if (hostHeader !== undefined && hasDuplicateHost(request.raw.rawHeaders)) return new ProxyError('duplicate_host');
    const policy = request.routeOptions.config;
    const host = hostOnly(hostHeader ?? '');
    if (hosts !== 'any' && !hosts.has(host)) {
      const keyed = (policy?.anyHost || policy?.anyHostWithKey) && keyMatches?.(presentedKey(request)) === true;
      if (!policy?.anyHost && !keyed) return new ProxyError('host_not_allowed', host);
      request.foreignHost = !keyed;
    }
    // Every route, probes included: /readyz names the project, so web pages may not read it.
    const origin = request.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, options.corsOrigins)) {
      return new ProxyError('origin_not_allowed', origin);
    }
    if (policy?.noKey) return undefined;
    if (request.method === 'OPTIONS') {
      // Browsers send no credentials on a preflight; any other OPTIONS is refused.
      const preflight = origin !== undefined && request.headers['access-control-request-method'] !== undefined;
      return preflight ? undefined : new ProxyError('invalid_preflight');
    }
    if (keyMatches && !keyMatches(presentedKey(request))) {
      return new ProxyError('invalid_api_key');
    }
    return undefined;
  }

  app.decorateRequest('foreignHost', false);

  // Callback style: on the hot path, an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    const denial = refusal(request);
    if (denial) return void sendError(reply, denial);
    // Origins that reach this point passed the check above, so CORS may reflect them.
    if (!answerCors(request, reply)) done();
  });

  // Preflights are answered by the hook; the route only lets them be routed.
  app.options('*', (_request, reply) => reply.send());
}

export const localSafety = fp(guard, { name: 'local-safety' });
