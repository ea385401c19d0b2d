// The translated path shares the exchange with chat: the 401 replay and
// failover resend the same translated bytes, a client that leaves cuts the
// upstream request, and streams behave: response.created before the first
// upstream byte, response.failed when the upstream breaks off, an upstream
// error before the stream as JSON with its status, a stream in flight
// finishing while the app closes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { googleError } from '../helpers/fake-vertex.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { Gate, rawCall } from '../helpers/streams.ts';
import { waitFor } from '../helpers/wait.ts';
import { parseFrames } from './events.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const MODEL = 'google/gemini-2.5-flash';
const CHUNK = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

function requestLines(h: Harness): { status: number; incomplete?: boolean; stream?: boolean; model?: string }[] {
  return h.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
}

function post(h: Harness, body: unknown) {
  return rawCall(`${h.url}/v1/responses`, JSON.stringify(body));
}

const types = (text: string) => parseFrames(text).map((event) => event.type);

t.test('401 replay: a fresh token, the same translated bytes', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  await h.ageToken();
  h.vertex.next((_req, _body, res) => googleError(res, 401, 'UNAUTHENTICATED', 'token revoked'));
  const call = post(h, { model: MODEL, input: 'hi' });
  t.equal((await call.response).statusCode, 200);
  t.match(JSON.parse((await call.done).toString()), { status: 'completed' });
  const [first, replay] = h.vertex.requests;
  t.equal(h.vertex.requests.length, 2);
  t.ok(replay?.body.equals(first?.body ?? Buffer.alloc(0)), 'byte-identical replay');
  t.not(replay?.headers.authorization, first?.headers.authorization, 'with a new token');
});

t.test('failover to the next location before the first byte', async (t) => {
  const file = join(scratchDir('vop-resp-'), 'proxy.json');
  writeFileSync(file, JSON.stringify({ models: { eu: { model: MODEL, location: ['europe-west1', 'europe-west4'] } } }));
  const h = await startHarness(t, { env: { PROXY_CONFIG: file } });
  await h.listen();
  h.vertex.next((_req, _body, res) => googleError(res, 503, 'UNAVAILABLE', 'overloaded'));
  const call = post(h, { model: 'eu', input: 'hi', stream: true });
  t.equal((await call.response).statusCode, 200);
  t.equal(types((await call.done).toString()).at(-1), 'response.completed');
  t.same(
    h.vertex.requests.map((r) => /locations\/([^/]+)/.exec(r.url)?.[1]),
    ['europe-west1', 'europe-west4'],
  );
  t.ok(h.vertex.requests[1]?.body.equals(h.vertex.requests[0]?.body ?? Buffer.alloc(0)), 'the same bytes at the next location');
  t.match(await h.metrics.registry.metrics(), 'vertex_openai_proxy_failovers_total{from="europe-west1",to="europe-west4",reason="503"} 1');
});

t.test('response.created goes out before the upstream sends a byte; the text follows as it comes', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const release = new Gate();
  t.teardown(() => release.open());
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    await release.opened;
    res.write(CHUNK('Hel'));
    res.end(CHUNK('lo', 'stop') + 'data: [DONE]\n\n');
  });
  const call = post(h, { model: MODEL, input: 'hi', stream: true });
  const head = await call.response;
  t.match(head.headers['content-type'], /^text\/event-stream/);
  t.equal(head.headers['cache-control'], 'no-cache');
  await call.until((got) => got.toString().includes('response.in_progress'), 'the first events');
  t.same(types(call.received().toString()), ['response.created', 'response.in_progress'], 'nothing else before upstream text');
  release.open();
  const events = parseFrames((await call.done).toString());
  t.equal(events.at(-1)?.type, 'response.completed');
  t.equal(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e['delta']).join(''), 'Hello');
  t.match(requestLines(h)[0], { status: 200, stream: true, model: MODEL });
});

t.test('an upstream that breaks off mid-stream: response.failed, a warning, nothing stored', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  h.vertex.next((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(CHUNK('Hel'), () => res.destroy());
  });
  const call = post(h, { model: MODEL, input: 'hi', stream: true });
  const events = parseFrames((await call.done).toString());
  t.equal(events.at(-1)?.type, 'response.failed');
  const failed = events.at(-1)?.['response'] as { id: string; error: { code: string } };
  t.equal(failed.error.code, 'server_error');
  t.ok(h.logs.some((line) => line.includes('upstream stream broke off')), 'logged as the upstream’s fault');
  t.equal((await fetch(`${h.url}/v1/responses/${failed.id}`)).status, 404, 'a failed response is not kept');
});

