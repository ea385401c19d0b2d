// The events a background response's stream writes, kept as they are written
// (each frame with its sequence_number, which is its index here), so that a
// client that lost the stream resumes with `starting_after` and reads the
// same numbers, then follows the live events until the end.
//
// Bounded: every log of a running response draws on one budget (the store's
// byte limit). When an append would pass it, the largest log is dropped (the
// one appending if it is the largest): its generation goes on, and clients
// following it still get every live event until the end, but it keeps only
// the frames a follower has yet to read, so a resume of it is refused.
//
// Followers are pulled by their readers: a frame is handed over only when the
// reader asks, and a follower whose reader asks for nothing for `stallMs` is
// destroyed, so a client that stopped reading cannot hold a log forever.

import { Readable } from 'node:stream';

/** Bytes that the logs of running responses may hold together. */
export class LogBudget {
  readonly #capacity: number;
  #left: number;
  readonly #logs = new Set<EventLog>();

  constructor(bytes: number) {
    this.#capacity = bytes;
    this.#left = bytes;
  }

  /** Takes `bytes` for `log`, dropping the largest other logs to make room; false when `log` should drop itself. */
  take(bytes: number, log: EventLog): boolean {
    if (log.bytes + bytes > this.#capacity) return false;
    while (bytes > this.#left) {
      let largest = log;
      for (const other of this.#logs) if (other.bytes > largest.bytes) largest = other;
      if (largest === log) return false;
      largest.drop();
    }
    this.#logs.add(log);
    this.#left -= bytes;
    return true;
  }

  give(bytes: number, log: EventLog): void {
    this.#left += bytes;
    this.#logs.delete(log);
  }
}

// Frames are `event: …\ndata: {json}\n\n`; JSON never holds a raw line end, so a blank line ends each.
const FRAME_END = /(?<=\n\n)/;

// Frames a follower holds before its reader asks for more (a few upstream chunks' events).
const FOLLOWER_HIGH_WATER_MARK = 16;

interface Follower {
  /** The sequence number it hands over next. */
  next: number;
  /** There is something new: hand it over if the reader wants it. */
  wake(): void;
}

export class EventLog {
  readonly #budget: LogBudget;
  readonly #stallMs: number;
  /** Frames from sequence number #base on; #base > 0 only once dropped. */
  #frames: string[] = [];
  #base = 0;
  #bytes = 0;
  #ended = false;
  #dropped = false;
  readonly #followers = new Set<Follower>();

  /** `stallMs`: how long a follower's reader may ask for nothing before the follower is destroyed. */
  constructor(budget: LogBudget, stallMs: number) {
    this.#budget = budget;
    this.#stallMs = stallMs;
  }

  /** Frames as the stream writes them (one or more, may be ''). */
  append(text: string): void {
    if (text === '' || this.#ended) return;
    if (!this.#dropped) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (this.#budget.take(bytes, this)) this.#bytes += bytes;
      else this.drop();
    }
    for (const frame of text.split(FRAME_END)) this.#frames.push(frame);
    this.#trim();
    this.#notify();
  }

  /** No more events: followers get the rest, then the end. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** True once the log was dropped to keep the budget: its events are not kept. */
  get dropped(): boolean {
    return this.#dropped;
  }

  /** The events written so far. */
  get size(): number {
    return this.#base + this.#frames.length;
  }

  /** The bytes it holds against the budget. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Hands the frames over (to the store, which counts them from then on) and
   * gives their bytes back to the budget; undefined when the log was dropped.
   */
  release(): readonly string[] | undefined {
    if (this.#dropped) return undefined;
    this.#budget.give(this.#bytes, this);
    this.#bytes = 0;
    return this.#frames;
  }

  /** Stops keeping the events (the budget needs their bytes); followers still get what comes. */
  drop(): void {
    if (this.#dropped) return;
    this.#dropped = true;
    this.#budget.give(this.#bytes, this);
    this.#bytes = 0;
    this.#trim();
  }

  /**
   * The frames numbered after `after`, then each new one as it comes, ending
   * with the log. Destroying the stream (the client left) only stops following.
   * Only while the frames after `after` are all kept (not for a dropped log).
   */
  follow(after: number): Readable {
    if (after + 1 < this.#base) throw new Error(`events before ${this.#base} are no longer kept`);
    let wanted = false;
    let stall: NodeJS.Timeout | undefined;
    const follower: Follower = { next: after + 1, wake: () => pump() };
    const out = new Readable({
      objectMode: true,
      highWaterMark: FOLLOWER_HIGH_WATER_MARK,
      read: () => {
        clearTimeout(stall);
        stall = undefined;
        wanted = true;
        pump();
      },
    });
    const stop = (): void => {
      clearTimeout(stall);
      this.#followers.delete(follower);
      this.#trim();
    };
    const pump = (): void => {
      while (wanted && follower.next < this.size) wanted = out.push(this.#frames[follower.next++ - this.#base] as string);
      if (this.#ended && follower.next >= this.size) {
        stop();
        out.push(null);
      } else if (!wanted) {
        // The reader has all it asked for; if it asks for nothing more for this long, it is gone.
        stall ??= setTimeout(() => out.destroy(), this.#stallMs).unref();
      }
    };
    this.#followers.add(follower);
    out.once('close', stop);
    return out;
  }

  /**
   * A dropped log keeps only the frames some follower has yet to read. The
   * read ones go once they are at least half the array, so a follower that
   * lags does not cost a copy of its backlog on every append.
   */
  #trim(): void {
    if (!this.#dropped) return;
    let keepFrom = this.size;
    for (const follower of this.#followers) keepFrom = Math.min(keepFrom, follower.next);
    const read = keepFrom - this.#base;
    if (read === 0 || read < this.#frames.length - read) return;
    this.#frames = this.#frames.slice(read);
    this.#base = keepFrom;
  }

  #notify(): void {
    for (const follower of [...this.#followers]) follower.wake();
  }
}

/** A finished log's frames after `after`, for a resume once the response is stored. */
export function framesAfter(frames: readonly string[], after: number | undefined): string[] {
  return frames.slice((after ?? -1) + 1);
}
