// Background mode through the whole app with the real openai SDK, against a
// fake Vertex that streams slowly: a background response answers at once and
// is polled to its end; a background stream the client drops goes on, and
// resumes with the same sequence numbers and the whole text; a cancel cuts
// the upstream request and is idempotent.

import t from 'tap';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { waitFor, within } from '../helpers/wait.ts';

const MODEL = 'google/gemini-2.5-flash';

async function sdk(h: Harness): Promise<OpenAI> {
  return new OpenAI({ baseURL: `${await h.listen()}/v1`, apiKey: 'sk-dummy', maxRetries: 0 });
}

const text = (chunks: number) => Array.from({ length: chunks }, (_, i) => `part${i} `).join('');
const deltas = (events: ResponseStreamEvent[]) => events.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
const logLines = (h: Harness, msg: string) => h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === msg);

const RUNNING_GAUGE = /^vertex_openai_proxy_responses_background_running (\d+)$/m;

async function runningGauge(h: Harness): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return Number(RUNNING_GAUGE.exec(text)?.[1]);
}

t.test('the metrics gauge counts the background generations running', async (t) => {
  const h = await startHarness(t, { vertex: { chunks: 40, chunkDelayMs: 20 } });
  const client = await sdk(h);
  t.equal(await runningGauge(h), 0);
  const created = await client.responses.create({ model: MODEL, input: 'hi', background: true });
  t.equal(await runningGauge(h), 1, 'while it runs');
  await waitFor(async () => (await client.responses.retrieve(created.id)).status === 'completed', 'completion');
  t.equal(await runningGauge(h), 0, 'once it ended');
});

t.test('create background, poll retrieve until completed', async (t) => {
  const h = await startHarness(t, { vertex: { chunks: 5, chunkDelayMs: 30 } });
  const client = await sdk(h);
  const created = await client.responses.create({ model: MODEL, input: 'hi', background: true });
  t.equal(created.status, 'queued', 'answered at once, queued');
  t.equal(created.background, true);
  t.same(created.output, []);
  const seen = new Set<string>();
  let response = created;
  while (response.status === 'queued' || response.status === 'in_progress') {
    seen.add(response.status);
    await new Promise((resolve) => setTimeout(resolve, 10));
    response = await client.responses.retrieve(created.id);
  }
  t.ok(seen.has('in_progress'), 'seen in progress while it ran');
  t.equal(response.status, 'completed');
  t.equal(response.output_text, text(5));
  t.equal(h.vertex.aborted, 0);
  t.match(JSON.parse(h.vertex.last?.body.toString() ?? '{}'), { stream: true }, 'asked upstream as a stream');
  const [line, ...more] = logLines(h, 'background response');
  t.match(line, { responseId: created.id, model: MODEL, background: true, stream: false, status: 'completed', upstreamStatus: 200 });
  t.equal(more.length, 0, 'one completion line');
  t.equal((await client.responses.inputItems.list(created.id)).data.length, 1, 'its input items are stored');
});

t.test('a dropped background stream goes on and resumes with the same sequence numbers', async (t) => {
  const h = await startHarness(t, { vertex: { chunks: 12, chunkDelayMs: 40 } });
  const client = await sdk(h);
  const stream = await client.responses.create({ model: MODEL, input: 'hi', background: true, stream: true });
  const first: ResponseStreamEvent[] = [];
  for await (const event of stream) {
    first.push(event);
    // Leaving the loop aborts the SDK's request: the client disconnects mid-stream.
    if (first.filter((e) => e.type === 'response.output_text.delta').length === 2) break;
  }
  const id = (first[0] as { response: { id: string } }).response.id;
  const cursor = first.at(-1)?.sequence_number ?? -1;
  t.same(first.map((e) => e.sequence_number), [...first.keys()], 'numbered from 0');

  // Resumed while it still runs: the rest so far, then live until the end.
  const resumed: ResponseStreamEvent[] = [];
  for await (const event of await client.responses.retrieve(id, { stream: true, starting_after: cursor })) resumed.push(event);
  t.equal(resumed[0]?.sequence_number, cursor + 1, 'continues after the cursor');
  t.same(resumed.map((e) => e.sequence_number), resumed.map((_, i) => cursor + 1 + i), 'no gap, no repeat');
  t.equal(resumed.at(-1)?.type, 'response.completed');
  t.equal(deltas(first) + deltas(resumed), text(12), 'the text is whole');
  t.equal(h.vertex.aborted, 0, 'the client leaving did not cut the upstream');

  // Once finished, the SDK's own resume (a full replay, filtered) reads the stored events.
  const again = client.responses.stream({ response_id: id, starting_after: cursor });
  const later: ResponseStreamEvent[] = [];
  for await (const event of again) later.push(event);
  t.same(later.map((e) => e.sequence_number), resumed.map((e) => e.sequence_number), 'the same numbers after the end');
  t.equal((await again.finalResponse()).output_text, text(12));
  t.equal((await client.responses.retrieve(id)).status, 'completed');
  t.match(logLines(h, 'background response'), [{ responseId: id, stream: true, status: 'completed' }]);
  const requestLine = logLines(h, 'request').find((l) => l.method === 'POST');
  t.ok(requestLine?.incomplete, 'the dropped request logs as incomplete');
});

