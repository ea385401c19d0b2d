// A token source under test control for TokenCache: each fetch waits until the
// test answers it, on a fake clock, so every instant around a token's refresh
// point, safety margin and rejection window is exact.

import type { Test } from 'tap';
import { TokenCache, type AccessToken } from '../../src/credentials/token-cache.ts';

export const SECOND = 1000;
export const HOUR = 3600 * SECOND;

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A token source under test control: each fetch waits until the test answers it. */
export class FakeIssuer {
  time = 1_000_000;
  readonly pending: Deferred<AccessToken>[] = [];
  fetches = 0;
  #sequence = 0;

  readonly now = () => this.time;
  readonly fetch = (): Promise<AccessToken> => {
    this.fetches++;
    const answer = deferred<AccessToken>();
    this.pending.push(answer);
    return answer.promise;
  };

  /** Answers the oldest open fetch with a token living `lifetimeMs` from now. */
  issue(lifetimeMs: number): AccessToken {
    const token = { value: `token-${++this.#sequence}`, expiresAt: this.time + lifetimeMs };
    const answer = this.pending.shift();
    if (!answer) throw new Error('no fetch is waiting');
    answer.resolve(token);
    return token;
  }

  fail(err: unknown): void {
    const answer = this.pending.shift();
    if (!answer) throw new Error('no fetch is waiting');
    answer.reject(err);
  }
}

/** Lets every promise callback already due run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves to 'pending' when `promise` has not settled after pending I/O callbacks ran. */
export async function state(promise: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  const marker = Symbol('pending');
  const result = await Promise.race([
    promise.then(
      () => 'fulfilled' as const,
      () => 'rejected' as const,
    ),
    new Promise((resolve) => setImmediate(resolve, marker)),
  ]);
  return result === marker ? 'pending' : (result as 'fulfilled' | 'rejected');
}

/** A cache holding a first token of `lifetimeMs`, fetched at the issuer's current time. */
export async function warmCache(t: Test, lifetimeMs: number) {
  const issuer = new FakeIssuer();
  const refreshErrors: unknown[] = [];
  const cache = new TokenCache(issuer.fetch, issuer.now, { onFetchError: (err) => refreshErrors.push(err) });
  const first = cache.getToken();
  const token = issuer.issue(lifetimeMs);
  t.equal((await first).value, token.value, 'the first token is fetched');
  return { issuer, cache, token, refreshErrors, start: issuer.time };
}