t.test('an error event mid-stream: response.failed, the upstream request cut at once, a warning, incomplete in the log', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const more = new Gate();
  t.teardown(() => more.open());
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(CHUNK('Hel'));
    res.write(`data: ${JSON.stringify({ error: { code: 500, message: 'backend fault', status: 'INTERNAL' } })}\n\n`);
    // Vertex generating on: the proxy must not wait for (and pay for) the rest.
    await more.opened;
    if (!res.destroyed) res.end(CHUNK('lo', 'stop') + 'data: [DONE]\n\n');
  });
  const call = post(h, { model: MODEL, input: 'hi', stream: true });
  const events = parseFrames((await call.done).toString());
  t.equal(events.at(-1)?.type, 'response.failed');
  await waitFor(() => h.vertex.aborted === 1, 'the upstream request to be cut');
  const warning = h.logs.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'upstream answer failed; the client gets response.failed');
  t.match(warning, { level: 40, failure: { code: 'server_error', message: 'backend fault' } });
  await waitFor(() => requestLines(h).length === 1, 'the request line');
  t.match(requestLines(h)[0], { status: 200, incomplete: true });
});

t.test('a JSON answer that breaks off: 502 upstream_invalid_response, as Vertex was reached', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  h.vertex.next((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":"c","choices":[', () => res.destroy());
  });
  const call = post(h, { model: MODEL, input: 'hi' });
  t.equal((await call.response).statusCode, 502);
  t.match(JSON.parse((await call.done).toString()), { error: { code: 'upstream_invalid_response', message: /^The upstream answer broke off before its end/ } });
});

t.test('an upstream error before the stream is JSON with its status', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'slow down', { 'retry-after': '3' }));
  const call = post(h, { model: MODEL, input: 'hi', stream: true });
  const head = await call.response;
  t.equal(head.statusCode, 429);
  t.match(head.headers['content-type'], /^application\/json/);
  t.equal(head.headers['retry-after'], '3');
  t.match(JSON.parse((await call.done).toString()), { error: { code: 'RESOURCE_EXHAUSTED', type: 'rate_limit_error' } });
});

t.test('a client that leaves cuts the upstream request, mid-stream or before headers', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const release = new Gate();
  t.teardown(() => release.open());
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(CHUNK('first'));
    await release.opened;
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  });
  const streaming = post(h, { model: MODEL, input: 'hi', stream: true });
  await streaming.until((got) => got.toString().includes('output_text.delta'), 'the first delta');
  streaming.destroy();
  await waitFor(() => h.vertex.aborted === 1, 'upstream to see its request aborted');
  await waitFor(() => requestLines(h).length === 1, 'the log line');
  t.match(requestLines(h)[0], { status: 200, incomplete: true });

  const received = new Gate();
  h.vertex.next(async (_req, _body, res) => {
    received.open();
    await release.opened;
    if (!res.destroyed) res.end();
  });
  const waiting = post(h, { model: MODEL, input: 'hi' });
  await received.opened;
  waiting.destroy();
  await waitFor(() => h.vertex.aborted === 2, 'upstream to see the second request aborted');
  await waitFor(() => requestLines(h).length === 2, 'the second log line');
  t.match(requestLines(h)[1], { status: 499, incomplete: true });
  t.notOk(h.logs.some((line) => JSON.parse(line).level >= 40), 'nothing logged at warn or above');
});

t.test('a stream in flight finishes while the app closes', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const release = new Gate();
  t.teardown(() => release.open());
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(CHUNK('first'));
    await release.opened;
    res.end(CHUNK(' and the rest', 'stop') + 'data: [DONE]\n\n');
  });
  const call = post(h, { model: MODEL, input: 'hi', stream: true });
  await call.until((got) => got.toString().includes('output_text.delta'), 'the first delta');
  const closing = h.app.close();
  release.open();
  t.equal(types((await call.done).toString()).at(-1), 'response.completed', 'the stream ends as it should');
  await closing;
});
