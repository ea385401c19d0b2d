// CORS for origins the guard allowed: the origin reflected, the headers a page
// may read exposed, preflights answered (204) before any key check, since
// browsers send no credentials on them. The same headers @fastify/cors wrote
// with `origin: true`, without a plugin's per-request option merging.

import type { FastifyReply, FastifyRequest } from 'fastify';

/** Response headers a page may read: the request id, and when to retry. */
const EXPOSED_HEADERS = 'x-request-id, retry-after';
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
/** How long a browser may reuse a preflight answer. */
export const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** Adds CORS headers; answers a preflight and returns true, else returns false (the request goes on). */
export function answerCors(request: FastifyRequest, reply: FastifyReply): boolean {
  // Vary on every answer: a cache must not serve one origin's answer to another.
  reply.header('vary', 'Origin');
  reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  const origin = request.headers.origin;
  if (origin !== undefined) reply.header('access-control-allow-origin', origin);
  // The guard has let through only real preflights (Origin and Access-Control-Request-Method).
  if (request.method !== 'OPTIONS') return false;
  reply.header('access-control-allow-methods', ALLOWED_METHODS);
  reply.header('vary', 'Origin, Access-Control-Request-Headers');
  const requested = request.headers['access-control-request-headers'];
  if (requested !== undefined) reply.header('access-control-allow-headers', requested);
  reply.header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
  reply.code(204).header('content-length', '0').send();
  return true;
}