t.test('cancel cuts the upstream call; twice returns it as it is', async (t) => {
  const h = await startHarness(t, { vertex: { chunks: 200, chunkDelayMs: 20 } });
  const client = await sdk(h);
  const created = await client.responses.create({ model: MODEL, input: 'hi', background: true });
  await waitFor(async () => (await client.responses.retrieve(created.id)).output_text.length > 0, 'some output');
  const cancelled = await client.responses.cancel(created.id);
  t.equal(cancelled.id, created.id);
  t.equal(cancelled.status, 'cancelled');
  t.equal(cancelled.error, null, 'a cancel is not a failure');
  // The SDK adds output_text to create and retrieve only.
  t.match(cancelled.output, [{ type: 'message', content: [{ text: /^part0 / }] }], 'keeps what was written');
  await waitFor(() => h.vertex.aborted === 1, 'the fake Vertex to see its request closed');
  t.equal(h.vertex.inFlight, 0);
  const twice = await client.responses.cancel(created.id);
  t.same(twice, cancelled, 'cancelling again returns it as it is');
  // As openai-python sends every body-less POST: a JSON content type and no body.
  const python = await fetch(`${h.url}/v1/responses/${created.id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '0' } });
  t.equal(python.status, 200, 'an empty JSON body is no body');
  t.same(await python.json(), cancelled);
  const retrieved = await client.responses.retrieve(created.id);
  t.equal(retrieved.status, 'cancelled');
  t.equal(retrieved.error, null);
  t.match(logLines(h, 'background response'), [{ responseId: created.id, status: 'cancelled' }]);

  // A response that ended on its own comes back unchanged too.
  h.vertex.chunks = 2;
  const quick = await client.responses.create({ model: MODEL, input: 'hi', background: true });
  await waitFor(async () => (await client.responses.retrieve(quick.id)).status === 'completed', 'completion');
  t.equal((await client.responses.cancel(quick.id)).status, 'completed');
});

t.test('a background stream that is cancelled ends, and its followers with it', async (t) => {
  const h = await startHarness(t, { vertex: { chunks: 200, chunkDelayMs: 20 } });
  const client = await sdk(h);
  const stream = await client.responses.create({ model: MODEL, input: 'hi', background: true, stream: true });
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    if (events.length === 4) void client.responses.cancel((events[0] as { response: { id: string } }).response.id);
  }
  t.notOk(events.some((e) => e.type === 'response.completed' || e.type === 'response.failed'), 'no terminal event for a cancel');
  await waitFor(() => h.vertex.aborted === 1, 'the upstream request closed');
});

t.test('a background stream starts with response.created (queued) at once; a cancel does not wait for the token', async (t) => {
  const h = await startHarness(t, { metadata: { tokenDelayMs: 3_000 }, vertex: { chunks: 3, chunkDelayMs: 10 } });
  const client = await sdk(h);
  const stream = await client.responses.create({ model: MODEL, input: 'hi', background: true, stream: true });
  const iterator = stream[Symbol.asyncIterator]();
  const first = (await iterator.next()).value as ResponseStreamEvent;
  t.match(first, { type: 'response.created', sequence_number: 0, response: { status: 'queued' } }, 'before any token');
  const id = (first as { response: { id: string } }).response.id;
  t.equal((await client.responses.retrieve(id)).status, 'queued');
  const resumed = await client.responses.retrieve(id, { stream: true });
  const began = Date.now();
  t.equal((await client.responses.cancel(id)).status, 'cancelled');
  t.ok(Date.now() - began < 1_500, `the cancel ended the run at once (${Date.now() - began} ms)`);
  const rest: ResponseStreamEvent[] = [];
  for await (const event of resumed) rest.push(event);
  t.same(rest.map((e) => [e.sequence_number, e.type]), [[0, 'response.created']], 'a resume sees the same first event');
  t.equal((await iterator.next()).done, true, 'the live stream ended with the cancel');
  t.equal(h.vertex.requests.length, 0, 'nothing went upstream');
});

t.test('shutdown while a client follows: the follower ends with the run, the close does not wait on its connection', async (t) => {
  const h = await startHarness(t, { env: { PROXY_SHUTDOWN_GRACE_SECONDS: '0.3' }, vertex: { chunks: 1000, chunkDelayMs: 20 } });
  const client = await sdk(h);
  const stream = await client.responses.create({ model: MODEL, input: 'hi', background: true, stream: true });
  const seen: ResponseStreamEvent[] = [];
  const reading = (async () => {
    for await (const event of stream) seen.push(event);
  })();
  await waitFor(() => seen.some((e) => e.type === 'response.output_text.delta'), 'some text');
  await within(h.app.close(), 'the close', 5_000);
  await within(reading, 'the follower to end', 5_000);
  t.notOk(seen.some((e) => e.type === 'response.completed'), 'cancelled at the end of the grace period');
});
