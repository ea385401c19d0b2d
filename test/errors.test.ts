// Errors the proxy answers itself: bad bodies, limits, an upstream that cannot
// be reached, is too slow or breaks off, no credentials, requests Node rejects.
// All OpenAI-shaped with a fitting status. Vertex's own error answers are in
// upstream-errors.test.ts.

import zlib from 'node:zlib';
import t from 'tap';
import { REDISCOVER_AFTER_MS } from '../src/credentials/adc-source.ts';
import { CREDENTIAL_RETRY_AFTER_SECONDS } from '../src/credentials/errors.ts';
import { sendJson, sleep } from './helpers/fake-vertex.ts';
import { CHAT_BODY, JSON_HEADERS, startHarness } from './helpers/harness.ts';
import { holdPort } from './helpers/loopback.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';
import { hostOf, rawRequest } from './helpers/raw-http.ts';
import { post } from './helpers/requests.ts';
import { waitFor } from './helpers/wait.ts';

const BODY = JSON.stringify(CHAT_BODY);


t.test('request bodies: malformed JSON, non-object JSON and empty bodies get 400', async (t) => {
  const h = await startHarness(t);
  const cases: [string, string, string][] = [
    ['truncated', '{"model": "x", "messages": [', 'invalid_json'],
    ['not JSON at all', 'hello', 'invalid_json'],
    ['JSON array', JSON.stringify([CHAT_BODY]), 'invalid_request_body'],
    ['JSON string', '"hi"', 'invalid_request_body'],
    ['JSON null', 'null', 'invalid_request_body'],
    ['JSON number', '42', 'invalid_request_body'],
  ];
  for (const [name, payload, code] of cases) {
    const res = await post(h, payload);
    t.equal(res.statusCode, 400, `${name} is 400`);
    assertOpenAIError(t, res.body, { code, type: 'invalid_request_error' });
  }
  const empty = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...JSON_HEADERS, 'content-length': '0' } });
  t.equal(empty.statusCode, 400, 'an empty JSON body is 400');
  assertOpenAIError(t, empty.body);
  t.equal(h.vertex.requests.length, 0, 'nothing reached Vertex');
  t.equal(h.metadata.tokenRequests, 0, 'no token was fetched');
});

t.test('bodies read one way here and another by Vertex are refused: bytes not UTF-8, compressed, another charset, a model not a string', async (t) => {
  const h = await startHarness(t);
  const json = Buffer.from(JSON.stringify(CHAT_BODY));
  const notUtf8 = Buffer.concat([Buffer.from('{"model":"google/gem'), Buffer.from([0xff]), Buffer.from('","messages":[{"role":"user","content":"hi"}]}')]);
  const cases: [string, Record<string, string>, Buffer, number, string, RegExp][] = [
    ['invalid UTF-8', {}, notUtf8, 400, 'invalid_json', /not valid UTF-8/],
    ['gzip', { 'content-encoding': 'gzip' }, zlib.gzipSync(json), 415, 'unsupported_content_encoding', /Content-Encoding "gzip"/],
    ['br, plain bytes', { 'content-encoding': 'br' }, json, 415, 'unsupported_content_encoding', /"br"/],
    ['latin1', { 'content-type': 'application/json; charset=latin1' }, Buffer.from('{"model":"m","messages":[{"role":"user","content":"caf\u00e9"}]}', 'latin1'), 415, 'unsupported_charset', /charset "latin1"/],
    ['utf-16', { 'content-type': 'application/json; charset="utf-16"' }, json, 415, 'unsupported_charset', /"utf-16"/],
    ['a long encoding, quoted only in part', { 'content-encoding': 'x'.repeat(5000) }, json, 415, 'unsupported_content_encoding', /^Send the request body uncompressed: Content-Encoding "x{64}…" is not supported\.$/],
  ];
  for (const path of ['/v1/chat/completions', '/v1/responses', '/embeddings']) {
    for (const [name, headers, payload, status, code, message] of cases) {
      const res = await h.app.inject({ method: 'POST', url: path, headers: { ...JSON_HEADERS, ...headers }, payload });
      t.equal(res.statusCode, status, `${path}: ${name}`);
      const { error } = assertOpenAIError(t, res.body, { code });
      t.match(error.message, message);
    }
  }
  for (const model of [123, null, true, ['google/gemini-2.5-flash'], { id: 'x' }]) {
    const res = await post(h, { ...CHAT_BODY, model });
    t.equal(res.statusCode, 400, `model ${JSON.stringify(model)}`);
    t.equal(assertOpenAIError(t, res.body, { code: 'invalid_request_body' }).error.message, 'model must be a string naming the model.');
  }
  t.equal(h.vertex.requests.length, 0, 'nothing reached Vertex');
  for (const headers of [{ 'content-type': 'application/json; charset=UTF-8' }, { 'content-type': 'application/json;charset=utf8' }, { 'content-type': 'application/json; charset=us-ascii' }, { 'content-encoding': 'identity' }]) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...JSON_HEADERS, ...headers }, payload: json });
    t.equal(res.statusCode, 200, JSON.stringify(headers));
  }
});

