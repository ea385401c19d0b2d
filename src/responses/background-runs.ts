// Background responses (`background: true`) while they run: each one's
// upstream call is detached from the request that made it (its own abort
// signal), its response as it stands (GET shows it), its event log (a stream
// resumes from it), and its cancel. Bounded: at most `maxRunning` at once.
// Running responses live here, not in the store, so the store's eviction
// never drops one; each goes to the store when it ends.
//
// On shutdown they get the grace period to finish, then are cancelled, so
// none keeps the process alive. None runs longer than BACKGROUND_MAX_RUN_MS:
// an upstream that trickles a byte now and then would otherwise hold a slot
// (and its body's budget) for ever.

import { ProxyError } from '../errors/proxy-error.ts';
import { EventLog, LogBudget } from './event-log.ts';
import type { ResponseObject } from './response-types.ts';
import type { ResponseStream } from './stream.ts';
import type { InputItem } from './types.ts';

/** The longest a background response may run; past it, it ends `failed`. */
export const BACKGROUND_MAX_RUN_MS = 60 * 60 * 1000;

export interface BackgroundRunsOptions {
  /** Background responses running at once at most (PROXY_RESPONSES_BACKGROUND_MAX). */
  readonly maxRunning: number;
  /** What their event logs may hold together, in bytes (the store's byte limit). */
  readonly maxLogBytes: number;
  /** How long a client following a run may read nothing before its stream is closed (the upstream timeout). */
  readonly followerStallMs: number;
  /** Default BACKGROUND_MAX_RUN_MS; tests shorten it. */
  readonly maxRunMs?: number;
}

/** Called once when a run ends, with its final response and its events (undefined when its log was dropped). */
export type RunEnded = (final: ResponseObject, events: readonly string[] | undefined) => void;

/** What a run hands back when it ends; `null` events: discarded (a DELETE while it ran), nothing to keep. */
type RunOver = (final: ResponseObject, events: readonly string[] | undefined | null) => void;

export class BackgroundRuns {
  readonly #runs = new Map<string, BackgroundRun>();
  readonly #maxRunning: number;
  readonly #budget: LogBudget;
  readonly #stallMs: number;
  readonly #maxRunMs: number;
  #closing = false;

  constructor(options: BackgroundRunsOptions) {
    this.#maxRunning = options.maxRunning;
    this.#budget = new LogBudget(options.maxLogBytes);
    this.#stallMs = options.followerStallMs;
    this.#maxRunMs = options.maxRunMs ?? BACKGROUND_MAX_RUN_MS;
  }

  /** True when one more would pass the cap (the caller answers 429). */
  get full(): boolean {
    return this.#runs.size >= this.#maxRunning;
  }

  get running(): number {
    return this.#runs.size;
  }

  /** Registers a run; a ProxyError when the cap is reached or the proxy is shutting down. */
  start(id: string, stream: ResponseStream, input: InputItem[], onEnd: RunEnded): BackgroundRun {
    if (this.#closing) throw new ProxyError('shutting_down');
    if (this.full) throw new ProxyError('background_limit_reached', String(this.#maxRunning));
    const limit = `${Math.round(this.#maxRunMs / 1000)} s`;
    const tooLong = setTimeout(() => run.expire(`The background response ran longer than the proxy allows (${limit}).`), this.#maxRunMs).unref();
    const run = new BackgroundRun(id, stream, input, new EventLog(this.#budget, this.#stallMs), (final, events) => {
      clearTimeout(tooLong);
      try {
        if (events !== null) onEnd(final, events);
      } finally {
        this.#runs.delete(id);
      }
    });
    this.#runs.set(id, run);
    return run;
  }

  get(id: string): BackgroundRun | undefined {
    return this.#runs.get(id);
  }

  /** Shutdown: no new runs; those running get `graceMs` to finish, then are cancelled. */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    const allDone = () => Promise.all([...this.#runs.values()].map((run) => run.done));
    if (this.#runs.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([allDone(), graceOver]);
    clearTimeout(timer);
    for (const run of this.#runs.values()) void run.cancel();
    await allDone();
  }
}

export class BackgroundRun {
  readonly id: string;
  readonly log: EventLog;
  /** This turn's input items, for `input_items` while it runs. */
  readonly input: InputItem[];
  /** Settles with the final response once the run ended and was stored. */
  readonly done: Promise<ResponseObject>;
  /** The upstream answer's status, once it came. */
  upstreamStatus: number | undefined;
  readonly #stream: ResponseStream;
  readonly #controller = new AbortController();
  readonly #ended: RunOver;
  #resolve: (final: ResponseObject) => void = () => {};
  #cancelled = false;
  #discarded = false;
  #final: ResponseObject | undefined;

  constructor(id: string, stream: ResponseStream, input: InputItem[], log: EventLog, ended: RunOver) {
    this.id = id;
    this.#stream = stream;
    this.input = input;
    this.log = log;
    this.#ended = ended;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Aborted on cancel: the run's upstream call takes it instead of its request's. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** The response as it stands: `queued` until the upstream answered, then as the stream built it. */
  response(): ResponseObject {
    return this.#final ?? this.#stream.result();
  }

  /** Frames the stream wrote; ignored once cancelled (the upstream's own ending is not the response's). */
  append(frames: string): void {
    if (this.#cancelled || this.#final || frames === '') return;
    this.log.append(frames);
  }

  /**
   * Cuts the upstream call; settles with the final response (`cancelled`, or
   * how it ended if it already had). `discard` (a DELETE) keeps nothing, even
   * when a cancel is already under way.
   */
  cancel(options: { discard?: boolean } = {}): Promise<ResponseObject> {
    if (this.#final) return this.done;
    if (options.discard === true) this.#discarded = true;
    // Its terminal event is written (the generation is only finishing): it ended as it says.
    if (this.#stream.finished) return this.done;
    this.#cancelled = true;
    this.#controller.abort();
    return this.done;
  }

  /** Ran too long: fails the response (its terminal event written now, so the cut call's own ending is not), then cuts the call. */
  expire(message: string): void {
    if (this.#final || this.#cancelled || this.#stream.finished) return;
    this.append(this.#stream.fail({ code: 'server_error', message }));
    this.#controller.abort();
  }

  /** The generation is over (however it ended): keep the final response, end the log, settle. */
  finish(): ResponseObject {
    if (this.#final) return this.#final;
    const result = this.#stream.result();
    // A cancel is not a failure, whatever the cut call left behind (the relay fails the stream when its body is cut).
    this.#final = this.#cancelled ? { ...result, status: 'cancelled', error: null } : result;
    try {
      const events = this.log.release();
      this.#ended(this.#final, this.#discarded ? null : events);
    } finally {
      this.log.end();
      this.#resolve(this.#final);
    }
    return this.#final;
  }
}
