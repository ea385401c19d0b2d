// Credentials that follow the ADC file. google-auth-library reads the file
// once and caches its client, so after `gcloud auth application-default login`
// (or a replaced GOOGLE_APPLICATION_CREDENTIALS file) only a new GoogleAuth
// sees the new login. We poll the file's stat (cheap, works on every file
// system and through container bind mounts) and, on change, start a fresh
// generation: new GoogleAuth, empty token cache. Requests already holding a
// token finish with it; the next one gets a token from the new file.

import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { GoogleAuth } from 'google-auth-library';
import { createAdcCredentials, createGoogleAuth, type Credentials } from './credentials.ts';
import type { AccessToken, Clock, TokenCacheEvents } from './token-cache.ts';

export const DEFAULT_POLL_INTERVAL_MS = 2_000;

export interface CredentialEvents extends TokenCacheEvents {
  /** A token fetch that callers were waiting on failed (once per fetch, not per caller). */
  onFetchError?(err: unknown): void;
  /** The watched file changed; the next token comes from it. */
  onReload?(path: string): void;
}

export interface ReloadingOptions {
  /** The ADC file to follow; undefined: nothing to watch (metadata server only). */
  readonly file: string | undefined;
  readonly pollIntervalMs?: number;
  readonly now?: Clock;
  readonly events?: CredentialEvents;
  /** One per generation. */
  readonly createAuth?: () => GoogleAuth;
  readonly fetchTimeoutMs?: number;
}

export interface ReloadingCredentials extends Credentials {
  /** The principal's email when ADC can tell: key file, impersonation target, metadata server. */
  principalEmail(): Promise<string | undefined>;
  /** Stops watching the file. */
  close(): void;
}

interface Generation {
  readonly auth: GoogleAuth;
  readonly credentials: Credentials;
  email?: Promise<string | undefined>;
}

export function createReloadingCredentials(options: ReloadingOptions): ReloadingCredentials {
  const events = options.events ?? {};
  const createAuth = options.createAuth ?? createGoogleAuth;
  // Single-flight callers (and a background refresh they join) share one
  // rejection: report each failed fetch once.
  let lastReported: unknown;
  const firstReport = (err: unknown): boolean => {
    if (err === lastReported) return false;
    lastReported = err;
    return true;
  };
  const reportFailure = (err: unknown): void => {
    if (firstReport(err)) events.onFetchError?.(err);
  };
  const cacheEvents: TokenCacheEvents = {
    onRefresh: (token, fetchedAt) => events.onRefresh?.(token, fetchedAt),
    onRefreshError: (err) => {
      if (firstReport(err)) events.onRefreshError?.(err);
    },
  };

  const start = (): Generation => {
    const auth = createAuth();
    return { auth, credentials: createAdcCredentials({ auth, now: options.now, events: cacheEvents, fetchTimeoutMs: options.fetchTimeoutMs }) };
  };
  let current = start();

  const stopWatching = options.file
    ? watchForChanges(options.file, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, () => {
        // Editors and gcloud rewrite the file in steps: a file that is gone or
        // half-written must not cost the token in hand. Its next change is seen.
        if (!isCompleteCredentialFile(options.file as string)) return;
        current = start();
        events.onReload?.(options.file as string);
      })
    : () => {};

  return {
    getToken(): Promise<AccessToken> {
      const credentials = current.credentials;
      // Only a fetch can fail; a warm cache costs no extra promise here.
      const fetching = credentials.peek() === undefined;
      const token = credentials.getToken();
      if (fetching) token.catch(reportFailure);
      return token;
    },
    invalidate: (token) => current.credentials.invalidate(token),
    peek: () => current.credentials.peek(),
    lastError: () => current.credentials.lastError(),
    projectId: () => current.credentials.projectId(),
    describe: () => current.credentials.describe(),
    principalEmail: () => {
      const generation = current;
      generation.email ??= principalEmail(generation.auth);
      return generation.email;
    },
    close: stopWatching,
  };
}

/** client_email of a key file, the impersonation target, or the metadata server's account. */
export async function principalEmail(auth: GoogleAuth): Promise<string | undefined> {
  try {
    const { client_email: email } = await auth.getCredentials();
    return email || undefined;
  } catch {
    return undefined;
  }
}

function isCompleteCredentialFile(path: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string';
  } catch {
    return false;
  }
}

function watchForChanges(path: string, intervalMs: number, onChange: () => void): () => void {
  const listener = (current: Stats, previous: Stats) => {
    // Replaced (new inode, as gcloud and atomic writers do), rewritten, created or deleted.
    const changed = current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size;
    if (changed) onChange();
  };
  // Not persistent: watching never keeps the process alive.
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
