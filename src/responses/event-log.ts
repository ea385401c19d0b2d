// The events a background response's stream writes, kept as they are written
// (each frame with its sequence_number, which is its index here), so that a
// client that lost the stream resumes with `starting_after` and reads the
// same numbers, then follows the live events until the end.
//
// Bounded: every log of a running response draws on one budget (the store's
// byte limit); a log that would exceed it is dropped (the generation goes on,
// only its events are no longer kept), so running responses together never
// hold more than the store may.

import { Readable } from 'node:stream';

/** Bytes that the logs of running responses may hold together. */
export class LogBudget {
  #left: number;

  constructor(bytes: number) {
    this.#left = bytes;
  }

  take(bytes: number): boolean {
    if (bytes > this.#left) return false;
    this.#left -= bytes;
    return true;
  }

  give(bytes: number): void {
    this.#left += bytes;
  }
}

// Frames are `event: …\ndata: {json}\n\n`; JSON never holds a raw line end, so a blank line ends each.
const FRAME_END = /(?<=\n\n)/;

export class EventLog {
  readonly #budget: LogBudget;
  #frames: string[] = [];
  #bytes = 0;
  #ended = false;
  #dropped = false;
  readonly #followers = new Set<() => void>();

  constructor(budget: LogBudget) {
    this.#budget = budget;
  }

  /** Frames as the stream writes them (one or more, may be ''). */
  append(text: string): void {
    if (text === '' || this.#ended || this.#dropped) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (!this.#budget.take(bytes)) return this.#drop();
    this.#bytes += bytes;
    for (const frame of text.split(FRAME_END)) this.#frames.push(frame);
    this.#notify();
  }

  /** No more events: followers get the rest, then the end. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** True once the log outgrew the budget: its events are gone. */
  get dropped(): boolean {
    return this.#dropped;
  }

  get size(): number {
    return this.#frames.length;
  }

  /**
   * Hands the frames over (to the store, which counts them from then on) and
   * gives their bytes back to the budget; undefined when the log was dropped.
   */
  release(): readonly string[] | undefined {
    if (this.#dropped) return undefined;
    this.#budget.give(this.#bytes);
    this.#bytes = 0;
    return this.#frames;
  }

  /**
   * The frames numbered after `after`, then each new one as it comes, ending
   * with the log. Destroying the stream (the client left) only stops following.
   */
  follow(after: number): Readable {
    let next = after + 1;
    const out = new Readable({ objectMode: true, read: () => {} });
    const stop = (): void => void this.#followers.delete(pump);
    const pump = (): void => {
      if (this.#dropped) {
        stop();
        out.push(null);
        return;
      }
      while (next < this.#frames.length) out.push(this.#frames[next++]);
      if (this.#ended) {
        stop();
        out.push(null);
      }
    };
    this.#followers.add(pump);
    out.once('close', stop);
    pump();
    return out;
  }

  #drop(): void {
    this.#dropped = true;
    this.#budget.give(this.#bytes);
    this.#bytes = 0;
    this.#frames = [];
    this.#notify();
  }

  #notify(): void {
    for (const follower of [...this.#followers]) follower();
  }
}

/** A finished log's frames after `after`, for a resume once the response is stored. */
export function framesAfter(frames: readonly string[], after: number | undefined): string[] {
  return frames.slice((after ?? -1) + 1);
}
