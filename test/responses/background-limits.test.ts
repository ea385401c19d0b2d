// Background mode's refusals and bounds through the whole app: `store: false`
// (or a store that can hold nothing)
// and cancelling a response not made in the background are 400s as OpenAI
// answers them, an unknown id a 404; past PROXY_RESPONSES_BACKGROUND_MAX a
// 429 with Retry-After; an upstream error ends the response `failed`, logged
// once; DELETE of a running one cancels it; shutdown gives running ones the
// grace period, then cancels them. (The event log itself: event-log.test.ts.)

import t from 'tap';
import { googleError } from '../helpers/fake-vertex.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { assertOpenAIError } from '../helpers/openai-error.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, createOk } from './calls.ts';

const MODEL = 'google/gemini-2.5-flash';

async function startBackground(h: Harness, body: Record<string, unknown> = {}): Promise<string> {
  return (await createOk(h, { model: MODEL, input: 'hi', background: true, ...body })).json().id;
}

const get = async (h: Harness, id: string) => (await call(h, 'GET', `/v1/responses/${id}`)).json();
const logLines = (h: Harness, msg: string) => h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === msg);

t.test('refusals: store false, a cancel of a foreground response, an unknown id', async (t) => {
  const h = await startHarness(t);
  const noStore = await call(h, 'POST', '/v1/responses', { model: MODEL, input: 'hi', background: true, store: false });
  t.equal(noStore.statusCode, 400);
  const error = assertOpenAIError(t, noStore.body, { code: 'background_requires_store', type: 'invalid_request_error', param: 'background' });
  t.equal(error.error.message, 'background can only be used when `store` is true');
  t.equal(h.vertex.requests.length, 0, 'nothing went upstream');

  const foreground = (await createOk(h, { model: MODEL, input: 'hi' })).json().id;
  for (const prefix of ['/v1', '']) {
    const res = await call(h, 'POST', `${prefix}/responses/${foreground}/cancel`);
    t.equal(res.statusCode, 400);
    t.equal(assertOpenAIError(t, res.body, { code: 'response_not_background' }).error.message, 'Cannot cancel a synchronous response.');
  }
  const empty = await h.app.inject({ method: 'POST', url: '/v1/responses', headers: { host: '127.0.0.1:8765', 'content-type': 'application/json' }, payload: '' });
  t.equal(empty.statusCode, 400, 'a route that takes a body still wants one');
  assertOpenAIError(t, empty.body, { code: 'invalid_json' });
  const unknown = await call(h, 'POST', '/v1/responses/resp_nope/cancel');
  t.equal(unknown.statusCode, 404);
  assertOpenAIError(t, unknown.body, { code: 'response_not_found', type: 'not_found_error' });
});

t.test('a store that can hold nothing refuses background up front', async (t) => {
  const h = await startHarness(t, { env: { PROXY_RESPONSES_STORE_MB: '0' } });
  for (const stream of [false, true]) {
    const res = await call(h, 'POST', '/v1/responses', { model: MODEL, input: 'hi', background: true, stream });
    t.equal(res.statusCode, 400, `stream: ${stream}`);
    assertOpenAIError(t, res.body, { code: 'background_store_disabled', type: 'invalid_request_error', param: 'background' });
  }
  t.equal(h.vertex.requests.length, 0, 'nothing went upstream');
});

t.test('past the cap: 429 with Retry-After; a slot frees when one ends', async (t) => {
  const h = await startHarness(t, { env: { PROXY_RESPONSES_BACKGROUND_MAX: '1' }, vertex: { chunks: 200, chunkDelayMs: 20 } });
  const first = await startBackground(h);
  const refused = await call(h, 'POST', '/v1/responses', { model: MODEL, input: 'hi', background: true });
  t.equal(refused.statusCode, 429);
  t.equal(refused.headers['retry-after'], '10');
  assertOpenAIError(t, refused.body, { code: 'background_limit_reached', type: 'rate_limit_error' });
  t.ok((await createOk(h, { model: MODEL, input: 'hi' })).json().status === 'completed', 'foreground requests are not capped');
  t.equal((await call(h, 'POST', `/v1/responses/${first}/cancel`)).json().status, 'cancelled');
  h.vertex.chunks = 2;
  const second = await startBackground(h);
  await waitFor(async () => (await get(h, second)).status === 'completed', 'the second to complete');
});

t.test('an upstream error ends the response failed with an error, logged once', async (t) => {
  const h = await startHarness(t);
  h.vertex.next((_req, _body, res) => googleError(res, 400, 'INVALID_ARGUMENT', 'The model refuses this.'));
  const id = await startBackground(h);
  await waitFor(async () => (await get(h, id)).status === 'failed', 'the response to fail');
  const failed = await get(h, id);
  // OpenAI's codes for a failed response, as the streaming path maps them; Google's status stays in the message.
  t.same(failed.error, { code: 'server_error', message: 'The model refuses this. (Vertex AI: 400 INVALID_ARGUMENT)' });
  const lines = logLines(h, 'background response failed');
  t.equal(lines.length, 1, 'logged once');
  t.match(lines[0], { responseId: id, status: 'failed', upstreamStatus: 400, level: 40 });
  t.equal(logLines(h, 'background response').length, 0);
  t.equal((await call(h, 'POST', `/v1/responses/${id}/cancel`)).json().status, 'failed', 'a cancel returns it as it ended');

  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.'));
  const limited = await startBackground(h);
  await waitFor(async () => (await get(h, limited)).status === 'failed', 'the rate-limited response to fail');
  t.same((await get(h, limited)).error, { code: 'rate_limit_exceeded', message: 'Quota exceeded. (Vertex AI: 429 RESOURCE_EXHAUSTED)' });
});

t.test('DELETE of a running one cancels it and keeps nothing', async (t) => {
  const h = await startHarness(t, { vertex: { chunks: 200, chunkDelayMs: 20 } });
  const id = await startBackground(h);
  await waitFor(async () => (await get(h, id)).status === 'in_progress', 'the upstream to answer');
  const res = await call(h, 'DELETE', `/v1/responses/${id}`);
  t.same(res.json(), { id, object: 'response', deleted: true });
  t.equal((await call(h, 'GET', `/v1/responses/${id}`)).statusCode, 404);
  await waitFor(() => h.vertex.aborted === 1, 'the upstream request closed');
});

t.test('shutdown: a running one gets the grace period, then is cancelled', async (t) => {
  const h = await startHarness(t, { env: { PROXY_SHUTDOWN_GRACE_SECONDS: '0.3' }, vertex: { chunks: 1000, chunkDelayMs: 20 } });
  const id = await startBackground(h);
  await waitFor(async () => (await get(h, id)).status === 'in_progress', 'the upstream to answer');
  const began = Date.now();
  await h.app.close();
  const took = Date.now() - began;
  t.ok(took >= 250, `waited for the grace period (${took} ms)`);
  t.ok(took < 5_000, `then did not wait for the generation (${took} ms)`);
  await waitFor(() => h.vertex.aborted === 1, 'the upstream request closed');
  t.match(logLines(h, 'background response'), [{ responseId: id, status: 'cancelled' }]);
});

t.test('shutdown: one that ends within the grace period completes', async (t) => {
  const h = await startHarness(t, { env: { PROXY_SHUTDOWN_GRACE_SECONDS: '10' }, vertex: { chunks: 5, chunkDelayMs: 30 } });
  const id = await startBackground(h);
  await h.app.close();
  t.match(logLines(h, 'background response'), [{ responseId: id, status: 'completed' }]);
  t.equal(h.vertex.aborted, 0);
});
