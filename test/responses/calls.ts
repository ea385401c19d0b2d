// The Responses routes called in-process, written once for the route tests:
// any method with a body as given (a string) or as JSON, and a create that
// must succeed for tests that only need a stored response to work on.

import type { FastifyInstance } from 'fastify';
import { JSON_HEADERS } from '../helpers/harness.ts';

type App = { readonly app: FastifyInstance };

/** A request with no body carries only the loopback Host; one with a body is JSON. */
export function call(h: App, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return h.app.inject({ method, url, headers: { ...(payload === undefined ? { host: JSON_HEADERS.host } : JSON_HEADERS), ...headers }, payload });
}

/** POST /v1/responses (or `path`), whatever it answers. */
export const create = (h: App, body: unknown, path = '/v1/responses') => call(h, 'POST', path, body);

/** POST /v1/responses that must answer 200: a failure here is the test's setup failing. */
export async function createOk(h: App, body: unknown) {
  const res = await create(h, body);
  if (res.statusCode !== 200) throw new Error(`create: ${res.statusCode} ${res.body}`);
  return res;
}
