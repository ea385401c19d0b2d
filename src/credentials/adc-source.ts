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

import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { ProxyError } from '../errors/proxy-error.ts';
import { withMetadataSignal } from './metadata-requests.ts';
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
  /** Builds each GoogleAuth (see createGoogleAuth for `abandoned`); tests hand in their own. */
  readonly createAuth?: (abandoned: AbortSignal) => GoogleAuth;
  /** Told each renewal and why, for the log. */
  readonly onRenew?: (reason: string) => void;
  /** Default REDISCOVER_AFTER_MS; tests shorten it. */
  readonly rediscoverAfterMs?: number;
}

/**
 * `abandoned` aborts when the source gives this GoogleAuth up after a call hung
 * past its deadline. It is the default signal of the client's HTTP requests
 * (gaxios `transporterOptions`: token endpoints, service account keys, an
 * external account's impersonation), so a hung request is cut and its socket
 * closed then, rather than when TCP gives up. armedClient() reaches the parts
 * the options do not, and withMetadataSignal() the metadata server's requests,
 * which do not use the client's transporter.
 */
export function createGoogleAuth(abandoned: AbortSignal): GoogleAuth {
  return new GoogleAuth({
    scopes: [CLOUD_PLATFORM_SCOPE],
    clientOptions: { eagerRefreshThresholdMillis: ALWAYS_REFRESH_THRESHOLD_MS, transporterOptions: { signal: abandoned } },
  });
}

/** Each GoogleAuth's `abandoned` signal, for arming the clients it makes. */
const ABANDONED = new WeakMap<GoogleAuth, AbortSignal>();

/** What armedClient sets on a client and the clients inside it (library fields the typings keep private). */
interface ClientPart {
  eagerRefreshThresholdMillis?: number;
  transporter?: { defaults?: { signal?: AbortSignal } };
  /** An impersonated credential's source. */
  sourceClient?: ClientPart;
  /** An external account's token exchange. */
  stsCredential?: ClientPart;
}

/**
 * The GoogleAuth's client, with what clientOptions does not reach set by hand:
 * the library builds an impersonated credential's source client, and an
 * external account's STS client, without the options. They would keep its own
 * 5-minute token reuse (a fetch after a 401 would return the token just
 * rejected) and send requests the abandoned signal cannot cut.
 */
export async function armedClient(auth: GoogleAuth): Promise<AuthClient> {
  const client = await auth.getClient();
  const signal = ABANDONED.get(auth);
  const main = client as unknown as ClientPart;
  for (const part of [main, main.sourceClient]) if (part) part.eagerRefreshThresholdMillis = ALWAYS_REFRESH_THRESHOLD_MS;
  for (const part of [main, main.sourceClient, main.stsCredential]) {
    const defaults = part?.transporter?.defaults;
    if (signal && defaults && !defaults.signal) defaults.signal = signal;
  }
  return client;
}

export class AdcSource {
  readonly #options: AdcSourceOptions;
  readonly #createAuth: (abandoned: AbortSignal) => GoogleAuth;
  #auth!: GoogleAuth;
  /** Aborted when the GoogleAuth in force is given up after a deadline. */
  #abandon!: AbortController;
  #failedAt: number | undefined;
  #email: Promise<string | undefined> | undefined;

  constructor(options: AdcSourceOptions) {
    this.#options = options;
    this.#createAuth = options.createAuth ?? createGoogleAuth;
    this.#start();
  }

  #start(): void {
    this.#abandon = new AbortController();
    this.#auth = this.#createAuth(this.#abandon.signal);
    ABANDONED.set(this.#auth, this.#abandon.signal);
  }

  /** Starts over with a fresh GoogleAuth: the next call reads ADC afresh. Calls under way finish with the old one. */
  renew(reason: string): void {
    this.#start();
    this.#failedAt = undefined;
    this.#email = undefined;
    this.#options.onRenew?.(reason);
  }

  /** Runs `work` with the GoogleAuth in force, within the deadline. */
  async use<T>(work: (auth: GoogleAuth) => Promise<T>): Promise<T> {
    const { now, deadlineMs, rediscoverAfterMs = REDISCOVER_AFTER_MS } = this.#options;
    if (this.#failedAt !== undefined && now() - this.#failedAt >= rediscoverAfterMs) this.renew('rediscovering after a failure');
    const auth = this.#auth;
    const abandon = this.#abandon;
    try {
      // A source that never answers (gcp-metadata sets no timeout on Google
      // Cloud; an STS exchange can hang) would otherwise hold every waiting
      // request and the single-flight fetch forever.
      return await withDeadline(withMetadataSignal(abandon.signal, () => work(auth)), deadlineMs, now);
    } catch (err) {
      // The GoogleAuth that hung is given up, even if already replaced: its
      // requests end now, another call's still under way on it included (that
      // caller gets 503 and the next request asks the fresh GoogleAuth).
      if (err instanceof FetchDeadlineError) abandon.abort(err);
      if (auth !== this.#auth) throw err;
      // The library joins later calls to the fetch that hung: only a new GoogleAuth asks again.
      if (err instanceof FetchDeadlineError) this.renew('a call passed its deadline');
      else this.#failedAt ??= now();
      throw err;
    }
  }

  /** client_email of a key file, the impersonation target, or the metadata server's account; asked once per GoogleAuth. */
  principalEmail(): Promise<string | undefined> {
    if (this.#email) return this.#email;
    const { deadlineMs, now } = this.#options;
    const auth = this.#auth;
    // On Google Cloud the email comes from the metadata server, without a timeout of the library's own.
    const cut = AbortSignal.any([this.#abandon.signal, AbortSignal.timeout(deadlineMs)]);
    this.#email = withDeadline(withMetadataSignal(cut, () => auth.getCredentials()), deadlineMs, now).then(
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
