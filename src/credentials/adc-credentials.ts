// Application Default Credentials behind the small Credentials interface: one
// AdcSource (the GoogleAuth) asked only when our TokenCache wants a new token,
// so the library's own cache is bypassed. When the ADC file changes — a new
// `gcloud auth application-default login`, a replaced key file — the source is
// renewed and the cached token dropped: requests holding a token finish with
// it, the next one gets a token from the new file.

import { readFileSync } from 'node:fs';
import type { AuthClient, GoogleAuth } from 'google-auth-library';
import { DEFAULT_TOKEN_TIMEOUT_SECONDS } from '../config/settings.ts';
import { followFile } from '../config/watch-file.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { AdcSource, armedClient } from './adc-source.ts';
import { credentialError, projectError } from './errors.ts';
import { TokenCache, type AccessToken, type Clock, type TokenCacheEvents, type TokenSource } from './token-cache.ts';

// Used only when a credential type reports no expiry: short, so we ask again soon.
const FALLBACK_LIFETIME_MS = 60_000;

/** How often the ADC file's stat is polled for changes. */
export const ADC_POLL_INTERVAL_MS = 2_000;

/** How long one token fetch or project lookup may take (PROXY_TOKEN_TIMEOUT_SECONDS). */
export const DEFAULT_TOKEN_TIMEOUT_MS = DEFAULT_TOKEN_TIMEOUT_SECONDS * 1000;

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
  /** As getToken() when the cached token serves, without a promise (a refresh may start); else undefined. */
  tokenNow(): AccessToken | undefined;
  /** The project ADC reported last, once known; undefined until then. */
  projectNow(): string | undefined;
  /** Why the last token fetch failed, until one succeeds; without I/O. */
  lastError(): unknown;
  /** The principal's email when ADC can tell: key file, impersonation target, metadata server. */
  principalEmail(): Promise<string | undefined>;
  /** Stops following the ADC file. */
  close(): void;
}

export interface CredentialEvents extends TokenCacheEvents {
  /** The ADC file changed; the next token comes from it. */
  onReload?(path: string): void;
  /** The GoogleAuth was replaced, and why. */
  onRenew?(reason: string): void;
}

export interface AdcOptions {
  readonly now?: Clock;
  readonly events?: CredentialEvents;
  /** The ADC file to follow; undefined: nothing to follow (metadata server only, or a one-off command). */
  readonly file?: string | undefined;
  readonly pollIntervalMs?: number;
  /** Deadline for one token fetch or project lookup; default DEFAULT_TOKEN_TIMEOUT_MS. */
  readonly fetchTimeoutMs?: number;
  readonly createAuth?: (abandoned: AbortSignal) => GoogleAuth;
  /** After a failure, how long before a fresh GoogleAuth rediscovers; default REDISCOVER_AFTER_MS. */
  readonly rediscoverAfterMs?: number;
}

export function createAdcCredentials(options: AdcOptions = {}): Credentials {
  const now = options.now ?? Date.now;
  const events = options.events ?? {};
  const source = new AdcSource({
    now,
    deadlineMs: options.fetchTimeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS,
    createAuth: options.createAuth,
    onRenew: events.onRenew,
    rediscoverAfterMs: options.rediscoverAfterMs,
  });
  const client = (auth: GoogleAuth) => armedClient(auth).catch((err: unknown) => Promise.reject(credentialError(err)));

  const fetchToken = () =>
    source.use(async (auth): Promise<AccessToken> => {
      const authClient = await client(auth);
      const answer = await authClient.getAccessToken().catch((err: unknown) => Promise.reject(credentialError(err)));
      const value = answer.token;
      if (!value) throw new ProxyError('token_unavailable', 'the credential returned an empty access token');
      return { value, expiresAt: expiryOf(authClient, answer.res?.data, now), quotaProject: authClient.quotaProjectId ?? undefined };
    });
  const cache = new TokenCache(fetchToken, now, events);

  const file = options.file;
  const stopFollowing = file
    ? followFile(file, options.pollIntervalMs ?? ADC_POLL_INTERVAL_MS, () => {
        // Editors and gcloud rewrite the file in steps: a file that is gone or
        // half-written must not cost the token in hand. Its next change is seen.
        if (!isCompleteCredentialFile(file)) return;
        source.renew('the ADC file changed');
        cache.reset();
        knownProject = undefined;
        projectGeneration++;
        events.onReload?.(file);
      })
    : () => {};

  // What the library reported: requests need no promise for it once known, and
  // a GoogleAuth renewed while offline (which keeps its failed lookup for life)
  // is never asked again. Forgotten when the ADC file changes; a lookup that
  // began before the change answers its callers but is not kept.
  let knownProject: string | undefined;
  let projectGeneration = 0;
  const projectId = async (): Promise<string> => {
    if (knownProject !== undefined) return knownProject;
    const generation = projectGeneration;
    const project = await source.use(async (auth) => {
      // An external account asks its token exchange for the project: armed first (a failure here is the lookup's to report).
      await armedClient(auth).catch(() => undefined);
      return auth.getProjectId().catch((err: unknown) => Promise.reject(projectError(err)));
    });
    if (generation === projectGeneration) knownProject = project;
    return project;
  };

  return {
    getToken: () => cache.getToken(),
    tokenNow: () => cache.tokenNow(),
    projectNow: () => knownProject,
    rejectToken: (token) => cache.rejectToken(token),
    peek: () => cache.peek(),
    lastError: () => cache.lastError(),
    projectId,
    describe: async () => {
      // The project as requests get it (kept once known), not a lookup of its own.
      const project = await projectId().catch(() => undefined);
      return source.use(async (auth) => {
        const authClient = await client(auth);
        return { type: credentialType(authClient), projectId: project, quotaProject: authClient.quotaProjectId ?? undefined };
      });
    },
    principalEmail: () => source.principalEmail(),
    close: stopFollowing,
  };
}

function isCompleteCredentialFile(path: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string';
  } catch {
    return false;
  }
}

/**
 * `expiry_date` is epoch ms, stamped by the library when the answer arrived.
 * Some clients (external_account_authorized_user) keep it to themselves: then
 * the token endpoint's own `expires_in`, and only failing that a short guess.
 */
function expiryOf(authClient: AuthClient, answer: unknown, now: Clock): number {
  const stamped = authClient.credentials?.expiry_date;
  const expiresIn = (answer as { expires_in?: unknown } | undefined)?.expires_in;
  const expiry = typeof stamped === 'number' ? stamped : typeof expiresIn === 'number' && expiresIn > 0 ? now() + expiresIn * 1000 : undefined;
  if (expiry === undefined) return now() + FALLBACK_LIFETIME_MS;
  if (expiry <= now()) {
    throw new ProxyError('token_unavailable', 'the credential returned an access token that has already expired; check the system clock');
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
