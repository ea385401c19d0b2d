// Application Default Credentials behind the small TokenSource interface.
// google-auth-library does discovery (env key file, gcloud ADC, metadata server,
// workload identity federation, impersonation) and the token exchange; our
// TokenCache decides *when* to ask, so the library's own cache is bypassed.

import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { credentialError, projectError } from './credential-errors.ts';
import { ProxyError } from './errors.ts';
import { TokenCache, type AccessToken, type Clock, type TokenCacheEvents, type TokenSource } from './token-cache.ts';

export { credentialError, NO_CREDENTIALS_HELP } from './credential-errors.ts';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

// Used only when a credential type reports no expiry: short, so we ask again soon.
const FALLBACK_LIFETIME_MS = 60_000;

// Our cache calls the library only when it wants a new token. The library
// compares `expiry_date <= now + threshold`, so a threshold longer than any
// lifetime makes every call a real refresh (OAuth2 clients, gtoken for service
// account keys, external accounts all honour it).
const ALWAYS_REFRESH_THRESHOLD_MS = 365 * 24 * 3600 * 1000;

// After a failure, how long the failed GoogleAuth keeps answering before a
// fresh one rediscovers: bounds the cost of a broken set-up under load (the
// project lookup can spawn `gcloud` and probe the metadata server).
const REDISCOVER_AFTER_MS = 2_000;

/** How long one token fetch or project lookup may take (PROXY_TOKEN_TIMEOUT_SECONDS). */
export const DEFAULT_TOKEN_TIMEOUT_MS = 15_000;

export interface CredentialInfo {
  /** e.g. `authorized_user`, `service_account`, `metadata_server`. */
  readonly type: string;
  readonly projectId: string | undefined;
  readonly quotaProject: string | undefined;
}

export interface Credentials extends TokenSource {
  /** The project ADC reports, for when config names none. */
  projectId(): Promise<string>;
  describe(): Promise<CredentialInfo>;
  /** The usable cached token, if any, without I/O. */
  peek(): AccessToken | undefined;
  /** Why the last token fetch failed, until one succeeds; without I/O. */
  lastError(): unknown;
}

export interface AdcOptions {
  readonly now?: Clock;
  readonly events?: TokenCacheEvents;
  /** The first GoogleAuth; default: `createAuth()`. */
  readonly auth?: GoogleAuth;
  /** Builds a GoogleAuth; called again to rediscover after a failure. */
  readonly createAuth?: () => GoogleAuth;
  /** Deadline for one token fetch or project lookup; default DEFAULT_TOKEN_TIMEOUT_MS. */
  readonly fetchTimeoutMs?: number;
}

/** The GoogleAuth the daemon uses. A new one reads ADC afresh (the library caches its client). */
export function createGoogleAuth(): GoogleAuth {
  return new GoogleAuth({
    scopes: [CLOUD_PLATFORM_SCOPE],
    clientOptions: { eagerRefreshThresholdMillis: ALWAYS_REFRESH_THRESHOLD_MS },
  });
}

/**
 * One GoogleAuth serves the process while it works. A GoogleAuth remembers
 * negative answers for its whole life (a rejected project lookup, "not on GCE")
 * and keeps a client whose refresh token may since have been replaced by a new
 * `gcloud auth application-default login`. So after a failure the next call,
 * once REDISCOVER_AFTER_MS has passed, starts over with a fresh instance: the
 * daemon recovers by itself when credentials appear.
 */
class AdcSession {
  readonly #createAuth: () => GoogleAuth;
  readonly #now: Clock;
  readonly #timeoutMs: number;
  #auth: GoogleAuth;
  #failedAt: number | undefined;

  constructor(first: GoogleAuth, createAuth: () => GoogleAuth, now: Clock, timeoutMs: number) {
    this.#createAuth = createAuth;
    this.#now = now;
    this.#timeoutMs = timeoutMs;
    this.#auth = first;
  }

