// Upstream errors: Vertex's error answers keep their status with the body
// reshaped to OpenAI's {"error":{...}}: Google's JSON (plain or in an array),
// compressed bodies, OpenAI-shaped bodies passed through, HTML and plain text
// cut down to a clean message; and translateUpstreamError as a table.

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import t from 'tap';
import { translateUpstreamError } from '../src/proxy/upstream-errors.ts';
import { googleError, sendJson } from './helpers/fake-vertex.ts';
import { CHAT_BODY, startHarness } from './helpers/harness.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';
import { post } from './helpers/requests.ts';

const BODY = JSON.stringify(CHAT_BODY);

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
  await h.ageToken();
  h.vertex.isValidToken = () => false;
  const res = await post(h);
  t.equal(res.statusCode, 401);
  assertOpenAIError(t, res.body, { code: 'UNAUTHENTICATED', type: 'authentication_error' });
  t.equal(h.vertex.requests.length, 2, 'replayed once with a fresh token');
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
