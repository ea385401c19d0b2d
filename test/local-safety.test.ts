// Local safety: web pages in the user's own browser must not spend the user's
// Google credentials. Foreign Host (DNS rebinding) and Origin headers get 403,
// non-JSON bodies get 415, and PROXY_API_KEY is enforced — all before a token
// is fetched or Vertex is contacted.

import t, { type Test } from 'tap';
import { allowedHostSet, hasDuplicateHost } from '../src/guard/local-safety.ts';
import { CHAT_BODY, startHarness, type Harness } from './helpers/harness.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';
import { hostOf, rawRequest } from './helpers/raw-http.ts';
import { post } from './helpers/requests.ts';
import { waitFor } from './helpers/wait.ts';

const BODY = JSON.stringify(CHAT_BODY);


/** A browser's CORS preflight for a POST to the chat route. */
function sendPreflight(h: Harness, origin: string, requestHeaders: string, host = '127.0.0.1:8765') {
  return h.app.inject({
    method: 'OPTIONS',
    url: '/v1/chat/completions',
    headers: { host, origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });
}

function assertNothingSpent(t: Test, h: Harness): void {
  t.equal(h.vertex.requests.length, 0, 'nothing reached Vertex');
  t.equal(h.metadata.tokenRequests, 0, 'no token was fetched');
}

t.test('Host: foreign names get 403; loopback names, HOST and PROXY_ALLOWED_HOSTS are served', async (t) => {
  const h = await startHarness(t, { env: { HOST: '192.168.7.7', PROXY_ALLOWED_HOSTS: 'vertex-proxy, proxy.internal:8765' } });
  for (const host of [
    'evil.example',
    'evil.example:8765',
    'localhost.evil.example:8765',
    '127.0.0.1.nip.io:8765',
    '0.0.0.0:8765',
    '[::]:8765',
    '192.168.7.8:8765',
    'vertex-proxy.evil.example',
  ]) {
    const res = await post(h, BODY, { headers: { host } });
    t.equal(res.statusCode, 403, `${host} is refused`);
    assertOpenAIError(t, res.body, { code: 'host_not_allowed', type: 'permission_error' });
  }
  assertNothingSpent(t, h);

  for (const host of [
    'localhost',
    'localhost:8765',
    'LocalHost:8765',
    '127.0.0.1',
    '127.0.0.1:8765',
    '[::1]:8765',
    '192.168.7.7:8765',
    'vertex-proxy:8765',
    'vertex-proxy',
    'proxy.internal',
  ]) {
    const res = await post(h, BODY, { headers: { host } });
    t.equal(res.statusCode, 200, `${host} is served`);
  }
});

t.test('two Host headers get an OpenAI-shaped 400, whichever comes first; nothing is spent', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const json: [string, string][] = [['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(BODY))]];
  const served = hostOf(h.url);
  for (const hosts of [[served, 'evil.example'], ['evil.example', served], [served, served], ['evil.example', 'evil.example']]) {
    for (const [target, method] of [['/v1/chat/completions', 'POST'], ['/healthz', 'GET']] as const) {
      const headers: [string, string][] = [['Host', hosts[0] as string], ['hOST', hosts[1] as string], ...(method === 'POST' ? json : [])];
      const res = await rawRequest(h.url, { method, target, headers, body: method === 'POST' ? BODY : '' });
      t.equal(res.status, 400, `${method} ${target} with Host ${hosts.join(' and ')}`);
      assertOpenAIError(t, res.body, { code: 'duplicate_host', type: 'invalid_request_error' });
    }
  }
  assertNothingSpent(t, h);
  const one = await rawRequest(h.url, { target: '/v1/chat/completions', headers: [['Host', served], ...json], body: BODY });
  t.equal(one.status, 200, 'one Host is served');
  t.same(
    [['Host', 'a'], ['host', 'a', 'HOST', 'b'], ['Hosts', 'a', 'Host', 'b'], ['X-Host', 'a', 'Host', 'b'], []].map((raw) => hasDuplicateHost(raw)),
    [false, true, false, false, false],
    'only the name Host counts, in any case',
  );
});

t.test('/readyz to any Host is 503 while no project is known, as every request then is', async (t) => {
  const h = await startHarness(t, { metadata: { projectId: null } });
  const probe = async (host: string) => h.app.inject({ method: 'GET', url: '/readyz', headers: { host } });
  await waitFor(async () => (await probe('127.0.0.1:8765')).json()?.error?.code === 'project_unknown', 'the project lookup to fail');
  await h.credentials.getToken();
  t.ok(h.credentials.peek() !== undefined, 'a token is in hand');
  const byPodIp = await probe('10.1.2.3:8765');
  t.equal(byPodIp.statusCode, 503, 'a probe by pod IP is not told ready');
  t.match(byPodIp.json(), { error: { code: 'not_ready' } }, 'nor the reason (a foreign Host may be a web page)');
  t.equal((await post(h, BODY)).statusCode, 503, 'as a request gets 503');
});

t.test('PROXY_ALLOWED_HOSTS: IPv6 addresses, bare or in brackets, allow exactly that address', async (t) => {
  const h = await startHarness(t, { env: { PROXY_ALLOWED_HOSTS: 'fd00::5, [fd00::6]:8765, ::1' } });
  for (const [host, status] of [['[fd00::5]:8765', 200], ['[FD00::5]', 200], ['[fd00::6]:8765', 200], ['fd00', 403], ['fd00:8765', 403], ['[fd00::7]:8765', 403]] as const) {
    t.equal((await post(h, BODY, { headers: { host } })).statusCode, status, `Host: ${host}`);
  }
  const hosts = allowedHostSet('127.0.0.1', ['::1', 'fd00::5']);
  t.notOk(hosts !== 'any' && hosts.has(''), 'no empty name: a request without Host is not allowed by it');
});

t.test('Host: a wildcard listen address is not itself an allowed name', async (t) => {
  const h = await startHarness(t, { env: { HOST: '0.0.0.0' } });
  t.equal((await post(h, BODY, { headers: { host: '0.0.0.0:8765' } })).statusCode, 403);
  t.equal((await post(h, BODY, { headers: { host: 'localhost:8765' } })).statusCode, 200);
});

t.test('probes answer for any Host', async (t) => {
  const h = await startHarness(t, { env: { PROXY_API_KEY: 'probe-test-key' } });
  const probe = async (url: string) => (await h.app.inject({ method: 'GET', url, headers: { host: '10.1.2.3:8765' } })).statusCode;
  t.equal(await probe('/healthz'), 200, '/healthz with a pod IP Host and no key');
  // A cold /readyz may say "no token yet" (503) within its one-second answer: poll, as a kubelet does.
  await t.resolves(waitFor(async () => (await probe('/readyz')) === 200, '/readyz 200'), '/readyz with a pod IP Host and no key');
  const models = await h.app.inject({ method: 'GET', url: '/v1/models', headers: { host: '10.1.2.3:8765' } });
  t.equal(models.statusCode, 403, 'other GET routes still check Host');
  const fromPage = await h.app.inject({ method: 'GET', url: '/readyz', headers: { host: '127.0.0.1:8765', origin: 'https://evil.example' } });
  t.equal(fromPage.statusCode, 403, 'a foreign web page may not read /readyz (it names the project)');
  t.equal(fromPage.headers['access-control-allow-origin'], undefined);
});

t.test('Origin: foreign sites get 403 with no CORS grant; nothing is spent', async (t) => {
  const h = await startHarness(t);
  for (const origin of [
    'https://evil.example',
    'http://evil.example:8765',
    'null',
    'http://localhost.evil.example',
    'http://127.0.0.1.evil.example:8765',
    'chrome-extension://abcdefghijklmnop',
    'file://',
    'not a url',
  ]) {
    const res = await post(h, BODY, { headers: { origin } });
    t.equal(res.statusCode, 403, `${origin} is refused`);
    assertOpenAIError(t, res.body, { code: 'origin_not_allowed' });
    t.notOk(res.headers['access-control-allow-origin'], 'no CORS grant');
    const preflight = await sendPreflight(h, origin, 'content-type');
    t.equal(preflight.statusCode, 403, `${origin} preflight is refused`);
    t.notOk(preflight.headers['access-control-allow-origin']);
  }
  assertNothingSpent(t, h);
});

t.test('Origin: loopback origins and PROXY_CORS_ORIGINS are served with CORS headers and preflights', async (t) => {
  const h = await startHarness(t, { env: { PROXY_CORS_ORIGINS: 'https://chat.example.com' } });
  for (const origin of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:5173', 'https://localhost', 'https://chat.example.com']) {
    const preflight = await sendPreflight(h, origin, 'authorization, content-type, x-stainless-os');
    t.equal(preflight.statusCode, 204, `${origin} preflight`);
    t.equal(preflight.headers['access-control-allow-origin'], origin);
    t.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    t.equal(preflight.headers['access-control-allow-headers'], 'authorization, content-type, x-stainless-os');
    t.equal(preflight.headers['access-control-max-age'], '600');
    t.match(String(preflight.headers.vary), /Origin/);

    const res = await post(h, BODY, { headers: { origin } });
    t.equal(res.statusCode, 200, `${origin} POST`);
    t.equal(res.headers['access-control-allow-origin'], origin);
    t.match(String(res.headers['access-control-expose-headers']), /x-request-id/, 'the page may read x-request-id');
  }
  t.equal(h.vertex.requests.length, 5, 'only the POSTs reached Vertex');
  const other = await post(h, BODY, { headers: { origin: 'https://chat.example.com.evil.example' } });
  t.equal(other.statusCode, 403, 'a listed origin is matched exactly');
});

t.test('OPTIONS that is not a preflight gets an OpenAI-shaped 400', async (t) => {
  const h = await startHarness(t);
  for (const headers of [{}, { origin: 'http://localhost:3000' }]) {
    const res = await h.app.inject({ method: 'OPTIONS', url: '/v1/chat/completions', headers: { host: '127.0.0.1:8765', ...headers } });
    t.equal(res.statusCode, 400);
    assertOpenAIError(t, res.body, { code: 'invalid_preflight' });
  }
});

t.test('a POST whose body is not JSON gets 415 and nothing reaches upstream', async (t) => {
  const h = await startHarness(t);
  const cases: [string, Record<string, string>, string][] = [
    ['text/plain', { 'content-type': 'text/plain' }, BODY],
    ['text/plain;charset=UTF-8 (fetch default)', { 'content-type': 'text/plain;charset=UTF-8' }, BODY],
    ['form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, `payload=${encodeURIComponent(BODY)}`],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n${BODY}\r\n--x--\r\n`],
    ['octet-stream', { 'content-type': 'application/octet-stream' }, BODY],
    ['json lookalike', { 'content-type': 'application/jsonp' }, BODY],
    ['no content-type, with a body', { 'content-type': '' }, BODY],
    ['no content-type, no body', { 'content-type': '' }, ''],
  ];
  for (const [name, headers, payload] of cases) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: Object.fromEntries(Object.entries({ host: '127.0.0.1:8765', origin: 'http://localhost:3000', ...headers }).filter(([, v]) => v !== '')),
      payload,
    });
    t.equal(res.statusCode, 415, `${name} is 415`);
    assertOpenAIError(t, res.body, { code: 'unsupported_media_type' });
  }
  assertNothingSpent(t, h);
  const json = await post(h, BODY, { headers: { 'content-type': 'application/json; charset=utf-8' } });
  t.equal(json.statusCode, 200, 'application/json with a charset is fine');
});

