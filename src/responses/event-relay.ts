// The Responses event stream a client reads, made from the upstream chat
// stream as it arrives. A pull stream: the next upstream chunk is read only
// when the client has taken what the last one produced, so a slow client
// slows the upstream read (backpressure) and nothing is buffered beyond one
// chunk's events. `response.created` goes out before the first upstream
// byte; an upstream that breaks off ends the stream with `response.failed`.

import { Readable } from 'node:stream';
import type { ResponseObject } from './response-types.ts';
import type { ResponseStream } from './stream.ts';

export interface RelayHooks {
  /** The upstream broke off (not because the client left); the client gets response.failed. */
  onBreak(err: Error): void;
  /** The stream ended with a terminal event (completed, incomplete or failed), with the final object. */
  onFinish(response: ResponseObject): void;
}

/** Reads `upstream` only as fast as the returned stream is read. */
export function relayEvents(upstream: Readable, stream: ResponseStream, hooks: RelayHooks): Readable {
  let finished = false;
  // Called before the client sees the terminal event, so a follow-up that names this response finds it stored.
  const finish = (): void => {
    if (finished || !stream.finished) return;
    finished = true;
    hooks.onFinish(stream.result());
  };
  async function* events(): AsyncGenerator<string> {
    yield stream.start();
    let last: string;
    try {
      for await (const chunk of upstream) {
        const frames = stream.push(chunk as Buffer);
        finish();
        if (frames !== '') yield frames;
      }
      last = stream.end();
    } catch (err) {
      if (!stream.finished) hooks.onBreak(err as Error);
      last = stream.fail(err);
    }
    finish();
    if (last !== '') yield last;
  }
  // A client that leaves returns the generator: `for await` then destroys the upstream body.
  return Readable.from(events());
}
