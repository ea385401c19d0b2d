// TokenCache on its own: a fake fetch function and a fake clock, so every
// instant around a token's refresh point and safety margin is exact.

import t from 'tap';
import { BACKGROUND_RETRY_DELAY_MS, FRESH_TOKEN_MS, scheduleFor, TokenCache, type AccessToken } from '../src/credentials/token-cache.ts';
import { FakeIssuer, HOUR, SECOND, settle, state, warmCache } from './helpers/token-issuer.ts';

t.test('margin and refresh lead scale with the lifetime, capped for long-lived tokens', async (t) => {
  const cases = [
    // lifetime, safety margin, refresh lead
    { lifetime: 3 * SECOND, margin: 300, lead: 600 },
    { lifetime: 10 * SECOND, margin: 1 * SECOND, lead: 2 * SECOND },
    { lifetime: 5 * 60 * SECOND, margin: 30 * SECOND, lead: 60 * SECOND },
    { lifetime: HOUR, margin: 60 * SECOND, lead: 5 * 60 * SECOND },
    { lifetime: 12 * HOUR, margin: 60 * SECOND, lead: 5 * 60 * SECOND },
  ];
  for (const { lifetime, margin, lead } of cases) {
    const receivedAt = 5_000;
    const token = { value: 'x', expiresAt: receivedAt + lifetime };
    const schedule = scheduleFor(token, receivedAt);
    t.equal(token.expiresAt - schedule.usableUntil, margin, `${lifetime} ms: margin ${margin} ms`);
    t.equal(token.expiresAt - schedule.refreshAt, lead, `${lifetime} ms: refresh lead ${lead} ms`);
    t.ok(schedule.refreshAt < schedule.usableUntil, 'refresh starts before the token becomes unusable');
  }
  const expired = scheduleFor({ value: 'x', expiresAt: 1_000 }, 2_000);
  t.equal(expired.usableUntil, 1_000, 'an already expired token is never usable');
});

t.test('concurrent callers on a cold cache share one fetch', async (t) => {
  const issuer = new FakeIssuer();
  const cache = new TokenCache(issuer.fetch, issuer.now);
  const callers = Array.from({ length: 50 }, () => cache.getToken());
  t.equal(issuer.fetches, 1, 'one fetch for 50 callers');
  const token = issuer.issue(HOUR);
  const tokens = await Promise.all(callers);
  t.ok(tokens.every((got) => got.value === token.value), 'all get the same token');
});

t.test('a warm cache answers from memory until the refresh point', async (t) => {
  const { issuer, cache, token, start } = await warmCache(t, HOUR);
  const { refreshAt } = scheduleFor(token, start);
  for (const at of [start, start + 1, Math.floor((start + refreshAt) / 2), refreshAt - 1]) {
    issuer.time = at;
    t.equal((await cache.getToken()).value, token.value, `${(at - start) / SECOND} s after it arrived: the same token`);
    t.equal(cache.peek()?.value, token.value, 'peek sees it without I/O');
  }
  t.equal(issuer.fetches, 1, 'no fetch after the first');
});

