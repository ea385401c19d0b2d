// Headers: client credentials and hop-by-hop headers never reach Google, a
// request carrying them still succeeds, and Google gets our bearer token and
// the quota project.

import t, { type Test } from 'tap';
import { clientResponseHeaders, upstreamRequestHeaders } from '../src/proxy/headers.ts';
import { CHAT_BODY, JSON_HEADERS, startHarness, type Harness } from './helpers/harness.ts';
import { hostOf, rawRequest, type RawRequest } from './helpers/raw-http.ts';

const BODY = JSON.stringify(CHAT_BODY);

const CLIENT_CREDENTIALS: [string, string][] = [
  ['Authorization', 'Bearer sk-client-secret-1'],
  ['api-key', 'sk-client-secret-2'],
  ['x-api-key', 'sk-client-secret-3'],
  ['x-goog-api-key', 'AIza-client-secret-4'],
  ['OpenAI-Organization', 'org-client'],
  ['OpenAI-Project', 'proj-client'],
];

const HOP_BY_HOP: [string, string][] = [
  ['Connection', 'keep-alive, X-Foo, X-Bar'],
  ['X-Foo', 'named-by-connection'],
  ['X-Bar', 'named-by-connection-too'],
  ['Keep-Alive', 'timeout=5, max=100'],
  ['TE', 'trailers'],
  ['Trailer', 'X-Checksum'],
  ['Proxy-Authorization', 'Basic cHJveHk6c2VjcmV0'],
  ['Proxy-Connection', 'keep-alive'],
];

const NEVER_UPSTREAM = [
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'openai-organization',
  'openai-project',
  'x-foo',
  'x-bar',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'expect',
  'transfer-encoding',
  'http2-settings',
];

function assertCleanUpstream(t: Test, h: Harness, index = -1): void {
  const request = h.vertex.requests.at(index);
  if (!request) return void t.fail('no upstream request recorded');
  for (const name of NEVER_UPSTREAM) t.notOk(name in request.headers, `${name} does not reach upstream`);
  t.notMatch(String(request.headers.connection ?? ''), /x-foo|x-bar|upgrade|http2-settings/i, 'Connection names only what undici set');
  t.equal(request.headers.authorization, `Bearer ${h.metadata.latestToken}`, 'authorization is our ADC bearer token');
  t.notMatch(JSON.stringify(request.headers), /sk-client-secret|AIza-client|org-client|proj-client|cHJveHk6/, 'no client credential anywhere');
  t.notOk('x-kept' in request.headers, 'a header outside the allowlist stays here');
  t.equal(request.headers['x-vertex-ai-llm-request-type'], 'shared', "Vertex's own headers pass");
  t.equal(request.body.toString('utf8'), BODY, 'body unaltered');
}

function send(h: Harness, extra: Omit<RawRequest, 'target' | 'headers'> & { headers: [string, string][] }) {
  return rawRequest(h.url, {
    target: '/v1/chat/completions',
    ...extra,
    headers: [['Host', hostOf(h.url)], ['Content-Type', 'application/json'], ['X-Kept', 'kept'], ['X-Vertex-AI-LLM-Request-Type', 'shared'], ...extra.headers],
  });
}

t.test('upstreamRequestHeaders as a table', async (t) => {
  // What an SDK sends that Google gets unchanged.
  const passedOn = {
    'content-type': 'application/json',
    'content-length': '12',
    accept: 'text/event-stream',
    'accept-encoding': 'gzip',
    'user-agent': 'OpenAI/JS 5',
    'x-request-id': 'req-1',
    'x-goog-user-project': 'billing',
    'x-vertex-ai-llm-request-type': 'shared',
  };
  const client = {
    ...passedOn,
    // This proxy's own name: undici writes the upstream's, and takes the TLS server name from it.
    host: '127.0.0.1:8765',
    'x-stainless-os': 'Linux',
    cookie: 'session=1',
    'x-forwarded-for': '10.0.0.1',
    'x-forwarded-host': 'evil.example',
    forwarded: 'for=10.0.0.1',
    via: '1.1 proxy',
    'x-http-method-override': 'DELETE',
    'x-goog-iam-authorization-token': 'tok',
    'x-goog-request-params': 'name=projects/other',
    authorization: 'Bearer sk-x',
    'api-key': 'k',
    'x-api-key': 'k',
    'x-goog-api-key': 'k',
    'openai-organization': 'o',
    'openai-project': 'p',
    connection: 'keep-alive, X-Named',
    'x-named': 'v',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    trailer: 'x',
    upgrade: 'h2c',
    'proxy-authorization': 'Basic x',
    'proxy-connection': 'keep-alive',
    expect: '100-continue',
    'transfer-encoding': 'chunked',
  };
  t.same(upstreamRequestHeaders(client, { token: 'ya29.T', quotaProject: 'qp' }), {
    ...passedOn,
    authorization: 'Bearer ya29.T',
    'x-goog-user-project': 'qp',
  });
  t.same(upstreamRequestHeaders({ accept: '*/*' }, { token: 'ya29.T', quotaProject: undefined }), { accept: '*/*', authorization: 'Bearer ya29.T' }, 'no quota project header when none is known');
  t.same(
    upstreamRequestHeaders({ connection: ['close', 'x-vertex-ai-a'] as unknown as string, 'x-vertex-ai-a': '1', 'x-vertex-ai-b': '2' }, { token: 'T' }),
    { 'x-vertex-ai-b': '2', authorization: 'Bearer T' },
    'Connection as a list',
  );
  t.equal(
    upstreamRequestHeaders({}, { token: 'T', extra: { authorization: 'Bearer other', 'x-vertex-ai-llm-request-type': 'dedicated' } }).authorization,
    'Bearer T',
    'configured extra headers cannot replace our token',
  );
  t.same(
    upstreamRequestHeaders(
      { host: 'vertex.example', 'content-length': '2' },
      { token: 'T', extra: { Host: 'other.example', 'content-length': '99', 'transfer-encoding': 'chunked', connection: 'close', 'X-Dedicated': 'yes' } },
    ),
    { 'content-length': '2', 'x-dedicated': 'yes', authorization: 'Bearer T' },
    'configured extra headers cannot change framing or the target host',
  );
});

