// The Responses event stream a client reads, made from the upstream chat
// stream as it arrives. Backpressure both ways: when the client is slow, the
// returned stream's buffer fills and the upstream body is paused until the
// client reads again, so nothing is held beyond a few chunks' events.
// `response.created` goes out before the first upstream byte; an upstream
// that breaks off ends the stream with `response.failed`; a client that
// leaves destroys the upstream body (and the exchange's signal aborts it).

import { Readable } from 'node:stream';
import type { ResponseObject } from './response-types.ts';
import type { ResponseStream } from './stream.ts';

export interface RelayHooks {
  /** The upstream broke off (not because the client left); the client gets response.failed. */
  onBreak(err: Error): void;
  /** The stream ended with a terminal event (completed, incomplete or failed), with the final object. Must not throw: the client's last event is sent after it. */
  onFinish(response: ResponseObject): void;
}

// Events per frame string; a handful of upstream chunks' worth.
const HIGH_WATER_MARK = 16;

/** Reads `upstream` (paused) only as fast as the returned stream is read. */
export function relayEvents(upstream: Readable, stream: ResponseStream, hooks: RelayHooks): Readable {
  let done = false;
  // Strings, written to the socket as they are: no Buffer per frame.
  const out = new Readable({ objectMode: true, highWaterMark: HIGH_WATER_MARK, read: () => void upstream.resume() });
  const send = (frames: string): void => {
    if (frames !== '' && !out.push(frames)) upstream.pause();
  };
  // Called before the client is sent the terminal event, so a follow-up that names this response finds it stored.
  const finish = (last: string): void => {
    if (done) return;
    done = true;
    hooks.onFinish(stream.result());
    if (last !== '') out.push(last);
    out.push(null);
  };

  out.push(stream.start());
  upstream.on('data', (chunk: Buffer) => {
    if (done) return;
    const frames = stream.push(chunk);
    if (!stream.finished) return send(frames);
    finish(frames);
    // Failed on what the upstream sent: stop its generation (and its billing) instead of reading it to the end.
    if (stream.result().status === 'failed') upstream.destroy();
  });
  upstream.once('end', () => finish(stream.end()));
  upstream.once('error', (err: Error) => {
    if (done) return;
    hooks.onBreak(err);
    finish(stream.fail(err));
  });
  // The client left mid-answer: cut the upstream. After the end, only drain what is left, so the connection is reused.
  out.once('close', () => {
    if (!done) upstream.destroy();
    else upstream.resume();
  });
  return out;
}