t.test('a body over PROXY_BODY_LIMIT_MB gets 413, with a length or chunked', async (t) => {
  const h = await startHarness(t, { env: { PROXY_BODY_LIMIT_MB: '0.01' } });
  const big = JSON.stringify({ ...CHAT_BODY, padding: 'x'.repeat(20_000) });
  const res = await post(h, big);
  t.equal(res.statusCode, 413);
  assertOpenAIError(t, res.body, { code: 'request_too_large' });

  await h.listen();
  const chunked = await rawRequest(h.url, {
    target: '/v1/chat/completions',
    headers: [['Host', hostOf(h.url)], ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']],
    chunked: [big.slice(0, 8000), big.slice(8000, 16000), big.slice(16000)],
  });
  t.equal(chunked.status, 413, 'chunked, no length');
  assertOpenAIError(t, chunked.body, { code: 'request_too_large' });

  t.equal((await post(h)).statusCode, 200, 'a body under the limit is fine');
  t.equal(h.vertex.requests.length, 1);
});

t.test('upstream unreachable (closed port) gets 502', async (t) => {
  // Held, not merely closed: a closed port could be given to another test file's server meanwhile.
  const closed = await holdPort();
  t.teardown(() => closed.release());
  const h = await startHarness(t, { env: { VERTEX_BASE_URL: `http://127.0.0.1:${closed.port}` } });
  const res = await post(h);
  t.equal(res.statusCode, 502);
  const { error } = assertOpenAIError(t, res.body, { code: 'upstream_unreachable', type: 'api_error' });
  t.match(error.message, /ECONNREFUSED|connect/i, 'says why');
});

t.test('upstream slower than PROXY_UPSTREAM_TIMEOUT_SECONDS to send headers gets 504, and the upstream request is dropped', async (t) => {
  const h = await startHarness(t, { env: { PROXY_UPSTREAM_TIMEOUT_SECONDS: '0.3' } });
  h.vertex.next(async (_req, _body, res) => {
    await sleep(3000);
    if (!res.destroyed) sendJson(res, 200, { late: true });
  });
  const res = await post(h);
  t.equal(res.statusCode, 504);
  assertOpenAIError(t, res.body, { code: 'upstream_timeout', type: 'api_error' });
  await waitFor(() => h.vertex.aborted === 1, 'the slow upstream request to be closed');
  t.equal(h.vertex.aborted, 1, 'the slow upstream request was closed');
});

t.test('an answer whose body fails before its first byte: 504 when it stalls, 502 when it breaks off, as for an unanswered request', async (t) => {
  const h = await startHarness(t, { env: { PROXY_UPSTREAM_TIMEOUT_SECONDS: '0.3' } });
  for (const stream of [false, true]) {
    const headers = { 'content-type': stream ? 'text/event-stream' : 'application/json' };
    h.vertex.next(async (_req, _body, res) => {
      res.writeHead(200, headers).flushHeaders();
      await sleep(3000);
      if (!res.destroyed) res.end();
    });
    const stalled = await post(h, { ...CHAT_BODY, stream });
    t.equal(stalled.statusCode, 504, `stalled, stream: ${stream}`);
    assertOpenAIError(t, stalled.body, { code: 'upstream_timeout', type: 'api_error' });

    h.vertex.next((_req, _body, res) => {
      // An empty write sends the headers alone; once they are out, the connection ends.
      res.writeHead(200, headers).write('', () => res.socket?.destroy());
    });
    const cut = await post(h, { ...CHAT_BODY, stream });
    t.equal(cut.statusCode, 502, `broke off, stream: ${stream}`);
    const { error } = assertOpenAIError(t, cut.body, { code: 'upstream_invalid_response', type: 'api_error' });
    t.match(error.message, /^The upstream answer broke off before its end/);
  }
});

t.test('no credentials at all: 503 that says how to fix it', async (t) => {
  const h = await startHarness(t, { env: { GOOGLE_CLOUD_PROJECT: 'some-proj' } });
  process.env.METADATA_SERVER_DETECTION = 'none';
  const res = await post(h);
  t.equal(res.statusCode, 503);
  const { error } = assertOpenAIError(t, res.body, { type: 'api_error' });
  t.match(error.message, 'gcloud auth application-default login');
  t.match(error.message, 'GOOGLE_APPLICATION_CREDENTIALS');
  t.equal(res.headers['retry-after'], String(CREDENTIAL_RETRY_AFTER_SECONDS), 'come back when the credentials are next looked up afresh');
  t.equal(CREDENTIAL_RETRY_AFTER_SECONDS, Math.ceil(REDISCOVER_AFTER_MS / 1000));
  t.equal(h.vertex.requests.length, 0);
});

t.test('Retry-After on the credential 503s only: a failing token fetch, no project; not on other 5xx', async (t) => {
  const h = await startHarness(t);
  h.metadata.failWith = 500;
  const noToken = await post(h);
  t.equal(noToken.statusCode, 503);
  assertOpenAIError(t, noToken.body, { code: 'token_unavailable' });
  t.equal(noToken.headers['retry-after'], String(CREDENTIAL_RETRY_AFTER_SECONDS));

  const noProject = await startHarness(t, { metadata: { projectId: null } });
  const unknown = await post(noProject);
  t.equal(unknown.statusCode, 503);
  assertOpenAIError(t, unknown.body, { code: 'project_unknown' });
  t.equal(unknown.headers['retry-after'], String(CREDENTIAL_RETRY_AFTER_SECONDS));

  const closed = await holdPort();
  t.teardown(() => closed.release());
  const unreachable = await startHarness(t, { env: { VERTEX_BASE_URL: `http://127.0.0.1:${closed.port}` } });
  const bad = await post(unreachable);
  t.equal(bad.statusCode, 502);
  t.equal(bad.headers['retry-after'], undefined, 'an upstream failure says nothing of when');
});

t.test('requests Node itself rejects still get an OpenAI-shaped answer', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  for (const target of ['\\v1\\chat\\completions', 'v1/chat/completions', '/v1/chat completions']) {
    const res = await rawRequest(h.url, { target, headers: [['Host', hostOf(h.url)]] });
    t.equal(res.status, 400, JSON.stringify(target));
    assertOpenAIError(t, res.body, { code: 'invalid_http_request' });
  }
  const smuggled = await rawRequest(h.url, {
    target: '/v1/chat/completions',
    headers: [['Host', hostOf(h.url)], ['Content-Type', 'application/json'], ['Content-Length', '4'], ['Transfer-Encoding', 'chunked']],
    chunked: [BODY],
  });
  t.equal(smuggled.status, 400, 'Content-Length with Transfer-Encoding (request smuggling) is refused');
  assertOpenAIError(t, smuggled.body, { code: 'invalid_http_request' });
  t.equal(h.vertex.requests.length, 0);
  const huge = await rawRequest(h.url, { target: '/v1/chat/completions', headers: [['Host', hostOf(h.url)], ['X-Big', 'x'.repeat(20_000)]] });
  t.equal(huge.status, 431);
  assertOpenAIError(t, huge.body, { code: 'headers_too_large' });

  // Answered by Node with no body (or not at all) unless the proxy answers them.
  const json: [string, string][] = [['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(BODY))]];
  const noHost = await rawRequest(h.url, { target: '/v1/chat/completions', headers: json, body: BODY });
  t.equal(noHost.status, 400, 'HTTP/1.1 without Host');
  assertOpenAIError(t, noHost.body, { code: 'missing_host' });
  const expect = await rawRequest(h.url, { target: '/v1/chat/completions', headers: [['Host', hostOf(h.url)], ['Expect', 'bogus'], ...json], body: BODY });
  t.equal(expect.status, 417, 'an Expect other than 100-continue');
  assertOpenAIError(t, expect.body, { code: 'expectation_failed' });
  const tunnel = await rawRequest(h.url, { method: 'CONNECT', target: 'vertex.example:443', headers: [['Host', 'vertex.example:443']] });
  t.equal(tunnel.status, 400, 'CONNECT');
  assertOpenAIError(t, tunnel.body, { code: 'invalid_request_target' });
  t.equal(h.vertex.requests.length, 0);
});