t.test('clientResponseHeaders: event streams are marked unbuffered, other answers untouched', async (t) => {
  t.same(clientResponseHeaders({ 'content-type': 'text/event-stream; charset=utf-8' }), {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  const json = { 'content-type': 'application/json', 'cache-control': 'private' };
  t.equal(clientResponseHeaders(json), json);
});

t.test('client credentials and hop-by-hop headers over a real socket: stripped, and the request succeeds', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const response = await send(h, {
    headers: [...CLIENT_CREDENTIALS, ...HOP_BY_HOP, ['Content-Length', String(Buffer.byteLength(BODY))]],
    body: BODY,
  });
  t.equal(response.status, 200, response.body);
  t.equal(JSON.parse(response.body).choices[0].message.content, 'Hello from fake Vertex');
  assertCleanUpstream(t, h);
});

t.test('a chunked request body is forwarded with a length, without Transfer-Encoding', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const response = await send(h, {
    headers: [['Transfer-Encoding', 'chunked'], ['TE', 'trailers'], ['Connection', 'close'], ...CLIENT_CREDENTIALS],
    chunked: [BODY.slice(0, 7), BODY.slice(7, 30), BODY.slice(30)],
  });
  t.equal(response.status, 200, response.body);
  assertCleanUpstream(t, h);
  t.equal(h.vertex.last?.headers['content-length'], String(Buffer.byteLength(BODY)));
});

t.test('Expect: 100-continue gets its 100 and the request succeeds; Expect is not forwarded', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const response = await send(h, {
    headers: [['Content-Length', String(Buffer.byteLength(BODY))], ['Expect', '100-continue'], ['Connection', 'close']],
    body: BODY,
    awaitContinue: true,
  });
  t.same(response.interim, [100], 'the client was told to continue');
  t.equal(response.status, 200, response.body);
  assertCleanUpstream(t, h);
});

t.test('Upgrade requests (h2c, websocket) are answered as plain HTTP and not forwarded as upgrades', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  for (const upgrade of [
    [['Upgrade', 'h2c'], ['Connection', 'Upgrade, HTTP2-Settings'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA']],
    [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']],
  ] as [string, string][][]) {
    const response = await send(h, { headers: [...upgrade, ['Content-Length', String(Buffer.byteLength(BODY))]], body: BODY });
    t.equal(response.status, 200, `${upgrade[0]?.[1]}: ${response.body.slice(0, 80)}`);
    assertCleanUpstream(t, h);
  }
});

t.test('x-goog-user-project comes from GOOGLE_CLOUD_QUOTA_PROJECT', async (t) => {
  const h = await startHarness(t, { env: { GOOGLE_CLOUD_QUOTA_PROJECT: 'billing-proj' } });
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...JSON_HEADERS, 'x-goog-user-project': 'client-choice' }, payload: BODY });
  t.equal(res.statusCode, 200);
  t.equal(h.vertex.last?.headers['x-goog-user-project'], 'billing-proj', 'config wins over a client-sent value');
});

t.test('no x-goog-user-project when neither config nor ADC names one', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_HEADERS, payload: BODY });
  t.equal(res.statusCode, 200);
  t.notOk('x-goog-user-project' in (h.vertex.last?.headers ?? {}));

  const chosen = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...JSON_HEADERS, 'x-goog-user-project': 'client-choice' }, payload: BODY });
  t.equal(chosen.statusCode, 200);
  t.equal(h.vertex.last?.headers['x-goog-user-project'], 'client-choice', "then a client's own choice is passed on");
});

t.test("x-goog-user-project comes from the ADC file's quota_project_id", async (t) => {
  const h = await startHarness(t, { env: { GOOGLE_CLOUD_PROJECT: 'file-proj' } });
  // A credential type whose token endpoint is on loopback.
  const file = h.metadata.writeAuthorizedUserFile({ quota_project_id: 'adc-quota-proj' });
  process.env.GOOGLE_APPLICATION_CREDENTIALS = file;
  t.teardown(() => {
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  });
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_HEADERS, payload: BODY });
  t.equal(res.statusCode, 200, res.body);
  t.equal(h.vertex.last?.headers['x-goog-user-project'], 'adc-quota-proj');
  t.equal(h.vertex.last?.headers.authorization, `Bearer ${h.metadata.latestToken}`, 'the token came from the file credential');
  t.equal(h.vertex.last?.url, '/v1/projects/file-proj/locations/global/endpoints/openapi/chat/completions');
  // This client keeps the expiry to itself: the token endpoint's expires_in (3599 s) counts, not a 60 s guess.
  const lifetimeMs = (await h.credentials.getToken()).expiresAt - Date.now();
  t.ok(lifetimeMs > 3_000_000, `cached for the token's hour (${Math.round(lifetimeMs / 1000)} s left)`);
});
