// One request's way upstream, as state and decisions without I/O: the targets
// in failover order and the one in use, the token in force, whether the 401
// replay was spent, and what each upstream answer or failure means next. The
// drivers do the I/O: passthrough-route.ts through reply-from, upstream-call.ts
// with undici for translated routes.

import type { IncomingHttpHeaders } from 'node:http';
import type { AccessToken } from '../credentials/token-cache.ts';
import type { ProxyError } from '../errors/proxy-error.ts';
import { failoverDelayMs, isFailoverStatus, type FailoverEvent } from './failover.ts';
import { isHttpStatus, upstreamFailure } from './upstream-failure.ts';
import type { Operation } from './upstream-url.ts';

/** A target with its URL parts worked out once (see open-exchange.ts). */
export interface ResolvedTarget {
  readonly location: string;
  /** Scheme and host. */
  readonly origin: string;
  /** The operation's path on that endpoint. */
  readonly path: string;
}

export interface ExchangeStart {
  readonly operation: Operation;
  /** At least one; more than one means failover, in this order. */
  readonly targets: readonly ResolvedTarget[];
  /** Extra upstream headers of the route. */
  readonly headers: Readonly<Record<string, string>>;
  /** Set for aliases: the `model` value Vertex must receive. */
  readonly upstreamModel: string | undefined;
  /** The route's top-level request keys to remove before forwarding. */
  readonly dropParams: readonly string[];
  readonly token: AccessToken;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** What the driver does next. */
export type Step =
  /** A success: relay it as it comes. */
  | { readonly kind: 'relay' }
  /** An upstream error that stands: reshape its body, keep its status. */
  | { readonly kind: 'error' }
  /** The first 401: report the token rejected (TokenSource.rejectToken) and pass its answer to onRejected. */
  | { readonly kind: 'rejected' }
  /** Send again to the same target with the token getToken() gives now. */
  | { readonly kind: 'replay' }
  /** Nothing reached the client yet: the next location, after `delayMs`. */
  | { readonly kind: 'failover'; readonly delayMs: number }
  /** The client left: the upstream request was cut on purpose; nothing to answer. */
  | { readonly kind: 'aborted' }
  /** Answer the client with this error. */
  | { readonly kind: 'fail'; readonly error: ProxyError };

export class Exchange {
  readonly operation: Operation;
  readonly targets: readonly ResolvedTarget[];
  readonly headers: Readonly<Record<string, string>>;
  readonly upstreamModel: string | undefined;
  readonly dropParams: readonly string[];
  readonly signal: AbortSignal;
  /** The token the next send carries. */
  token: AccessToken;
  targetIndex = 0;
  /** The 401 replay is spent for the current target. */
  replayed = false;

  constructor(start: ExchangeStart) {
    this.operation = start.operation;
    this.targets = start.targets;
    this.headers = start.headers;
    this.upstreamModel = start.upstreamModel;
    this.dropParams = start.dropParams;
    this.signal = start.signal;
    this.token = start.token;
  }

  get target(): ResolvedTarget {
    return this.targets[this.targetIndex] as ResolvedTarget;
  }

  /** Another location is left to try, and the client still waits. */
  canFailOver(): boolean {
    return this.targetIndex + 1 < this.targets.length && !this.signal.aborted;
  }

  /** What an upstream answer with `status` (and its headers) means. */
  onAnswer(status: number, headers: IncomingHttpHeaders, maxWaitMs: number, now: number = Date.now()): Step {
    if (!isHttpStatus(status)) return { kind: 'fail', error: upstreamFailure(status) };
    if (status === 401 && !this.replayed) return { kind: 'rejected' };
    if (isFailoverStatus(status) && this.canFailOver()) return { kind: 'failover', delayMs: failoverDelayMs(headers, maxWaitMs, now) };
    return status >= 400 ? { kind: 'error' } : { kind: 'relay' };
  }

  /** What a failure before any answer (connect error, timeout, abort) means. */
  onFailure(error: Error): Step {
    if (this.signal.aborted) return { kind: 'aborted' };
    if (this.canFailOver()) return { kind: 'failover', delayMs: 0 };
    return { kind: 'fail', error: upstreamFailure(error) };
  }

  /**
   * What a 401 means once the token source has answered (`renewed`: another
   * token is to be had). Then the replay is spent; else the 401 stands, for a
   * replay would carry the very token just rejected.
   */
  onRejected(renewed: boolean): Extract<Step, { kind: 'replay' | 'error' }> {
    if (!renewed) return { kind: 'error' };
    this.replayed = true;
    return { kind: 'replay' };
  }

  /** Moves on to the next location; the event says from where to where, and why. */
  failOver(delayMs: number, cause: { status?: number; error?: Error }): FailoverEvent {
    const from = this.target;
    this.targetIndex++;
    this.replayed = false;
    return { from: from.location, to: this.target.location, status: cause.status, error: cause.error?.message, delayMs };
  }
}
