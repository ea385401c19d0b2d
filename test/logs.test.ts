// Logs: the real daemon (startServer, in this process) at LOG_LEVEL=trace, a mix of requests,
// and then the captured lines themselves: no token, no client key, no
// authorization value anywhere; exactly one `request` line per request.

import t from 'tap';
import { FRESH_TOKEN_MS } from '../src/credentials/token-cache.ts';
import { createLogger } from '../src/observability/logger.ts';
import { CHAT_BODY, LogCapture } from './helpers/harness.ts';
import { startInProcess } from './helpers/in-process.ts';
import { hostOf, rawRequest } from './helpers/raw-http.ts';

const CLIENT_KEY = 'sk-local-client-key-0123456789';
const WRONG_KEY = 'sk-wrong-client-key-9876543210';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [field: string]: unknown;
}

t.test('trace-level logs of a request mix hold no secrets and one line per request', async (t) => {
  let skewMs = 0;
  const env = { LOG_LEVEL: 'trace', PROXY_API_KEY: CLIENT_KEY };
  const { server, url: base, metadata, vertex, rawLogs } = await startInProcess(t, env, { now: () => Date.now() + skewMs });

  const sent: { name: string; requestId: string; status: number }[] = [];
  async function call(name: string, init: { key?: string; body?: unknown; path?: string; method?: string; requestId?: string } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    if (init.requestId) headers['x-request-id'] = init.requestId;
    const res = await fetch(`${base}${init.path ?? '/v1/chat/completions'}`, {
      method: init.method ?? 'POST',
      headers,
      body: init.method === 'GET' ? undefined : JSON.stringify(init.body ?? CHAT_BODY),
    });
    await res.arrayBuffer();
    const requestId = res.headers.get('x-request-id') ?? '';
    sent.push({ name, requestId, status: res.status });
    return res;
  }

  // 1. Credential failure: the metadata server cannot give a token.
  metadata.failWith = 500;
  t.equal((await call('credential failure', { key: CLIENT_KEY })).status, 503);
  metadata.failWith = undefined;
  // 2. Success, and 3. a stream.
  t.equal((await call('success', { key: CLIENT_KEY, requestId: 'client-chosen-id-1' })).status, 200);
  t.equal((await call('stream', { key: CLIENT_KEY, body: { ...CHAT_BODY, stream: true } })).status, 200);
  // 4. Google rejects the token twice: replay (the token in hand is aged past FRESH_TOKEN_MS), then 401 to the client.
  skewMs = FRESH_TOKEN_MS;
  vertex.isValidToken = () => false;
  t.equal((await call('401 from upstream', { key: CLIENT_KEY })).status, 401);
  vertex.isValidToken = (token) => metadata.isValid(token);
  // 5. A wrong local key, and 6. no key.
  t.equal((await call('bad key', { key: WRONG_KEY })).status, 401);
  t.equal((await call('no key')).status, 401);
  // 7. Embeddings, 8. an unsupported path.
  t.equal((await call('embeddings', { key: CLIENT_KEY, path: '/v1/embeddings', body: { model: 'text-embedding-005', input: 'hi' } })).status, 200);
  t.equal((await call('not found', { key: CLIENT_KEY, path: '/v1/files' })).status, 404);
  // A request Node refuses outright, carrying keys in its headers: no request line, no key in logs.
  const refused = await rawRequest(base, {
    target: '/v1/chat completions',
    headers: [['Host', hostOf(base)], ['Authorization', `Bearer ${CLIENT_KEY}`], ['api-key', WRONG_KEY]],
  });
  t.equal(refused.status, 400);

  await server.shutdown('test over');
  const lines = rawLogs.map((line) => JSON.parse(line) as LogLine);

  t.test('no secret in any line', async (t) => {
    t.ok(metadata.issued.length >= 2, 'tokens were issued (first one, then the replay)');
    const secrets = [...metadata.issued, CLIENT_KEY, WRONG_KEY];
    for (const line of rawLogs) {
      for (const secret of secrets) t.notOk(line.includes(secret), `no secret in: ${line.slice(0, 120)}`);
      t.notMatch(line, /bearer\s+[^\s"[]/i, 'no authorization header value');
      t.notMatch(line, /ya29\./, 'nothing that looks like an access token');
    }
  });

  t.test('exactly one request line per request, with its fields', async (t) => {
    const requestLines = lines.filter((line) => line.msg === 'request');
    t.equal(requestLines.length, sent.length, 'one line per request');
    for (const { name, requestId, status } of sent) {
      const matching = requestLines.filter((line) => line.reqId === requestId);
      t.equal(matching.length, 1, `${name}: one line whose reqId is the x-request-id header`);
      const line = matching[0];
      if (!line) continue;
      t.equal(line.status, status, `${name}: status`);
      t.equal(line.method, 'POST', `${name}: method`);
      t.type(line.route, 'string', `${name}: route`);
      t.type(line.durationMs, 'number', `${name}: durationMs`);
      t.type(line.bytes, 'number', `${name}: bytes`);
      t.ok((line.bytes as number) > 0, `${name}: bytes counted`);
    }
    const byName = (name: string) => requestLines.find((line) => line.reqId === sent.find((s) => s.name === name)?.requestId);
    for (const name of ['success', 'stream', '401 from upstream', 'embeddings']) {
      const line = byName(name);
      t.match(
        line,
        {
          method: 'POST',
          model: String,
          status: Number,
          upstreamStatus: Number,
          ttfbMs: Number,
          durationMs: Number,
          bytes: Number,
        },
        `${name}: every field`,
      );
    }
    t.match(byName('success'), { reqId: 'client-chosen-id-1', route: '/v1/chat/completions', model: 'google/gemini-2.5-flash', status: 200, upstreamStatus: 200 });
    t.match(byName('stream'), { stream: true, status: 200, upstreamStatus: 200 });
    t.match(byName('401 from upstream'), { status: 401, upstreamStatus: 401 });
    t.match(byName('embeddings'), { route: '/v1/embeddings', model: 'text-embedding-005' });
    t.match(byName('credential failure'), { status: 503, model: 'google/gemini-2.5-flash' });
    t.notOk(byName('credential failure')?.upstreamStatus, 'a credential failure never reached upstream');
    t.match(byName('not found'), { status: 404, route: 'unmatched' });
  });

  t.test('the start line says where it listens and what it targets', async (t) => {
    const start = lines.filter((line) => line.msg === 'vertex-openai-proxy listening');
    t.equal(start.length, 1);
    t.match(start[0], {
      address: base,
      openaiBaseUrl: `${base}/v1`,
      project: 'fake-project',
      location: 'global',
      endpoint: 'openapi',
      credentialType: 'metadata_server',
      upstream: `${vertex.baseUrl}/v1/projects/fake-project/locations/global/endpoints/openapi`,
    });
  });
});

t.test('the logger redacts credential headers and fields wherever they are logged', async (t) => {
  const capture = new LogCapture();
  const logger = createLogger('trace', capture);
  logger.info({ req: { headers: { authorization: 'Bearer ya29.A', 'api-key': 'k1', 'x-goog-api-key': 'k2', accept: '*/*' } } }, 'one');
  logger.info({ headers: { 'x-api-key': 'k3', 'proxy-authorization': 'Basic k4', cookie: 'k5' } }, 'two');
  logger.info({ token: 'ya29.B', credentials: { access_token: 'ya29.C', refresh_token: 'k6', client_secret: 'k7', private_key: 'k8' } }, 'three');
  logger.child({ reqId: 'r' }).error({ err: Object.assign(new Error('boom'), { config: { headers: { authorization: 'Bearer ya29.D' } } }) }, 'four');
  const text = capture.lines.join('\n');
  t.notMatch(text, /ya29|k[1-8]\b/, 'no secret survives');
  t.match(text, '"accept":"*/*"', 'other fields stay');
  t.match(text, '"message":"boom"', 'errors keep their message');
});
