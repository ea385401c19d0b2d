// Headers Google's front end puts on every answer about its own host —
// `alt-svc`, `set-cookie`, `strict-transport-security` — never reach a
// client, on any route that relays an upstream answer; the rest of the
// headers and the body bytes pass as they came.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { clientResponseHeaders } from '../src/proxy/headers.ts';
import { googleError } from './helpers/fake-vertex.ts';
import { CHAT_BODY, startHarness, type Harness } from './helpers/harness.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';
import { post } from './helpers/requests.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

// As Vertex answers (alt-svc as observed from Google's front end).
const ORIGIN_HEADERS = {
  'alt-svc': 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000',
  'set-cookie': ['NID=511=abc; expires=Fri, 01-Jan-2027 00:00:00 GMT; path=/; domain=.google.com; HttpOnly', 'AEC=xyz; path=/; Secure'],
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
};
const KEPT = { 'x-upstream-note': 'kept', server: 'scaffolding on HTTPServer2' };

function harness(t: Test, env: Record<string, string> = {}): Promise<Harness> {
  return startHarness(t, { env, vertex: { answerHeaders: { ...ORIGIN_HEADERS, ...KEPT } } });
}

function assertOriginHeadersDropped(t: Test, res: LightMyRequestResponse, what: string): void {
  for (const name of Object.keys(ORIGIN_HEADERS)) t.equal(res.headers[name], undefined, `${what}: no ${name}`);
  t.equal(res.headers['x-upstream-note'], 'kept', `${what}: other upstream headers pass`);
}

t.test('clientResponseHeaders drops them and keeps the rest, in order', async (t) => {
  const upstream = { 'content-type': 'application/json', ...ORIGIN_HEADERS, 'x-request-id': 'r1', 'retry-after': '3' };
  t.same(Object.entries(clientResponseHeaders(upstream)), [['content-type', 'application/json'], ['x-request-id', 'r1'], ['retry-after', '3']]);
  const stream = clientResponseHeaders({ 'content-type': 'text/event-stream', 'alt-svc': 'h3=":443"' });
  t.same(stream, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
});

t.test('the passthrough: answers, streams and errors come without them, the bytes as Vertex sent them', async (t) => {
  const h = await harness(t);
  const sent = '{"id":"chatcmpl-x",  "object":"chat.completion","choices":[]}\n';
  h.vertex.next((_req, _body, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(sent));
  const plain = await post(h);
  t.equal(plain.statusCode, 200);
  t.equal(plain.rawPayload.toString('latin1'), sent, 'byte for byte');
  assertOriginHeadersDropped(t, plain, 'a JSON answer');

  const stream = await post(h, { ...CHAT_BODY, stream: true });
  t.equal(stream.statusCode, 200);
  t.match(stream.body, /data: \[DONE\]/);
  assertOriginHeadersDropped(t, stream, 'a stream');

  const embeddings = await post(h, { model: 'text-embedding-005', input: 'hi' }, { path: '/v1/embeddings' });
  t.equal(embeddings.statusCode, 200);
  assertOriginHeadersDropped(t, embeddings, 'embeddings');

  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'slow down', { 'retry-after': '7' }));
  const limited = await post(h);
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['retry-after'], '7');
  assertOpenAIError(t, limited.body, { code: 'RESOURCE_EXHAUSTED' });
  for (const name of Object.keys(ORIGIN_HEADERS)) t.equal(limited.headers[name], undefined, `an upstream error: no ${name}`);

  // Google rejects the token once: the 401's headers are not the client's either.
  // (A token only just received would be kept and its 401 stand: age it first.)
  await h.ageToken();
  h.vertex.next((_req, _body, res) => googleError(res, 401, 'UNAUTHENTICATED', 'expired'));
  const replayed = await post(h);
  t.equal(replayed.statusCode, 200, 'sent again with a fresh token');
  assertOriginHeadersDropped(t, replayed, 'a replayed request');
});

t.test('the Responses API: native and translated answers come without them', async (t) => {
  const config = join(scratchDir('vop-origin-headers-'), 'proxy.json');
  writeFileSync(config, JSON.stringify({ models: { grok: { model: 'xai/grok-4', responsesApi: 'native' } } }));
  const h = await harness(t, { PROXY_CONFIG: config });
  const create = (body: object) => h.app.inject({ method: 'POST', url: '/v1/responses', headers: { host: '127.0.0.1:8765' }, payload: body });

  const sent = '{"id":"resp_1", "object":"response","status":"completed","output":[]}';
  h.vertex.next((_req, _body, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(sent));
  const native = await create({ model: 'grok', input: 'hi' });
  t.equal(native.statusCode, 200);
  t.equal(native.body, sent, 'byte for byte');
  assertOriginHeadersDropped(t, native, 'a native answer');

  for (const stream of [false, true]) {
    const translated = await create({ model: 'google/gemini-2.5-flash', input: 'hi', stream });
    t.equal(translated.statusCode, 200);
    for (const name of Object.keys(ORIGIN_HEADERS)) t.equal(translated.headers[name], undefined, `a translated ${stream ? 'stream' : 'answer'}: no ${name}`);
  }
});
