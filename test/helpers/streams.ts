// Small tools for tests that watch bytes flow: a gate the fake upstream waits
// on, a bounded poll, and a raw HTTP client that keeps every byte it receives.

import { request, type Agent, type IncomingMessage } from 'node:http';

/** A promise the test opens by hand; upstream responders await it. */
export class Gate {
  readonly opened: Promise<void>;
  open!: () => void;

  constructor() {
    this.opened = new Promise((resolve) => {
      this.open = resolve;
    });
  }
}

/**
 * Polls `condition` until it holds; fails with `what` (if a function, called
 * at the time of failure) after `timeoutMs`. For waiting on events in another
 * socket or process, never for asserting speed.
 */
export async function waitFor(condition: () => boolean, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Rejects with `what` if `promise` has not settled within `timeoutMs`. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface RawCall {
  /** Resolves with the response head. */
  readonly response: Promise<IncomingMessage>;
  /** Every body byte received so far, in order. */
  received(): Buffer;
  /** Resolves once the bytes received so far satisfy `predicate`. */
  until(predicate: (received: Buffer) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the whole body on a clean end; rejects if the exchange is cut. */
  readonly done: Promise<Buffer>;
  /** Resolves when the client socket has closed, however. */
  readonly closed: Promise<void>;
  /** The client goes away (closes its socket). */
  destroy(): void;
}

export interface RawCallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent | false;
}

/** An HTTP/1.1 request whose response bytes are recorded exactly as they arrive. */
export function rawCall(url: string, body: string | Buffer | undefined, options: RawCallOptions = {}): RawCall {
  const chunks: Buffer[] = [];
  const req = request(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    agent: options.agent ?? false,
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const done = response.then(
    (res) =>
      new Promise<Buffer>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve(Buffer.concat(chunks)));
        res.once('error', reject);
        res.once('aborted', () => reject(new Error('response aborted')));
        res.once('close', () => {
          if (!res.complete) reject(new Error('response cut before its end'));
        });
      }),
  );
  const closed = new Promise<void>((resolve) => req.once('close', () => resolve()));
  // Tests that do not await these must not see unhandled rejections.
  response.catch(() => {});
  done.catch(() => {});
  req.on('error', () => {});
  req.end(body);
  const received = () => Buffer.concat(chunks);
  return {
    response,
    received,
    until: (predicate, what, timeoutMs) => waitFor(() => predicate(received()), what, timeoutMs),
    done,
    closed,
    destroy: () => req.destroy(),
  };
}
