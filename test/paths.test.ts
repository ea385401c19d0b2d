// Routes and path safety over a real socket: the three OpenAI operations reach
// `.../endpoints/{id}/{op}` on the configured host, and nothing a client puts
// in the request target changes that host, that prefix, or that path.

import t, { type Test } from 'tap';
import { CHAT_BODY, startHarness, type Harness } from './helpers/harness.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';
import { hostOf, rawRequest, type RawResponse } from './helpers/raw-http.ts';

const PREFIX = '/v1/projects/fake-project/locations/global/endpoints/openapi';
const OPERATION_PATHS = new Set(['chat/completions', 'completions', 'embeddings'].map((op) => `${PREFIX}/${op}`));
const BODY = JSON.stringify(CHAT_BODY);

async function send(h: Harness, target: string, method = 'POST'): Promise<{ response: RawResponse; upstream: string[] }> {
  const before = h.vertex.requests.length;
  const response = await rawRequest(h.url, {
    method,
    target,
    headers: [
      ['Host', hostOf(h.url)],
      ['Content-Type', 'application/json'],
      ['Content-Length', String(Buffer.byteLength(BODY))],
      ['Connection', 'close'],
    ],
    body: BODY,
  });
  return { response, upstream: h.vertex.requests.slice(before).map((r) => r.url) };
}

/** Whatever happened, upstream saw only the fixed host and the fixed operation paths. */
function assertUpstreamUntouched(t: Test, h: Harness): void {
  for (const request of h.vertex.requests) {
    t.ok(OPERATION_PATHS.has(request.url), `upstream path is a fixed operation path: ${request.url}`);
    t.equal(request.headers.host, hostOf(h.vertex.baseUrl), 'upstream Host is the configured one');
  }
}

t.test('the six supported paths reach the fixed Vertex endpoint path', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const cases: [string, string][] = [
    ['/v1/chat/completions', 'chat/completions'],
    ['/v1/completions', 'completions'],
    ['/v1/embeddings', 'embeddings'],
    ['/chat/completions', 'chat/completions'],
    ['/completions', 'completions'],
    ['/embeddings', 'embeddings'],
  ];
  for (const [target, operation] of cases) {
    const { response, upstream } = await send(h, target);
    t.equal(response.status, 200, `${target} answers 200`);
    t.same(upstream, [`${PREFIX}/${operation}`], `${target} reaches .../endpoints/openapi/${operation}`);
  }
  assertUpstreamUntouched(t, h);
});

t.test('unsupported paths and methods get an OpenAI-shaped 404 and never reach Vertex', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const cases: [string, string][] = [
    ['PUT', '/v1/responses'],
    ['POST', '/v1/responses/resp_1'],
    ['GET', '/v1/chat/completions'],
    ['PUT', '/v1/chat/completions'],
    ['DELETE', '/v1/embeddings'],
    ['POST', '/v1/chat/completions/extra'],
    ['POST', '/v1/chat/completions/'],
    ['POST', '/v1/files'],
    ['POST', '/v1/images/generations'],
    ['POST', '/v2/chat/completions'],
    ['POST', '/V1/chat/completions'],
    ['POST', '/'],
    // An empty id names nothing: the same answer as any other unserved path.
    ['GET', '/v1/models/'],
    ['GET', '/models/'],
    ['GET', '/v1/responses/'],
    ['DELETE', '/responses/'],
    ['GET', '/v1/responses//input_items'],
  ];
  for (const [method, target] of cases) {
    const { response, upstream } = await send(h, target, method);
    t.equal(response.status, 404, `${method} ${target} is 404`);
    const { error } = assertOpenAIError(t, response.body, { code: 'unsupported_path', type: 'not_found_error' });
    t.match(error.message, '/v1/chat/completions, /v1/completions, /v1/embeddings', 'names the supported paths');
    t.same(upstream, [], `${method} ${target} never reaches Vertex`);
  }
  t.equal(h.vertex.requests.length, 0);
  t.equal(h.metadata.tokenFetches, 0, 'no token is even fetched');
});

