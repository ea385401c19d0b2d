// One access token for every caller: fetched once, shared while it is good,
// refreshed in the background before it is not.

export interface AccessToken {
  readonly value: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /**
   * The billing project the credential that minted this token names (an ADC
   * file's quota_project_id), read once with the token so requests need no lookup
   * and a reloaded credential brings its own.
   */
  readonly quotaProject?: string | undefined;
}

export interface TokenSource {
  /** Resolves from memory while the cached token is usable; fetches otherwise (single-flight). */
  getToken(): Promise<AccessToken>;
  /**
   * The upstream rejected `rejected` (a 401). True: sending again with getToken()
   * is worthwhile — the token was dropped (the next caller fetches) or a newer one
   * already replaced it. False: it is the token in force and was received under
   * FRESH_TOKEN_MS ago, so it is kept and the 401 stands.
   */
  rejectToken(rejected: AccessToken): boolean;
}

export type Clock = () => number;

export interface TokenCacheEvents {
  onRefresh?(token: AccessToken, receivedAt: number): void;
  /** A fetch failed, in the foreground or the background: once per fetch, however many callers shared it. */
  onFetchError?(err: unknown): void;
}

// Google's libraries refresh a fixed 5 minutes early. Metadata servers hand out
// tokens with only minutes or seconds left, which would make every request a
// fetch, so both margins shrink with the lifetime we actually observed.
const MAX_SAFETY_MARGIN_MS = 60_000;
const SAFETY_MARGIN_FRACTION = 0.1;
const MAX_REFRESH_LEAD_MS = 5 * 60_000;
const REFRESH_LEAD_FRACTION = 0.2;
/** After a failed background refresh, requests keep the current token this long before one tries again. */
export const BACKGROUND_RETRY_DELAY_MS = 1_000;
/**
 * A token received less than this long ago that Google rejects was not rejected
 * for its age: the principal is refused (wrong account, API disabled). A fresh
 * one would be refused too, and fetching it on every request is what a
 * persistent 401 would cost; so within this time the token is kept and the 401
 * stands, and at most one fetch per this interval follows a rejection.
 */
export const FRESH_TOKEN_MS = 30_000;

interface CachedToken {
  readonly token: AccessToken;
  /** When it arrived, on the cache's clock. */
  readonly receivedAt: number;
  /** Never sent at or after this instant. */
  readonly usableUntil: number;
  /** First instant at which a request triggers a background refresh. */
  readonly refreshAt: number;
}

export function scheduleFor(token: AccessToken, receivedAt: number): CachedToken {
  const lifetime = Math.max(0, token.expiresAt - receivedAt);
  const margin = Math.min(MAX_SAFETY_MARGIN_MS, lifetime * SAFETY_MARGIN_FRACTION);
  const lead = Math.min(MAX_REFRESH_LEAD_MS, lifetime * REFRESH_LEAD_FRACTION);
  return { token, receivedAt, usableUntil: token.expiresAt - margin, refreshAt: token.expiresAt - lead };
}

export class TokenCache implements TokenSource {
  readonly #fetchToken: () => Promise<AccessToken>;
  readonly #now: Clock;
  readonly #events: TokenCacheEvents;
  #cached: CachedToken | undefined;
  #inflight: Promise<AccessToken> | undefined;
  #backgroundRetryAt = 0;
  #lastError: unknown;
  /** Bumped by reset(): a fetch started before it answers its callers but is not kept. */
  #generation = 0;

  constructor(fetchToken: () => Promise<AccessToken>, now: Clock = Date.now, events: TokenCacheEvents = {}) {
    this.#fetchToken = fetchToken;
    this.#now = now;
    this.#events = events;
  }

  getToken(): Promise<AccessToken> {
    const token = this.tokenNow();
    return token ? Promise.resolve(token) : this.#refresh();
  }

  /**
   * The token getToken() would resolve with at once, without a promise; undefined
   * when a fetch is needed. Past the refresh point it starts the background refresh too.
   */
  tokenNow(): AccessToken | undefined {
    const now = this.#now();
    const cached = this.#cached;
    if (!cached || now >= cached.usableUntil) return undefined;
    if (now >= cached.refreshAt) this.#refreshInBackground(now);
    return cached.token;
  }

  rejectToken(rejected: AccessToken): boolean {
    const cached = this.#cached;
    // Already replaced (or dropped by a request rejected before this one): the next getToken() gives another.
    if (cached?.token.value !== rejected.value) return true;
    // A clock set back makes the age negative: that token is not known to be fresh.
    // A short-lived token past its refresh point may have expired in flight: not fresh either.
    const now = this.#now();
    const age = now - cached.receivedAt;
    if (age >= 0 && age < FRESH_TOKEN_MS && now < cached.refreshAt) return false;
    this.#cached = undefined;
    return true;
  }

  /**
   * Forgets the cached token and the fetch in flight (the source was renewed:
   * the ADC file changed). Callers already waiting keep their fetch; the next
   * caller starts a new one.
   */
  reset(): void {
    this.#generation++;
    this.#cached = undefined;
    this.#inflight = undefined;
    this.#backgroundRetryAt = 0;
    this.#lastError = undefined;
  }

  /** Why the last fetch failed, until one succeeds. */
  lastError(): unknown {
    return this.#lastError;
  }

  /** The token a request would get now, without I/O; for readiness and metrics. */
  peek(): AccessToken | undefined {
    const cached = this.#cached;
    return cached && this.#now() < cached.usableUntil ? cached.token : undefined;
  }

  #refresh(): Promise<AccessToken> {
    if (this.#inflight) return this.#inflight;
    const fetching = this.#fetchAndStore(this.#generation).finally(() => {
      if (this.#inflight === fetching) this.#inflight = undefined;
    });
    this.#inflight = fetching;
    return fetching;
  }

  async #fetchAndStore(generation: number): Promise<AccessToken> {
    let token: AccessToken;
    try {
      token = await this.#fetchToken();
    } catch (err) {
      if (generation === this.#generation) this.#lastError = err;
      this.#events.onFetchError?.(err);
      throw err;
    }
    if (generation !== this.#generation) return token;
    this.#lastError = undefined;
    // The lifetime is what is left when the token arrives: the fetch itself
    // (retries included) must not make a short-lived token look longer-lived.
    const receivedAt = this.#now();
    this.#cached = scheduleFor(token, receivedAt);
    this.#events.onRefresh?.(token, receivedAt);
    return token;
  }

  #refreshInBackground(now: number): void {
    if (this.#inflight || now < this.#backgroundRetryAt) return;
    this.#refresh().catch(() => {
      // The current token is still usable; try again shortly rather than on every request.
      this.#backgroundRetryAt = this.#now() + BACKGROUND_RETRY_DELAY_MS;
    });
  }
}