for (const lifetime of [10 * SECOND, HOUR]) {
  t.test(`${lifetime / SECOND} s token: past the refresh point the current token is served while a new one is fetched`, async (t) => {
    const { issuer, cache, token, start } = await warmCache(t, lifetime);
    const { refreshAt, usableUntil } = scheduleFor(token, start);

    issuer.time = refreshAt - 1;
    t.equal((await cache.getToken()).value, token.value);
    t.equal(issuer.fetches, 1, 'no refresh before the refresh point');

    issuer.time = refreshAt;
    const during = cache.getToken();
    t.equal(await state(during), 'fulfilled', 'the request does not wait for the refresh');
    t.equal((await during).value, token.value, 'it gets the still-valid current token');
    t.equal(issuer.fetches, 2, 'a background refresh started');

    issuer.time = usableUntil - 1;
    t.equal((await cache.getToken()).value, token.value, 'still served while the refresh is in flight');
    t.equal(issuer.fetches, 2, 'the refresh in flight is not duplicated');

    const next = issuer.issue(lifetime);
    await settle();
    t.equal((await cache.getToken()).value, next.value, 'the refreshed token replaces it');
    t.equal(issuer.fetches, 2);
  });

  t.test(`${lifetime / SECOND} s token: never handed out inside its safety margin`, async (t) => {
    const { issuer, cache, token, start } = await warmCache(t, lifetime);
    const { usableUntil } = scheduleFor(token, start);
    t.ok(usableUntil < token.expiresAt, 'the margin is not empty');

    issuer.time = usableUntil;
    const waiting = cache.getToken();
    t.equal(await state(waiting), 'pending', 'inside the margin a caller waits for a new token');
    t.equal(issuer.fetches, 2);
    const joined = cache.getToken();
    t.equal(issuer.fetches, 2, 'later callers join the same fetch');
    const next = issuer.issue(lifetime);
    t.equal((await waiting).value, next.value);
    t.equal((await joined).value, next.value);
    t.notOk(cache.peek()?.value === token.value, 'the old token is gone');
  });
}

t.test('a failed background refresh keeps serving the good token and retries later, not per request', async (t) => {
  const { issuer, cache, token, start, refreshErrors } = await warmCache(t, HOUR);
  const { refreshAt } = scheduleFor(token, start);
  issuer.time = refreshAt;
  t.equal((await cache.getToken()).value, token.value);
  issuer.fail(new Error('metadata server down'));
  await settle();
  t.equal(refreshErrors.length, 1, 'the failure is reported');

  for (const after of [0, 1, BACKGROUND_RETRY_DELAY_MS - 1]) {
    issuer.time = refreshAt + after;
    t.equal((await cache.getToken()).value, token.value, `${after} ms after the failure: the current token`);
  }
  t.equal(issuer.fetches, 2, `no retry within ${BACKGROUND_RETRY_DELAY_MS} ms, however many requests`);

  issuer.time = refreshAt + BACKGROUND_RETRY_DELAY_MS;
  t.equal((await cache.getToken()).value, token.value);
  t.equal(issuer.fetches, 3, 'retried once the delay is over');
  const next = issuer.issue(HOUR);
  await Promise.resolve();
  t.equal((await cache.getToken()).value, next.value);
});

t.test('failures are not cached: the next caller fetches again', async (t) => {
  const issuer = new FakeIssuer();
  const cache = new TokenCache(issuer.fetch, issuer.now);
  const first = cache.getToken();
  const second = cache.getToken();
  issuer.fail(new Error('no credentials'));
  await t.rejects(first, /no credentials/);
  await t.rejects(second, /no credentials/, 'joined callers share the failure');
  t.equal(cache.peek(), undefined);

  const third = cache.getToken();
  t.equal(issuer.fetches, 2, 'a new fetch after the failure');
  const token = issuer.issue(HOUR);
  t.equal((await third).value, token.value);
});

t.test('reset: the fetch in flight answers its callers but is not kept; the next caller fetches afresh', async (t) => {
  const { issuer, cache } = await warmCache(t, HOUR);
  issuer.time += FRESH_TOKEN_MS;
  cache.rejectToken(cache.peek() as AccessToken);
  const before = cache.getToken();
  t.equal(issuer.fetches, 2, 'a fetch from the old source is under way');
  cache.reset();
  t.equal(cache.peek(), undefined);
  const after = cache.getToken();
  t.equal(issuer.fetches, 3, 'the next caller does not join the old fetch');
  const old = issuer.issue(HOUR);
  t.equal((await before).value, old.value, 'the old fetch still answers its own callers');
  t.equal(cache.peek(), undefined, 'but its token is not cached');
  const fresh = issuer.issue(HOUR);
  t.equal((await after).value, fresh.value);
  t.equal(cache.peek()?.value, fresh.value, 'the new source\'s token is');
});