t.test('query strings and fragments never reach upstream', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  for (const target of [
    '/v1/chat/completions?alt=sse&key=AIzaFAKE',
    '/v1/chat/completions?/../../../v1/projects/other/locations/x/endpoints/y/chat/completions',
    '/v1/chat/completions?%2F..%2F..',
    '/v1/chat/completions?$httpMethod=DELETE',
    '/%761/chat/completions',
  ]) {
    const { response, upstream } = await send(h, target);
    t.equal(response.status, 200, `${target} answers 200`);
    t.same(upstream, [`${PREFIX}/chat/completions`], `${target}: upstream path is exact, no query`);
  }
  assertUpstreamUntouched(t, h);
});

t.test('traversal, encoded slashes, double slashes, backslashes and absolute-form targets never reach upstream', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const attacks = [
    '/v1/../v1/chat/completions',
    '/v1/chat/completions/..',
    '/v1/chat/completions/../../../../v1/projects/other/locations/x/endpoints/y/chat/completions',
    '/v1/./chat/completions',
    '/v1/%2e%2e/v1/chat/completions',
    '/v1/%2E%2E/v1/chat/completions',
    '/v1/chat/completions/%2e%2e/%2e%2e/models',
    '/v1/chat/completions/.%2e/embeddings',
    '/v1%2Fchat%2Fcompletions',
    '/v1/chat%2Fcompletions',
    '/v1/chat%2fcompletions',
    '/v1/chat/completions%2F..%2F..%2Fmodels',
    '/v1/chat/completions#/../../evil',
    '/v1/chat/completions%3F',
    '/v1/chat/completions%23x',
    '/v1/chat/completions%00',
    '/v1/chat/completions%',
    '/v1/chat/completions;x=y',
    '//v1/chat/completions',
    '/v1//chat/completions',
    '/v1/chat//completions',
    '///evil.example/v1/chat/completions',
    '//evil.example/v1/chat/completions',
    '/v1\\..\\chat/completions',
    '/v1/chat/completions\\..\\..\\x',
    '/v1\\chat\\completions',
    '\\v1\\chat\\completions',
    '\\\\evil.example\\v1\\chat\\completions',
    'http://evil.example/v1/chat/completions',
    'https://evil.example/v1/chat/completions',
    'http://evil.example//v1/chat/completions',
    `http://${hostOf(h.url)}/v1/chat/completions`,
    'http://127.0.0.1@evil.example/v1/chat/completions',
    'http:/v1/chat/completions',
    'v1/chat/completions',
    '*',
  ];
  for (const target of attacks) {
    const { response, upstream } = await send(h, target);
    t.ok([400, 403, 404].includes(response.status), `${JSON.stringify(target)} is refused (${response.status})`);
    assertOpenAIError(t, response.body);
    t.same(upstream, [], `${JSON.stringify(target)} never reaches Vertex`);
  }
  t.equal(h.vertex.requests.length, 0, 'Vertex saw nothing at all');
});

t.test('an absolute-form target is refused before any work, even naming our own host', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  for (const target of ['http://evil.example/v1/chat/completions', `http://${hostOf(h.url)}/v1/chat/completions`]) {
    const { response } = await send(h, target);
    t.equal(response.status, 400);
    assertOpenAIError(t, response.body, { code: 'invalid_request_target' });
  }
  t.equal(h.metadata.tokenRequests, 0, 'no token was fetched for them');
});

t.test('inject() normalises some targets itself; the upstream path stays fixed either way', async (t) => {
  const h = await startHarness(t);
  for (const url of ['/v1/../v1/chat/completions', '/v1/./chat/completions', '/v1/%2e%2e/v1/chat/completions', '//v1/chat/completions', '/v1/chat%2Fcompletions']) {
    const res = await h.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', host: '127.0.0.1:8765' }, payload: BODY });
    if (res.statusCode !== 200) assertOpenAIError(t, res.body);
    t.ok([200, 400, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
  }
  assertUpstreamUntouched(t, h);
});
