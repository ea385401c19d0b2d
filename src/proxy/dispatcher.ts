// The upstream connection pool, and the seam that lets a client's disconnect
// abort its upstream request even before upstream headers arrive.

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

/**
 * reply-from builds undici's request options itself and has no signal option,
 * but it copies the headers our rewrite returns, symbol keys included: the
 * signal rides there, under this key, and the dispatcher takes it out.
 */
const ABORT_SIGNAL: unique symbol = Symbol('abort signal');

type SignalCarrier = { [ABORT_SIGNAL]?: AbortSignal };

/** Marks upstream request headers so that the request they go out with is aborted by `signal`. */
export function carrySignal<H extends object>(headers: H, signal: AbortSignal): H {
  (headers as SignalCarrier)[ABORT_SIGNAL] = signal;
  return headers;
}

/**
 * The dispatcher the exchange's upstream calls go through: our timeouts on
 * every request (reply-from passes `undefined`, which would mean undici's
 * defaults), and the signal that a client's leaving aborts.
 */
export function abortable(dispatcher: Dispatcher, options: DispatcherOptions): Requestable {
  return {
    request(requestOptions, callback) {
      // Options are made afresh for each request (by reply-from, or callUpstream): set, not copied.
      const forUndici = requestOptions as { -readonly [K in keyof RequestOptions]: RequestOptions[K] };
      forUndici.headersTimeout = options.headersTimeoutMs;
      forUndici.bodyTimeout = options.bodyTimeoutMs;
      const headers = requestOptions.headers as SignalCarrier | undefined;
      const signal = headers?.[ABORT_SIGNAL];
      if (signal) {
        // Cleared, not deleted: reply-from has added keys after it, and deleting
        // a key that is not the last turns the object into a slow dictionary
        // that undici then walks. Object.keys skips symbol keys.
        headers[ABORT_SIGNAL] = undefined;
        forUndici.signal = signal;
      }
      dispatcher.request(forUndici, callback);
    },
  };
}
