// Background mode against the proxy's memory budgets, through the whole app:
// a background run keeps its request body counted against
// PROXY_BODY_MEMORY_MB until it ends (it holds what the body became), and a
// run whose events outgrow PROXY_RESPONSES_STORE_MB still streams every event
// to the client following it, while a resume after an event is refused
// rather than renumbered.

import t from 'tap';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { assertOpenAIError } from '../helpers/openai-error.ts';
import { waitFor } from '../helpers/wait.ts';
import { call } from './calls.ts';

const MODEL = 'google/gemini-2.5-flash';
const text = (chunks: number) => Array.from({ length: chunks }, (_, i) => `part${i} `).join('');
const deltas = (events: ResponseStreamEvent[]) => events.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
const get = async (h: Harness, id: string) => (await call(h, 'GET', `/v1/responses/${id}`)).json();

t.test('a running background response keeps its body counted against PROXY_BODY_MEMORY_MB', async (t) => {
  const h = await startHarness(t, { env: { PROXY_BODY_MEMORY_MB: '1' }, vertex: { chunks: 500, chunkDelayMs: 20 } });
  const big = { model: MODEL, input: 'x'.repeat(600 * 1024), background: true };
  const first = await call(h, 'POST', '/v1/responses', big);
  t.equal(first.statusCode, 200);
  t.equal(first.json().status, 'queued', 'answered at once; the run goes on');
  const refused = await call(h, 'POST', '/v1/responses', big);
  t.equal(refused.statusCode, 503, 'the running one still holds its body');
  t.equal(refused.headers['retry-after'], '1');
  assertOpenAIError(t, refused.body, { code: 'proxy_overloaded', type: 'api_error' });
  const small = await call(h, 'POST', '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
  t.not(small.statusCode, 503, 'a small request still fits beside it');

  t.equal((await call(h, 'POST', `/v1/responses/${first.json().id}/cancel`)).json().status, 'cancelled');
  const again = await call(h, 'POST', '/v1/responses', big);
  t.equal(again.statusCode, 200, 'its end gave the bytes back');
  await call(h, 'POST', `/v1/responses/${again.json().id}/cancel`);
});

t.test('events past the store budget: the follower gets them all, a resume after one is refused', async (t) => {
  const h = await startHarness(t, { env: { PROXY_RESPONSES_STORE_MB: '0.008' }, vertex: { chunks: 60, chunkDelayMs: 10 } });
  const client = new OpenAI({ baseURL: `${await h.listen()}/v1`, apiKey: 'sk-dummy', maxRetries: 0 });
  const live = client.responses.stream({ model: MODEL, input: 'hi', background: true });
  const seen: ResponseStreamEvent[] = [];
  let whileRunning: unknown;
  for await (const event of live) {
    seen.push(event);
    if (seen.length === 40) {
      const id = (seen[0] as { response: { id: string } }).response.id;
      whileRunning = await client.responses.retrieve(id, { stream: true, starting_after: 3 }).catch((err: unknown) => err);
    }
  }
  t.same(seen.map((e) => e.sequence_number), [...seen.keys()], 'every event, numbered from 0');
  t.equal(seen.at(-1)?.type, 'response.completed');
  t.equal((await live.finalResponse()).status, 'completed');
  t.equal(deltas(seen), text(60), 'the whole text');
  t.match(whileRunning, { status: 400, code: 'response_events_dropped', param: 'starting_after' }, 'refused while it runs');

  const id = (seen[0] as { response: { id: string } }).response.id;
  await waitFor(async () => (await get(h, id)).status === 'completed', 'the response to be stored');
  const after = await call(h, 'GET', `/v1/responses/${id}?stream=true&starting_after=5`);
  t.equal(after.statusCode, 400, 'refused once it has ended too');
  assertOpenAIError(t, after.body, { code: 'response_events_dropped', type: 'invalid_request_error', param: 'starting_after' });
  const replayed: ResponseStreamEvent[] = [];
  for await (const event of await client.responses.retrieve(id, { stream: true })) replayed.push(event);
  t.equal(replayed.at(-1)?.type, 'response.completed', 'a whole replay still works');
  t.equal(deltas(replayed), text(60));
});

t.test('a store too small for even the first event: the background stream still answers, with every event', async (t) => {
  const h = await startHarness(t, { env: { PROXY_RESPONSES_STORE_MB: '0.0005' }, vertex: { chunks: 5, chunkDelayMs: 10 } });
  const res = await call(h, 'POST', '/v1/responses', { model: MODEL, input: 'hi', background: true, stream: true, instructions: 'x'.repeat(800) });
  t.equal(res.statusCode, 200);
  const types = [...res.body.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
  t.equal(types[0], 'response.created');
  t.equal(types.at(-1), 'response.completed');
  t.equal(h.vertex.requests.length, 1);
});
