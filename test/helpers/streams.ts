// Small tools for tests that watch bytes flow: a gate the fake upstream waits
// on, and a raw HTTP client that keeps every byte it receives.

import { request, type Agent, type IncomingMessage } from 'node:http';
import { waitFor } from './wait.ts';

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
