// Requests in tests, written once: to the app in-process (inject), or over a
// real socket (fetch) where connections, streams or timing matter.

import type { FastifyInstance } from 'fastify';
import { CHAT_BODY, JSON_HEADERS } from './harness.ts';

export const CHAT_PATH = '/v1/chat/completions';

export interface PostOptions {
  readonly path?: string;
  /** On top of a well-behaved local client's: loopback Host, JSON. */
  readonly headers?: Record<string, string>;
}

/** POSTs `body` (bytes as given, or an object as JSON) to the app in-process. */
export function post(h: { readonly app: FastifyInstance }, body: string | object = CHAT_BODY, options: PostOptions = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return h.app.inject({ method: 'POST', url: options.path ?? CHAT_PATH, headers: { ...JSON_HEADERS, ...options.headers }, payload });
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

/** POSTs `body` over a real connection to a listening proxy at `url`. */
export async function fetchPost(url: string, body: string | object = CHAT_BODY, path = CHAT_PATH): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** GETs `path` over a real connection. */
export async function fetchGet(url: string, path: string): Promise<Answer> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, text: await res.text(), headers: res.headers };
}
