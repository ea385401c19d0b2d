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

// RFC 9110 §10.2.3: delay-seconds is digits only. Number() would also take
// "0x2", "1e3" or "1.5", and Date.parse takes bare numbers as dates in 2001;
// every HTTP-date form names its month and weekday in letters.
const DELAY_SECONDS = /^\d+$/;
const HAS_LETTER = /[A-Za-z]/;

/** Retry-After (seconds or an HTTP date), capped so a client never waits long; anything else waits nothing. */
export function failoverDelayMs(headers: IncomingHttpHeaders, maxWaitMs: number, now: number = Date.now()): number {
  const value = headers['retry-after'];
  if (typeof value !== 'string') return 0;
  const text = value.trim();
  let ms = Number.NaN;
  if (DELAY_SECONDS.test(text)) ms = Number(text) * 1000;
  else if (HAS_LETTER.test(text)) ms = Date.parse(text) - now;
  // A delay too long for a double is Infinity: capped like any long one.
  return Number.isNaN(ms) ? 0 : Math.min(Math.max(0, ms), maxWaitMs);
}
