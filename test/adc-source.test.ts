// AdcSource on its own, with stand-in GoogleAuths: one owner renews the
// GoogleAuth for every reason (a failure, a call past its deadline, the ADC
// file changing), and whatever it remembers about the old one goes with it.

import type { GoogleAuth } from 'google-auth-library';
import t from 'tap';
import { AdcSource, REDISCOVER_AFTER_MS } from '../src/credentials/adc-source.ts';

interface StandIn {
  readonly id: number;
  emailAsked: number;
}

function rig(options: { deadlineMs?: number } = {}) {
  let time = 1_000_000;
  const made: StandIn[] = [];
  const reasons: string[] = [];
  const source = new AdcSource({
    now: () => time,
    deadlineMs: options.deadlineMs ?? 10_000,
    onRenew: (reason) => reasons.push(reason),
    createAuth: () => {
      const standIn: StandIn = { id: made.length + 1, emailAsked: 0 };
      made.push(standIn);
      const auth = {
        id: standIn.id,
        getCredentials: async () => {
          standIn.emailAsked++;
          return { client_email: `sa-${standIn.id}@p.iam.gserviceaccount.com` };
        },
      };
      return auth as unknown as GoogleAuth;
    },
  });
  const idOf = (auth: GoogleAuth) => (auth as unknown as { id: number }).id;
  return { source, made, reasons, idOf, advance: (ms: number) => (time += ms) };
}

t.test('renew: a fresh GoogleAuth, and the principal email is asked of it, not of the first one', async (t) => {
  const { source, made, reasons, idOf } = rig();
  t.equal(await source.principalEmail(), 'sa-1@p.iam.gserviceaccount.com');
  t.equal(await source.principalEmail(), 'sa-1@p.iam.gserviceaccount.com', 'asked once per GoogleAuth');
  t.equal(made[0]?.emailAsked, 1);
  source.renew('the ADC file changed');
  t.same(reasons, ['the ADC file changed']);
  t.equal(await source.use(async (auth) => idOf(auth)), 2, 'calls use the new one');
  t.equal(await source.principalEmail(), 'sa-2@p.iam.gserviceaccount.com', 'the email follows the renewal');
});

t.test(`after a failure the same GoogleAuth answers for ${REDISCOVER_AFTER_MS} ms, then a fresh one rediscovers`, async (t) => {
  const { source, reasons, idOf, advance } = rig();
  await t.rejects(source.use(async () => Promise.reject(new Error('no credentials'))), /no credentials/);
  advance(REDISCOVER_AFTER_MS - 1);
  t.equal(await source.use(async (auth) => idOf(auth)), 1, 'not yet');
  advance(1);
  t.equal(await source.use(async (auth) => idOf(auth)), 2, 'renewed on the first call after the wait');
  t.same(reasons, ['rediscovering after a failure']);
  advance(REDISCOVER_AFTER_MS);
  t.equal(await source.use(async (auth) => idOf(auth)), 2, 'a success clears the failure: no further renewal');
});

t.test('a call past its deadline fails with token_unavailable and the GoogleAuth that hung is replaced', async (t) => {
  const { source, reasons, idOf } = rig({ deadlineMs: 20 });
  // The deadline timer never holds the process open (a daemon's server does); this test's must.
  const keepAlive = setTimeout(() => {}, 1_000);
  t.teardown(() => clearTimeout(keepAlive));
  await t.rejects(source.use(() => new Promise(() => {})), { code: 'token_unavailable', statusCode: 503, message: /did not answer within 0\.02 s/ });
  t.same(reasons, ['a call passed its deadline']);
  t.equal(await source.use(async (auth) => idOf(auth)), 2, 'the next call asks a fresh GoogleAuth at once');
});

t.test('a call under way while the machine slept fails once the wall clock passes its deadline, though its timer has not', async (t) => {
  const { source, reasons, advance } = rig({ deadlineMs: 60_000 });
  const keepAlive = setTimeout(() => {}, 10_000);
  t.teardown(() => clearTimeout(keepAlive));
  const began = Date.now();
  const hung = source.use(() => new Promise(() => {}));
  advance(8 * 3_600_000); // eight hours asleep: the wall clock jumps, timers do not
  await t.rejects(hung, { code: 'token_unavailable', message: /did not answer within 60 s/ });
  t.ok(Date.now() - began < 5_000, 'given up within seconds of waking, not after the rest of the timer');
  t.same(reasons, ['a call passed its deadline']);
});

t.test('a failure of a GoogleAuth already replaced does not mark the new one', async (t) => {
  const { source, idOf, advance } = rig();
  let fail!: (err: Error) => void;
  const pending = source.use(() => new Promise((_resolve, reject) => (fail = reject)));
  source.renew('the ADC file changed');
  fail(new Error('old login revoked'));
  await t.rejects(pending, /old login revoked/);
  advance(REDISCOVER_AFTER_MS);
  t.equal(await source.use(async (auth) => idOf(auth)), 2, 'still the renewed one: its failure clock never started');
});
