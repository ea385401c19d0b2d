// The process's one GoogleAuth, and the only place that creates one.
// google-auth-library does discovery (env key file, gcloud ADC, metadata
// server, workload identity federation, impersonation) and the token exchange.
//
// A GoogleAuth remembers negative answers for its whole life (a rejected
// project lookup, "not on GCE") and keeps a client whose refresh token may
// since have been replaced by a new `gcloud auth application-default login`.
// So the source starts over with a fresh one — `renew(reason)` — when the ADC
// file changes, when a call hangs past its deadline, and on the first call
// REDISCOVER_AFTER_MS after a failure: the daemon recovers by itself.

import { GoogleAuth } from 'google-auth-library';
import { ProxyError } from '../errors/proxy-error.ts';
import type { Clock } from './token-cache.ts';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

// Our cache calls the library only when it wants a new token. The library
// compares `expiry_date <= now + threshold`, so a threshold longer than any
// lifetime makes every call a real refresh (OAuth2 clients, gtoken for service
// account keys, external accounts all honour it).
const ALWAYS_REFRESH_THRESHOLD_MS = 365 * 24 * 3600 * 1000;

// After a failure, how long the failed GoogleAuth keeps answering before a
// fresh one rediscovers: bounds the cost of a broken set-up under load (the
// project lookup can spawn `gcloud` and probe the metadata server).
export const REDISCOVER_AFTER_MS = 2_000;

export interface AdcSourceOptions {
  readonly now: Clock;
  /** Deadline for one call into the library (PROXY_TOKEN_TIMEOUT_SECONDS). */
  readonly deadlineMs: number;
  /** Builds each GoogleAuth; tests hand in their own. */
  readonly createAuth?: () => GoogleAuth;
  /** Told each renewal and why, for the log. */
  readonly onRenew?: (reason: string) => void;
  /** Default REDISCOVER_AFTER_MS; tests shorten it. */
  readonly rediscoverAfterMs?: number;
}

export function createGoogleAuth(): GoogleAuth {
  return new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], clientOptions: { eagerRefreshThresholdMillis: ALWAYS_REFRESH_THRESHOLD_MS } });
}

export class AdcSource {
  readonly #options: AdcSourceOptions;
  readonly #createAuth: () => GoogleAuth;
  #auth: GoogleAuth;
  #failedAt: number | undefined;
  #email: Promise<string | undefined> | undefined;

  constructor(options: AdcSourceOptions) {
    this.#options = options;
    this.#createAuth = options.createAuth ?? createGoogleAuth;
    this.#auth = this.#createAuth();
  }

  /** Starts over with a fresh GoogleAuth: the next call reads ADC afresh. Calls under way finish with the old one. */
  renew(reason: string): void {
    this.#auth = this.#createAuth();
    this.#failedAt = undefined;
    this.#email = undefined;
    this.#options.onRenew?.(reason);
  }

  /** Runs `work` with the GoogleAuth in force, within the deadline. */
  async use<T>(work: (auth: GoogleAuth) => Promise<T>): Promise<T> {
    const { now, deadlineMs, rediscoverAfterMs = REDISCOVER_AFTER_MS } = this.#options;
    if (this.#failedAt !== undefined && now() - this.#failedAt >= rediscoverAfterMs) this.renew('rediscovering after a failure');
    const auth = this.#auth;
    try {
      // A source that never answers (gcp-metadata sets no timeout on Google
      // Cloud; an STS exchange can hang) would otherwise hold every waiting
      // request and the single-flight fetch forever.
      return await withDeadline(work(auth), deadlineMs, now);
    } catch (err) {
      if (auth !== this.#auth) throw err;
      // The library joins later calls to the fetch that hung: only a new GoogleAuth asks again.
      if (err instanceof FetchDeadlineError) this.renew('a call passed its deadline');
      else this.#failedAt ??= now();
      throw err;
    }
  }

  /** client_email of a key file, the impersonation target, or the metadata server's account; asked once per GoogleAuth. */
  principalEmail(): Promise<string | undefined> {
    this.#email ??= withDeadline(this.#auth.getCredentials(), this.#options.deadlineMs, this.#options.now).then(
      (credentials) => credentials.client_email || undefined,
      () => undefined,
    );
    return this.#email;
  }
}

class FetchDeadlineError extends ProxyError<'token_unavailable'> {
  constructor(timeoutMs: number) {
    super('token_unavailable', `the credential source did not answer within ${timeoutMs / 1000} s (PROXY_TOKEN_TIMEOUT_SECONDS); the next request tries again`);
  }
}

/** How often a call in flight checks the deadline on the wall clock, beside its timer. */
const WALL_CLOCK_CHECK_MS = 1_000;

/**
 * Timers do not count time asleep: a fetch that was under way when a laptop
 * slept would otherwise hold every request after wake until its timer caught
 * up. So the deadline is also checked against the wall clock, every second.
 */
function withDeadline<T>(work: Promise<T>, timeoutMs: number, now: Clock): Promise<T> {
  const startedAt = now();
  let timer: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    const expire = () => reject(new FetchDeadlineError(timeoutMs));
    timer = setTimeout(expire, timeoutMs).unref();
    check = setInterval(() => now() - startedAt >= timeoutMs && expire(), Math.min(WALL_CLOCK_CHECK_MS, timeoutMs)).unref();
  });
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
    clearInterval(check);
  });
}