  async use<T>(work: (auth: GoogleAuth) => Promise<T>): Promise<T> {
    if (this.#failedAt !== undefined && this.#now() - this.#failedAt >= REDISCOVER_AFTER_MS) {
      this.#auth = this.#createAuth();
      this.#failedAt = undefined;
    }
    const auth = this.#auth;
    try {
      // A source that never answers (gcp-metadata sets no timeout on Google
      // Cloud; an STS exchange can hang) would otherwise hold every waiting
      // request and the single-flight fetch forever. A timeout counts as a
      // failure, so the GoogleAuth that hung is replaced too.
      return await withDeadline(work(auth), this.#timeoutMs);
    } catch (err) {
      if (auth !== this.#auth) throw err;
      // The library joins later calls to the fetch that hung: only a new GoogleAuth asks again.
      if (err instanceof FetchDeadlineError) this.#auth = this.#createAuth();
      else this.#failedAt ??= this.#now();
      throw err;
    }
  }
}

export function createAdcCredentials(options: AdcOptions = {}): Credentials {
  const now = options.now ?? Date.now;
  const createAuth = options.createAuth ?? createGoogleAuth;
  const session = new AdcSession(options.auth ?? createAuth(), createAuth, now, options.fetchTimeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS);
  const client = (auth: GoogleAuth) => auth.getClient().catch((err: unknown) => Promise.reject(credentialError(err)));

  const fetchToken = () =>
    session.use(async (auth): Promise<AccessToken> => {
      const authClient = await client(auth);
      const value = await authClient.getAccessToken().then(
        (answer) => answer.token,
        (err: unknown) => Promise.reject(credentialError(err)),
      );
      if (!value) throw new ProxyError(503, 'token_unavailable', 'The credential returned an empty access token.');
      return { value, expiresAt: expiryOf(authClient, now), quotaProject: authClient.quotaProjectId ?? undefined };
    });

  const cache = new TokenCache(fetchToken, now, options.events);
  const projectId = () => session.use((auth) => auth.getProjectId().catch((err: unknown) => Promise.reject(projectError(err))));

  return {
    getToken: () => cache.getToken(),
    invalidate: (token) => cache.invalidate(token),
    peek: () => cache.peek(),
    lastError: () => cache.lastError(),
    projectId,
    describe: () =>
      session.use(async (auth) => {
        const authClient = await client(auth);
        const project = await auth.getProjectId().catch(() => undefined);
        return { type: credentialType(authClient), projectId: project ?? undefined, quotaProject: authClient.quotaProjectId ?? undefined };
      }),
  };
}

class FetchDeadlineError extends ProxyError {
  constructor(timeoutMs: number) {
    const seconds = timeoutMs / 1000;
    super(503, 'token_unavailable', `The credential source did not answer within ${seconds} s (PROXY_TOKEN_TIMEOUT_SECONDS); the next request tries again.`);
  }
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new FetchDeadlineError(timeoutMs)), timeoutMs);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** `expiry_date` is epoch ms, stamped by the library when the answer arrived. */
function expiryOf(authClient: AuthClient, now: Clock): number {
  const expiry = authClient.credentials?.expiry_date;
  if (typeof expiry !== 'number') return now() + FALLBACK_LIFETIME_MS;
  if (expiry <= now()) {
    throw new ProxyError(503, 'token_unavailable', 'The credential returned an access token that has already expired; check the system clock.');
  }
  return expiry;
}

export function credentialType(client: AuthClient): string {
  const names: Record<string, string> = {
    Compute: 'metadata_server',
    UserRefreshClient: 'authorized_user',
    JWT: 'service_account',
    Impersonated: 'impersonated_service_account',
    IdentityPoolClient: 'external_account',
    AwsClient: 'external_account',
    PluggableAuthClient: 'external_account',
    ExternalAccountAuthorizedUserClient: 'external_account_authorized_user',
  };
  return names[client.constructor.name] ?? client.constructor.name;
}
