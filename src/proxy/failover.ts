// When a model entry lists several locations, which upstream answers justify
// trying the next one, and how long to wait first.

import type { IncomingHttpHeaders } from 'node:http';

export interface FailoverEvent {
  readonly from: string;
  readonly to: string;
  readonly status: number | undefined;
  readonly error: string | undefined;
  readonly delayMs: number;
}

const FAILOVER_STATUSES = new Set([429, 500, 502, 503, 504]);

export function isFailoverStatus(status: number): boolean {
  return FAILOVER_STATUSES.has(status);
}

export function canFailOver(exchange: { targetIndex: number; targets: readonly unknown[]; abort: AbortController }): boolean {
  return exchange.targetIndex + 1 < exchange.targets.length && !exchange.abort.signal.aborted;
}

/** Retry-After (seconds or an HTTP date), capped so a client never waits long. */
export function failoverDelayMs(headers: IncomingHttpHeaders, maxWaitMs: number, now: number = Date.now()): number {
  const value = headers['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return 0;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), maxWaitMs) : 0;
}