t.test('PROXY_API_KEY: one of the listed keys as Bearer or api-key; wrong or missing gets 401', async (t) => {
  const h = await startHarness(t, { env: { PROXY_API_KEY: 'local-key-one, local-key-two' } });
  const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { 'api-key': 'local-key-one-' }, { authorization: 'Basic bG9jYWwta2V5LW9uZQ==' }, { authorization: 'local-key-one' }, { authorization: 'Bearer ' }];
  for (const headers of refused) {
    const res = await post(h, BODY, { headers: headers });
    t.equal(res.statusCode, 401, `${JSON.stringify(headers)} is refused`);
    assertOpenAIError(t, res.body, { code: 'invalid_api_key', type: 'authentication_error' });
  }
  assertNothingSpent(t, h);

  const accepted: Record<string, string>[] = [{ authorization: 'Bearer local-key-one' }, { authorization: 'bearer local-key-two' }, { 'api-key': 'local-key-two' }];
  for (const headers of accepted) {
    const res = await post(h, BODY, { headers: headers });
    t.equal(res.statusCode, 200, `${JSON.stringify(headers)} is accepted`);
  }
  t.equal(h.vertex.requests.length, 3);
  for (const request of h.vertex.requests) {
    t.notMatch(JSON.stringify(request.headers), /local-key/, 'the client key never reaches upstream');
    t.equal(request.headers.authorization, `Bearer ${h.metadata.latestToken}`);
  }
});

t.test('PROXY_API_KEY also guards /v1/models and browser preflights still work', async (t) => {
  const h = await startHarness(t, { env: { PROXY_API_KEY: 'k1' } });
  const models = await h.app.inject({ method: 'GET', url: '/v1/models', headers: { host: 'localhost:8765' } });
  t.equal(models.statusCode, 401);
  const preflight = await sendPreflight(h, 'http://localhost:3000', 'authorization', 'localhost:8765');
  t.equal(preflight.statusCode, 204, 'a preflight carries no key and is still answered');
});
