// What is known about one request, for its log line and its metrics. Features
// that handle the request write into it (the model, the upstream status, the
// bytes relayed); the request observer reads it once, when the request ends.
// It also carries the one signal that tells a feature its client went away.

import type { FastifyReply } from 'fastify';

export class RequestRecord {
  /** The body's `model`, once it is known (before any token is fetched). */
  model: string | undefined = undefined;
  /** Whether the client asked for a stream (`"stream": true`), once its body is read. */
  stream: boolean | undefined = undefined;
  /** Set when an upstream answer arrived, whatever its status. */
  upstreamStatus: number | undefined = undefined;
  /** Arrival until the first byte of the upstream answer body. */
  firstByteMs: number | undefined = undefined;
  /** Bytes of the upstream answer relayed (or read) so far. */
  bytes = 0;
  /** An SSE answer is being relayed; counted in streams_in_flight until the request ends. */
  streaming = false;
  /** The response was written whole but ends in failure (a Responses stream's `response.failed`). */
  failed = false;
  readonly #reply: FastifyReply;
  #abort: AbortController | undefined;
  readonly #onStream: () => void;
  #ended = false;
  #onEnd: (() => void) | undefined;
  /** Work that outlives the request and still holds what onEnd releases (keepAfterEnd). */
  #keepers = 0;

  constructor(reply: FastifyReply, onStream: () => void) {
    this.#reply = reply;
    this.#onStream = onStream;
  }

  /**
   * Aborted the moment the client goes away without its whole response, even
   * before upstream headers: hand it to the upstream call. Made on first use,
   * so requests that never go upstream pay nothing for it.
   */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      const res = this.#reply.raw;
      if (res.destroyed && !res.writableFinished) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  /**
   * Runs `release` when the request ends, however it ends (at once if it
   * already has), and every keepAfterEnd holder has let go.
   */
  onEnd(release: () => void): void {
    if (this.#ended && this.#keepers === 0) return release();
    const before = this.#onEnd;
    this.#onEnd = before ? () => (before(), release()) : release;
  }

  /**
   * For work that outlives the request and holds what it brought (a
   * background response holds what its body became): the onEnd releases wait
   * until the returned function is called too (once; later calls do nothing).
   */
  keepAfterEnd(): () => void {
    this.#keepers++;
    let kept = true;
    return () => {
      if (!kept) return;
      kept = false;
      if (--this.#keepers === 0 && this.#ended) this.#release();
    };
  }

  /** Called once by the observer when the connection closed; `finished`: the whole response was written. */
  end(finished: boolean): void {
    this.#ended = true;
    if (!finished) this.#abort?.abort();
    if (this.#keepers === 0) this.#release();
  }

  #release(): void {
    const release = this.#onEnd;
    this.#onEnd = undefined;
    release?.();
  }

  /** The first byte of the upstream answer arrived. */
  firstByte(): void {
    this.firstByteMs ??= this.#reply.elapsedTime;
  }

  /** An SSE answer starts flowing to the client. */
  streamStarted(): void {
    if (this.streaming) return;
    this.streaming = true;
    this.#onStream();
  }
}
