// Regression tests from the adversarial run (issue: hardening): what an
// upstream or a token source does wrong ends one request, never the daemon.

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import t from 'tap';
import { loadConfig } from '../src/config/load.ts';
import { CLIENT_REQUEST_TIMEOUT_SECONDS } from '../src/config/settings.ts';
import { CHAT_BODY, JSON_HEADERS, startHarness, type Harness } from './helpers/harness.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { post } from './helpers/requests.ts';
import { waitFor } from './helpers/wait.ts';

const BODY = JSON.stringify(CHAT_BODY);


t.test('an upstream status of 600 or more gets the client a 502, and the daemon keeps serving', async (t) => {
  const h = await startHarness(t);
  for (const status of [600, 999]) {
    h.vertex.next((_req, _body, res) => {
      res.socket?.end(`HTTP/1.1 ${status} Weird\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nX-Upstream: 1\r\nContent-Length: 2\r\n\r\n{}`);
    });
    const res = await post(h);
    t.equal(res.statusCode, 502, `upstream ${status}`);
    assertOpenAIError(t, res.body, { code: 'upstream_bad_status', type: 'api_error' });
    t.equal(res.headers['content-encoding'], undefined, 'our plain JSON answer does not say it is compressed');
    t.equal(res.headers['x-upstream'], undefined, 'nor carries the upstream answer\'s headers');
  }
  const after = await post(h);
  t.equal(after.statusCode, 200, 'the next request is served');
});

t.test('an upstream gzip bomb is not inflated beyond the error-body cap', async (t) => {
  const h = await startHarness(t);
  // 64 MiB of zeros compress to ~64 KiB; the cap is 1 MiB of decoded text.
  const bomb = await promisify(zlib.gzip)(Buffer.alloc(64 * 1024 * 1024));
  h.vertex.next((_req, _body, res) => {
    res.writeHead(500, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb);
  });
  const before = process.memoryUsage().arrayBuffers;
  const res = await post(h);
  t.equal(res.statusCode, 500);
  const { error } = assertOpenAIError(t, res.body, { type: 'api_error' });
  t.ok(error.message.length < 1000, 'a short message');
  t.ok(process.memoryUsage().arrayBuffers - before < 32 * 1024 * 1024, 'the bomb was not inflated');
});

t.test('a stray exception is logged and the process keeps serving', async (t) => {
  const { execFile } = await import('node:child_process');
  const script = `
    import { keepServingOnStrayErrors } from './src/server/signals.ts';
    keepServingOnStrayErrors({ error: (fields, msg) => console.log(msg, fields.err.message) });
    setImmediate(() => { throw new Error('boom'); });
    Promise.reject(new Error('rejected'));
    setTimeout(() => console.log('still alive'), 50);
  `;
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
  t.match(output, /uncaught exception on a request path; still serving boom/);
  t.match(output, /unhandled rejection on a request path; still serving rejected/);
  t.match(output, /still alive/);
});

t.test('a token fetch that never answers ends at its deadline; /readyz answers within a second; the source recovers', async (t) => {
  const h = await startHarness(t, { env: { PROXY_TOKEN_TIMEOUT_SECONDS: '2', GOOGLE_CLOUD_PROJECT: 'p' } });
  h.metadata.hangTokens = true;
  const started = performance.now();
  const [first, second] = await Promise.all([post(h), post(h)]);
  for (const res of [first, second]) {
    t.equal(res.statusCode, 503);
    assertOpenAIError(t, res.body, { code: 'token_unavailable' });
  }
  t.ok(performance.now() - started < 8_000, 'waiting requests are released at the deadline');

  const probeStarted = performance.now();
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  // Bounded by its own second, not by the hung fetch's 2 s deadline (slack for a loaded machine).
  t.ok(performance.now() - probeStarted < 1_900, '/readyz answered within a second, before the fetch deadline');

  const again = await post(h);
  t.equal(again.statusCode, 503, 'the next request starts a fresh fetch, which meets the deadline too');
  t.ok(h.metadata.tokenRequests >= 2, 'a fresh fetch was started');

  h.metadata.hangTokens = false;
  const recovered = await post(h);
  t.equal(recovered.statusCode, 200, 'served once the source answers');
  t.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
});

