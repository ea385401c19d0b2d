// Errors: everything the proxy answers itself is OpenAI-shaped with a fitting
// status, and Vertex's error answers keep their status with the body reshaped.

import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import t from 'tap';
import { translateUpstreamError } from '../src/proxy/upstream-errors.ts';
import { googleError, sendJson, sleep } from './helpers/fake-vertex.ts';
import { CHAT_BODY, JSON_HEADERS, startHarness, type Harness } from './helpers/harness.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';
import { hostOf, rawRequest } from './helpers/raw-http.ts';
import { post } from './helpers/requests.ts';
import { waitFor } from './helpers/wait.ts';

const BODY = JSON.stringify(CHAT_BODY);


async function closedPortUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

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
  const h = await startHarness(t, { env: { VERTEX_BASE_URL: await closedPortUrl() } });
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

    h.vertex.next(async (_req, _body, res) => {
      res.writeHead(200, headers).flushHeaders();
      await sleep(20);
      res.socket?.destroy();
    });
    const cut = await post(h, { ...CHAT_BODY, stream });
    t.equal(cut.statusCode, 502, `broke off, stream: ${stream}`);
    const { error } = assertOpenAIError(t, cut.body, { code: 'upstream_invalid_response', type: 'api_error' });
    t.match(error.message, /^The upstream answer broke off before its end/);
  }
});

t.test('Google errors keep their status and become OpenAI-shaped', async (t) => {
  const h = await startHarness(t);
  const cases: [number, string, string][] = [
    [400, 'INVALID_ARGUMENT', 'invalid_request_error'],
    [403, 'PERMISSION_DENIED', 'permission_error'],
    [404, 'NOT_FOUND', 'not_found_error'],
    [429, 'RESOURCE_EXHAUSTED', 'rate_limit_error'],
    [500, 'INTERNAL', 'api_error'],
    [503, 'UNAVAILABLE', 'api_error'],
  ];
  for (const [status, code, type] of cases) {
    const message = `Google says ${code}`;
    h.vertex.next((_req, _body, res) => googleError(res, status, code, message));
    const res = await post(h);
    t.equal(res.statusCode, status, `${code} keeps ${status}`);
    t.same(JSON.parse(res.body), { error: { message, type, code, param: null } });
  }
});

