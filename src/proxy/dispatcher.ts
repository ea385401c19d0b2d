// The upstream connection pool, and the seam that lets a client's disconnect
// abort its upstream request even before upstream headers arrive.

import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent, type Dispatcher } from 'undici';

export interface DispatcherOptions {
  /** Time allowed until upstream response headers (reasoning models think long). */
  readonly headersTimeoutMs: number;
  /** Idle time allowed between body chunks of a stream. */
  readonly bodyTimeoutMs: number;
}

/** How long an idle upstream connection is kept for the next request. */
export const UPSTREAM_KEEP_ALIVE_MS = 30_000;

export function createUpstreamAgent(options: DispatcherOptions): Agent {
  return new Agent({
    // No per-origin cap: 1000 concurrent SSE streams must all flow at once.
    connections: null,
    pipelining: 1,
    keepAliveTimeout: UPSTREAM_KEEP_ALIVE_MS,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    // Certificates are always verified: a bearer token must never reach an impostor.
    connect: { rejectUnauthorized: true },
  });
}

type RequestOptions = Dispatcher.RequestOptions;
type RequestCallback = (err: Error | null, data: Dispatcher.ResponseData) => void;

/** What @fastify/reply-from needs of its `undici` option: a `request(opts, cb)`. */
export interface Requestable {
  request(options: RequestOptions, callback: RequestCallback): void;
}

const requestSignal = new AsyncLocalStorage<AbortSignal>();

/** Runs `send` so that upstream requests it starts are aborted by `signal`. */
export function withAbortSignal<T>(signal: AbortSignal, send: () => T): T {
  return requestSignal.run(signal, send);
}

/**
 * reply-from builds undici request options itself and has no signal option;
 * this wrapper adds the caller's signal and our timeouts.
 */
export function abortable(dispatcher: Dispatcher, options: DispatcherOptions): Requestable {
  return {
    request(requestOptions, callback) {
      const signal = requestSignal.getStore();
      dispatcher.request(
        {
          ...requestOptions,
          // reply-from passes `undefined` timeouts, which would mean undici's defaults.
          headersTimeout: options.headersTimeoutMs,
          bodyTimeout: options.bodyTimeoutMs,
          ...(signal ? { signal } : {}),
        },
        callback,
      );
    },
  };
}
