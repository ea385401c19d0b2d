// TokenCache.rejectToken: after an upstream 401, whether a replay with another
// token is worthwhile. A token received moments ago and still in force is kept
// (a persistent 401 must not cost a fetch per request); an older one is dropped.

import t from 'tap';
import { FRESH_TOKEN_MS } from '../src/credentials/token-cache.ts';
import { HOUR, SECOND, warmCache } from './helpers/token-issuer.ts';

t.test('a rejected token is dropped once past FRESH_TOKEN_MS: the caller is told to replay and the next one fetches; a newer token is kept', async (t) => {
  const { issuer, cache, token } = await warmCache(t, HOUR);
  issuer.time += FRESH_TOKEN_MS;
  t.equal(cache.rejectToken(token), true, 'worth a replay');
  t.equal(cache.peek(), undefined);
  const replacement = cache.getToken();
  t.equal(issuer.fetches, 2, 'the next caller fetches');
  const next = issuer.issue(HOUR);
  t.equal((await replacement).value, next.value);

  t.equal(cache.rejectToken(token), true, 'a request that held the old token replays with the newer one');
  t.equal((await cache.getToken()).value, next.value, 'a stale 401 does not drop the newer token');
  t.equal(issuer.fetches, 2);
});

t.test('a token in force received under FRESH_TOKEN_MS ago is kept when rejected: no replay, no fetch', async (t) => {
  const { issuer, cache, token } = await warmCache(t, HOUR);
  issuer.time += FRESH_TOKEN_MS - 1;
  t.equal(cache.rejectToken(token), false, 'a replay would carry the token just rejected');
  t.equal(cache.peek()?.value, token.value, 'kept');
  t.equal(cache.rejectToken(token), false, 'however many requests it fails');
  t.equal((await cache.getToken()).value, token.value);
  t.equal(issuer.fetches, 1, 'a persistent 401 costs no fetch per request');

  issuer.time += 1;
  t.equal(cache.rejectToken(token), true, 'at FRESH_TOKEN_MS it is dropped');
  const replacement = cache.getToken();
  t.equal(issuer.fetches, 2, 'one fetch');
  const next = issuer.issue(HOUR);
  t.equal((await replacement).value, next.value);
  t.equal(cache.rejectToken(next), false, 'and the new token is fresh in turn');
  t.equal(issuer.fetches, 2);
});

t.test('a token received "later" than now (the clock was set back) is not taken for fresh', async (t) => {
  const { issuer, cache, token } = await warmCache(t, HOUR);
  issuer.time -= 10 * SECOND;
  t.equal(cache.rejectToken(token), true);
  t.equal(cache.peek(), undefined);
});

t.test('a short-lived token past its refresh point is not taken for fresh: it may have expired in flight', async (t) => {
  const { issuer, cache, token } = await warmCache(t, 20 * SECOND);
  issuer.time += 15 * SECOND;
  t.equal(cache.rejectToken(token), false, 'before its refresh point (16 s of 20) a 401 stands');
  issuer.time += 2 * SECOND;
  t.equal(cache.rejectToken(token), true, 'past it, replayed with the next token');
  t.equal(cache.peek(), undefined);
});