t.test('the array form [{"error":{...}}] is unwrapped', async (t) => {
  const h = await startHarness(t);
  h.vertex.next((_req, _body, res) =>
    sendJson(res, 400, [{ error: { code: 400, message: 'Model gemini-9 not found.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'x' }] } }]),
  );
  const res = await post(h);
  t.equal(res.statusCode, 400);
  t.same(JSON.parse(res.body), { error: { message: 'Model gemini-9 not found.', type: 'invalid_request_error', code: 'INVALID_ARGUMENT', param: null } });
});

t.test('429 keeps Retry-After', async (t) => {
  const h = await startHarness(t);
  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', { 'retry-after': '17' }));
  const res = await post(h);
  t.equal(res.statusCode, 429);
  t.equal(res.headers['retry-after'], '17');
  assertOpenAIError(t, res.body, { code: 'RESOURCE_EXHAUSTED', type: 'rate_limit_error' });
});

t.test('compressed upstream error bodies are decoded', async (t) => {
  const h = await startHarness(t);
  const encoders: [string, (b: Buffer) => Promise<Buffer>][] = [
    ['gzip', promisify(zlib.gzip)],
    ['deflate', promisify(zlib.deflate)],
    ['br', promisify(zlib.brotliCompress)],
  ];
  for (const [encoding, encode] of encoders) {
    const body = await encode(Buffer.from(JSON.stringify({ error: { code: 400, message: `compressed with ${encoding}`, status: 'INVALID_ARGUMENT' } })));
    h.vertex.next((_req, _body, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': body.length }).end(body);
    });
    const res = await post(h, BODY, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    t.equal(res.statusCode, 400);
    t.notOk(res.headers['content-encoding'], `${encoding}: the answer is not marked encoded`);
    assertOpenAIError(t, res.body, { code: 'INVALID_ARGUMENT' });
    t.equal(JSON.parse(res.body).error.message, `compressed with ${encoding}`);
  }
});

t.test('an OpenAI-shaped upstream error passes through', async (t) => {
  const h = await startHarness(t);
  const openai = { error: { message: 'The model `x` does not exist', type: 'invalid_request_error', code: 'model_not_found', param: 'model' } };
  h.vertex.next((_req, _body, res) => sendJson(res, 404, openai));
  const res = await post(h);
  t.equal(res.statusCode, 404);
  t.same(JSON.parse(res.body), openai);
});

t.test('a non-JSON (HTML) upstream error becomes a clean message', async (t) => {
  const h = await startHarness(t);
  const html =
    '<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Error 502 (Server Error)!!1</title>' +
    '<style>*{margin:0;padding:0}html{font:15px/22px arial}</style></head><body><a href=//www.google.com/><span id=logo></span></a>' +
    '<p><b>502.</b> <ins>That&#39;s an error.</ins><p>The server encountered a temporary error. <ins>That&#39;s all we know.</ins></body></html>';
  h.vertex.next((_req, _body, res) => void res.writeHead(502, { 'content-type': 'text/html; charset=UTF-8' }).end(html));
  const res = await post(h);
  t.equal(res.statusCode, 502);
  t.match(res.headers['content-type'], /^application\/json/);
  const { error } = assertOpenAIError(t, res.body, { code: 'upstream_error', type: 'api_error' });
  t.equal(error.message, "Vertex AI returned HTTP 502: 502. That's an error. The server encountered a temporary error. That's all we know.");
  t.notMatch(error.message, /<|>|margin/, 'no markup or CSS');

  h.vertex.next((_req, _body, res) => void res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error or disconnect/reset before headers\n'));
  const plain = await post(h);
  t.equal(plain.statusCode, 503);
  t.equal(JSON.parse(plain.body).error.message, 'Vertex AI returned HTTP 503: upstream connect error or disconnect/reset before headers');

  h.vertex.next((_req, _body, res) => void res.writeHead(500).end());
  const empty = await post(h);
  t.equal(empty.statusCode, 500);
  t.equal(assertOpenAIError(t, empty.body).error.message, 'Vertex AI returned HTTP 500');
});

t.test('a second upstream 401 goes back to the client as an OpenAI-shaped 401', async (t) => {
  const h = await startHarness(t);
  h.vertex.isValidToken = () => false;
  const res = await post(h);
  t.equal(res.statusCode, 401);
  assertOpenAIError(t, res.body, { code: 'UNAUTHENTICATED', type: 'authentication_error' });
  t.equal(h.vertex.requests.length, 2, 'replayed once with a fresh token');
});

t.test('no credentials at all: 503 that says how to fix it', async (t) => {
  const h = await startHarness(t, { env: { GOOGLE_CLOUD_PROJECT: 'some-proj' } });
  process.env.METADATA_SERVER_DETECTION = 'none';
  const res = await post(h);
  t.equal(res.statusCode, 503);
  const { error } = assertOpenAIError(t, res.body, { type: 'api_error' });
  t.match(error.message, 'gcloud auth application-default login');
  t.match(error.message, 'GOOGLE_APPLICATION_CREDENTIALS');
  t.equal(h.vertex.requests.length, 0);
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

t.test('translateUpstreamError as a table', async (t) => {
  const cases: [number, string, object][] = [
    [400, '{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}', { message: 'bad', type: 'invalid_request_error', code: 'INVALID_ARGUMENT', param: null }],
    [404, '[{"error":{"code":404,"message":"nf","status":"NOT_FOUND"}}]', { message: 'nf', type: 'not_found_error', code: 'NOT_FOUND', param: null }],
    [500, '{"error":{"code":500}}', { message: 'Vertex AI returned HTTP 500', type: 'api_error', code: '500', param: null }],
    [401, '{"error":"invalid_token","error_description":"Token expired"}', { message: 'Vertex AI returned HTTP 401: Token expired', type: 'authentication_error', code: 'invalid_token', param: null }],
    [400, '{"error":{"message":"m","type":"invalid_request_error","code":400}}', { message: 'm', type: 'invalid_request_error', code: '400', param: null }],
    [502, '', { message: 'Vertex AI returned HTTP 502', type: 'api_error', code: 'upstream_error', param: null }],
    [502, '{"error":', { message: 'Vertex AI returned HTTP 502: {"error":', type: 'api_error', code: 'upstream_error', param: null }],
    [503, '<html><head><title>Service Unavailable</title></head><body></body></html>', { message: 'Vertex AI returned HTTP 503: Service Unavailable', type: 'api_error', code: 'upstream_error', param: null }],
    [503, 'a < b, <p>c</p> & <style>x{}', { message: 'Vertex AI returned HTTP 503: a < b, c &', type: 'api_error', code: 'upstream_error', param: null }],
    // Self-deployed model servers: Hugging Face TGI, and vLLM's older top-level error.
    [422, '{"error":"Input validation error: `inputs` must be shorter","error_type":"validation"}', { message: 'Input validation error: `inputs` must be shorter', type: 'invalid_request_error', code: 'validation', param: null }],
    [500, '{"error":"Request failed during generation"}', { message: 'Request failed during generation', type: 'api_error', code: 'upstream_error', param: null }],
    [400, '{"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}', { message: 'too long', type: 'BadRequestError', code: '400', param: null }],
  ];
  for (const [status, body, error] of cases) t.same(translateUpstreamError(status, body), { error }, body || '(empty)');
  const long = translateUpstreamError(500, 'y'.repeat(5000)).error.message;
  t.ok(long.length < 400, 'long bodies are cut short');
  // Unclosed tags by the megabyte (the error-body cap): read in one pass, not by backtracking patterns that took minutes.
  const mib = 1024 * 1024;
  t.equal(translateUpstreamError(502, '<title'.repeat(mib / 6)).error.message, `Vertex AI returned HTTP 502: ${'<title'.repeat(50)}…`);
  t.equal(translateUpstreamError(502, '<head>'.repeat(mib / 6)).error.message, 'Vertex AI returned HTTP 502');
  t.equal(translateUpstreamError(502, `${'<p'.repeat(mib / 2)}>`).error.message, `Vertex AI returned HTTP 502: ${'<p'.repeat(150)}…`);
});
