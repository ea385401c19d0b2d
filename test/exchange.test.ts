// The exchange's decisions as tables: for each upstream answer or failure, in
// each state (targets left, replay spent, client gone), what happens next.

import t from 'tap';
import { Exchange, type ResolvedTarget } from '../src/proxy/exchange.ts';

const TARGETS: ResolvedTarget[] = ['europe-west1', 'europe-west4', 'europe-west9'].map((location) => ({
  location,
  origin: `https://${location}-aiplatform.googleapis.com`,
  path: `/v1/projects/p/locations/${location}/endpoints/openapi/chat/completions`,
}));

interface State {
  readonly targets?: number;
  readonly at?: number;
  readonly replayed?: boolean;
  readonly aborted?: boolean;
}

function exchange(state: State = {}): Exchange {
  const abort = new AbortController();
  if (state.aborted) abort.abort();
  const ex = new Exchange({
    operation: 'chat/completions',
    targets: TARGETS.slice(0, state.targets ?? 1),
    headers: {},
    upstreamModel: undefined,
    dropParams: [],
    token: { value: 'ya29.first', expiresAt: Date.now() + 3_600_000 },
    signal: abort.signal,
  });
  ex.targetIndex = state.at ?? 0;
  ex.replayed = state.replayed ?? false;
  return ex;
}

const MAX_WAIT_MS = 5_000;
const NOW = Date.parse('2026-01-01T00:00:00Z');

/** name, state, status, headers, step, delay */
type Row = [string, State, number, Record<string, string>, string, number?];

t.test('what an upstream answer means', async (t) => {
  const cases: Row[] = [
    ['a success is relayed', {}, 200, {}, 'relay'],
    ['a redirect-class status is relayed as it is', {}, 304, {}, 'relay'],
    ['a client error stands', {}, 400, {}, 'error'],
    ['the first 401 asks the token source', {}, 401, {}, 'rejected'],
    ['a second 401 stands', { replayed: true }, 401, {}, 'error'],
    ['a 401 after failing over asks again', { targets: 2, at: 1 }, 401, {}, 'rejected'],
    ['429 with a location left fails over at once', { targets: 2 }, 429, {}, 'failover', 0],
    ['429 honours Retry-After seconds', { targets: 2 }, 429, { 'retry-after': '2' }, 'failover', 2_000],
    ['Retry-After is capped', { targets: 2 }, 503, { 'retry-after': '3600' }, 'failover', MAX_WAIT_MS],
    ['Retry-After as an HTTP date', { targets: 2 }, 503, { 'retry-after': new Date(NOW + 1_500).toUTCString() }, 'failover', 1_000],
    ['a date in the past waits nothing', { targets: 2 }, 502, { 'retry-after': new Date(NOW - 60_000).toUTCString() }, 'failover', 0],
    ['a garbled Retry-After waits nothing', { targets: 2 }, 504, { 'retry-after': 'soon' }, 'failover', 0],
    ...['0x2', '1e3', '1.5', '-5', ''].map((value): Row => [`Retry-After "${value}" is not delay-seconds: waits nothing`, { targets: 2 }, 503, { 'retry-after': value }, 'failover', 0]),
    ['delay-seconds past a double is capped', { targets: 2 }, 503, { 'retry-after': '9'.repeat(400) }, 'failover', MAX_WAIT_MS],
    ['delay-seconds with spaces around', { targets: 2 }, 503, { 'retry-after': ' 1 ' }, 'failover', 1_000],
    ['500 fails over too', { targets: 2 }, 500, {}, 'failover', 0],
    ['429 on the last location stands', { targets: 2, at: 1 }, 429, {}, 'error'],
    ['429 with one location stands', {}, 429, {}, 'error'],
    ['404 never fails over', { targets: 3 }, 404, {}, 'error'],
    ['a client gone: no failover', { targets: 2, aborted: true }, 503, {}, 'error'],
    ['status 600 is a failure', {}, 600, {}, 'fail'],
    ['status 999 is a failure even with locations left', { targets: 2 }, 999, {}, 'fail'],
  ];
  for (const [name, state, status, headers, kind, delayMs] of cases) {
    const step = exchange(state).onAnswer(status, headers, MAX_WAIT_MS, NOW);
    t.equal(step.kind, kind, name);
    if (delayMs !== undefined) t.equal((step as { delayMs: number }).delayMs, delayMs, `${name}: waits ${delayMs} ms`);
  }
  const bad = exchange().onAnswer(600, {}, MAX_WAIT_MS, NOW);
  t.match(bad, { kind: 'fail', error: { statusCode: 502, code: 'upstream_bad_status' } });
});

t.test('what a failure before any answer means', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const timedOut = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
  const untrusted = Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) });
  const cases: Array<[string, State, Error, string, string?]> = [
    ['the client left: an abort, not a failure', { targets: 2, aborted: true }, refused, 'aborted'],
    ['unreachable with a location left: fail over', { targets: 2 }, refused, 'failover'],
    ['a timeout with a location left: fail over', { targets: 2 }, timedOut, 'failover'],
    ['unreachable on the last location: 502', { targets: 2, at: 1 }, refused, 'fail', 'upstream_unreachable'],
    ['a timeout: 504', {}, timedOut, 'fail', 'upstream_timeout'],
    ['an untrusted certificate: 502 naming it', {}, untrusted, 'fail', 'upstream_tls_error'],
  ];
  for (const [name, state, error, kind, code] of cases) {
    const step = exchange(state).onFailure(error);
    t.equal(step.kind, kind, name);
    if (code) t.equal((step as { error: { code: string } }).error.code, code, `${name}: ${code}`);
  }
});

t.test('failing over moves to the next location and gives the replay back', async (t) => {
  const ex = exchange({ targets: 3 });
  ex.onRejected(true);
  const event = ex.failOver(300, { status: 429 });
  t.same(event, { from: 'europe-west1', to: 'europe-west4', status: 429, error: undefined, delayMs: 300 });
  t.equal(ex.target.location, 'europe-west4');
  t.equal(ex.replayed, false, 'a new location may replay a 401 once more');
  const second = ex.failOver(0, { error: new Error('connect ECONNREFUSED') });
  t.same(second, { from: 'europe-west4', to: 'europe-west9', status: undefined, error: 'connect ECONNREFUSED', delayMs: 0 });
  t.equal(ex.canFailOver(), false, 'never beyond the listed locations');
});

t.test('after a 401, the token source\'s answer decides: a replay once with another token, or the 401 stands', async (t) => {
  const cases: Array<[string, State, boolean, string, boolean]> = [
    // name, state, another token to be had, step, replay spent after
    ['another token: replayed', {}, true, 'replay', true],
    ['the rejected token is still the one to be had: the 401 stands', {}, false, 'error', false],
    ['on a later location too', { targets: 2, at: 1 }, true, 'replay', true],
  ];
  for (const [name, state, renewed, kind, spent] of cases) {
    const ex = exchange(state);
    t.equal(ex.onRejected(renewed).kind, kind, name);
    t.equal(ex.replayed, spent, `${name}: replay spent ${spent}`);
  }
  const ex = exchange();
  ex.onRejected(true);
  t.equal(ex.onAnswer(401, {}, MAX_WAIT_MS).kind, 'error', 'only once');
});