t.test('request bodies in flight are bounded together: beyond the budget, 503 with Retry-After', async (t) => {
  const h = await startHarness(t, { env: { PROXY_BODY_MEMORY_MB: '1' }, vertex: { chunkDelayMs: 100, chunks: 5 } });
  await h.listen();
  // Large in a field Vertex knows: the fake refuses unknown top-level fields, as Vertex does.
  const big = JSON.stringify({ ...CHAT_BODY, stream: true, messages: [{ role: 'user', content: 'x'.repeat(700 * 1024) }] });
  // Raw fetch: the answers stay unread (their bodies held) until the test reads them.
  const send = (body: string) =>
    fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const first = await send(big);
  t.equal(first.status, 200, 'a lone large body is admitted');
  // The first stream is still being answered: its body is still held.
  const second = await send(big);
  t.equal(second.status, 503);
  t.equal(second.headers.get('retry-after'), '1');
  assertOpenAIError(t, await second.text(), { code: 'proxy_overloaded' });
  const chunkedBig = await rawRequest(h.url, {
    target: '/v1/chat/completions',
    headers: [['Host', '127.0.0.1'], ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']],
    chunked: [big.slice(0, 400 * 1024), big.slice(400 * 1024)],
  });
  t.equal(chunkedBig.status, 503, 'a chunked body is counted as it arrives');
  const small = await send(JSON.stringify(CHAT_BODY));
  t.equal(small.status, 200, 'small bodies still fit');
  await small.text();
  await first.text();
  const third = await send(big);
  t.equal(third.status, 200, 'admitted again once the first answer ended');
  await third.text();
});

t.test("hop-by-hop response headers stay here, and the client's Connection: close is kept", async (t) => {
  const h = await startHarness(t);
  await h.listen();
  h.vertex.next((_req, _body, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      connection: 'keep-alive, x-hop',
      'keep-alive': 'timeout=600',
      'x-hop': 'upstream-connection-detail',
      'x-end-to-end': 'kept',
    });
    res.end('{"ok":true}');
  });
  const res = await rawRequest(h.url, {
    target: '/v1/chat/completions',
    headers: [['Host', '127.0.0.1'], ['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(BODY))], ['Connection', 'close']],
    body: BODY,
  });
  t.equal(res.status, 200);
  t.equal(res.headers['x-end-to-end'], 'kept');
  t.notOk('keep-alive' in res.headers, 'no Keep-Alive from upstream');
  t.notOk('x-hop' in res.headers, 'no header that the upstream Connection named');
  t.equal(res.headers.connection, 'close', "the client's Connection: close wins");
});

t.test('PROXY_HEADERS_TIMEOUT_SECONDS cannot exceed the time a whole request may take to arrive (it would not apply)', async (t) => {
  t.equal(loadConfig({ env: { PROXY_HEADERS_TIMEOUT_SECONDS: String(CLIENT_REQUEST_TIMEOUT_SECONDS) } }).headersTimeoutMs, CLIENT_REQUEST_TIMEOUT_SECONDS * 1000);
  t.throws(() => loadConfig({ env: { PROXY_HEADERS_TIMEOUT_SECONDS: '300' } }), { name: 'ConfigError', message: /PROXY_HEADERS_TIMEOUT_SECONDS \("300"\): must be .*120/ });
});

t.test('connections: a cap, and sockets that send no whole request are closed after the headers timeout', async (t) => {
  const { connect } = await import('node:net');
  const h = await startHarness(t, { env: { PROXY_MAX_CONNECTIONS: '4', PROXY_HEADERS_TIMEOUT_SECONDS: '0.5' } });
  await h.listen();
  const { port } = new URL(h.url);
  const open = () =>
    new Promise<{ closed: Promise<number> }>((resolve) => {
      const opened = performance.now();
      const socket = connect(Number(port), '127.0.0.1', () => {
        resolve({ closed: new Promise((done) => socket.once('close', () => done(performance.now() - opened))) });
      });
      socket.on('error', () => {});
    });
  const trickle = () =>
    new Promise<{ closed: Promise<number> }>((resolve) => {
      const opened = performance.now();
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        resolve({ closed: new Promise((done) => socket.once('close', () => done(performance.now() - opened))) });
      });
      socket.on('error', () => {});
      socket.resume();
    });

  const idle = await Promise.all([open(), open(), open(), open()]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const newcomer = await open();
  const oldestLived = await (idle[0] as { closed: Promise<number> }).closed;
  t.ok(oldestLived < 400 + 100, `at the cap, the oldest silent connection makes room (${Math.round(oldestLived)} ms)`);
  const lived = await Promise.all([...idle.slice(1), newcomer].map((socket) => socket.closed));
  for (const ms of lived) t.ok(ms < 5_000, `an idle connection is closed after the headers timeout (${Math.round(ms)} ms)`);

  const talking = await Promise.all([trickle(), trickle(), trickle(), trickle()]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const refusedLived = await (await open()).closed;
  t.ok(refusedLived < 400, `when every connection has sent bytes, a newcomer over the cap is closed at once (${Math.round(refusedLived)} ms)`);
  for (const ms of await Promise.all(talking.map((socket) => socket.closed))) {
    t.ok(ms < 5_000, `a connection that never finishes its headers is closed too (${Math.round(ms)} ms)`);
  }
  const res = await fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
  t.equal(res.status, 200, 'new clients are served again');
  await res.text();
});

t.test('DNS rebinding: a foreign Host learns only ready or not from /readyz, and /metrics needs an allowed Host or the key', async (t) => {
  const h = await startHarness(t, { env: { GOOGLE_CLOUD_PROJECT: 'secret-project' } });
  const foreign = { host: 'rebound.attacker.example:8765' };
  const cold = await h.app.inject({ method: 'GET', url: '/readyz', headers: foreign });
  t.equal(cold.statusCode, 503);
  t.equal(cold.json().error.code, 'not_ready', 'no reason for a foreign Host');
  t.equal(cold.headers['retry-after'], '2', 'when to ask again');
  await waitFor(async () => (await h.app.inject({ method: 'GET', url: '/readyz', headers: foreign })).statusCode === 200, 'the probe alone warms the token');
  const ready = await h.app.inject({ method: 'GET', url: '/readyz', headers: foreign });
  t.same(ready.json(), { status: 'ready' }, 'no project, no token lifetime');
  t.notMatch(ready.body, /secret-project/);
  const local = await h.app.inject({ method: 'GET', url: '/readyz', headers: { host: '127.0.0.1:8765' } });
  t.equal(local.json().project, 'secret-project', 'loopback still gets the details');
  const metrics = await h.app.inject({ method: 'GET', url: '/metrics', headers: foreign });
  t.equal(metrics.statusCode, 403);
  t.notMatch(metrics.body, /secret-project|vertex_openai_proxy_/);
  t.equal((await h.app.inject({ method: 'GET', url: '/healthz', headers: foreign })).statusCode, 200, '/healthz still answers any Host');

  const keyed = await startHarness(t, { env: { GOOGLE_CLOUD_PROJECT: 'secret-project', PROXY_API_KEY: 'k1' } });
  const withKey = await keyed.app.inject({ method: 'GET', url: '/readyz', headers: { ...foreign, authorization: 'Bearer k1' } });
  t.equal(withKey.json().project, 'secret-project', 'the API key opens the details for any Host');
  const scrape = await keyed.app.inject({ method: 'GET', url: '/metrics', headers: { ...foreign, authorization: 'Bearer k1' } });
  t.equal(scrape.statusCode, 200, 'and /metrics');
});

t.test('duplicate top-level "model" keys are refused with 400 before anything goes upstream', async (t) => {
  const h = await startHarness(t);
  const before = h.vertex.requests.length;
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: JSON_HEADERS,
    payload: '{"model":"google/gemini-3.5-flash","messages":[{"role":"user","content":"hi"}],"model":"other-model"}',
  });
  t.equal(res.statusCode, 400);
  assertOpenAIError(t, res.body, { code: 'invalid_request_body', type: 'invalid_request_error' });
  t.equal(h.vertex.requests.length, before, 'nothing was sent upstream');
});
