// callUpstream: the seam for routes that send a translated body, against the
// fake Vertex with real credentials from the fake metadata server. The same
// exchange as the passthrough route: the token, the 401 replay, failover
// before any byte, the upstream request cut when the client leaves.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/load.ts';
import { RouteTable } from '../src/config/routing.ts';
import { createAdcCredentials } from '../src/credentials/adc-credentials.ts';
import { FRESH_TOKEN_MS } from '../src/credentials/token-cache.ts';
import type { FailoverEvent } from '../src/proxy/failover.ts';
import { readUpstreamError } from '../src/proxy/error-answer.ts';
import { abortable, createUpstreamAgent } from '../src/proxy/dispatcher.ts';
import { openExchange, type UpstreamContext } from '../src/proxy/open-exchange.ts';
import { callUpstream } from '../src/proxy/upstream-call.ts';
import { startFakeMetadata } from './helpers/fake-metadata.ts';
import { completion, googleError, startFakeVertex } from './helpers/fake-vertex.ts';
import { Gate } from './helpers/streams.ts';
import { waitFor } from './helpers/wait.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

// ClientGoneError: named AbortError, so the logger files it under debug.
const CLIENT_GONE = { name: 'AbortError', message: /client went away/ };
const TRANSLATED = Buffer.from(JSON.stringify({ model: 'google/gemini-2.5-flash', messages: [{ role: 'user', content: 'translated' }] }));
const CLIENT_HEADERS = { authorization: 'Bearer sk-client', 'content-type': 'application/json', 'content-length': '9999', 'accept-encoding': 'gzip', 'user-agent': 'codex' };

async function rig(t: Test, env: Record<string, string> = {}) {
  const metadata = await startFakeMetadata();
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token) });
  const timeouts = { headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000 };
  const agent = createUpstreamAgent(timeouts);
  const clock = { skewMs: 0 };
  const credentials = createAdcCredentials({ now: () => Date.now() + clock.skewMs });
  t.teardown(async () => {
    await agent.close();
    await vertex.close();
    await metadata.close();
  });
  const config = loadConfig({ env: { VERTEX_BASE_URL: vertex.baseUrl, ...env } });
  const failovers: FailoverEvent[] = [];
  const context: UpstreamContext = {
    routes: new RouteTable(config),
    credentials,
    dispatcher: abortable(agent, timeouts),
    quotaProject: config.quotaProject,
    failoverMaxWaitMs: config.failoverMaxWaitMs,
    onFailover: (event) => failovers.push(event),
  };
  const warnings: string[] = [];
  const log = { warn: (_fields: object, msg: string) => void warnings.push(msg) };
  const call = async (model: string | undefined, abort = new AbortController()) => {
    const exchange = await openExchange(context, { model, operation: 'chat/completions', signal: abort.signal });
    return callUpstream(context, exchange, { body: TRANSLATED, headers: CLIENT_HEADERS, log });
  };
  /** Ages the token in hand past FRESH_TOKEN_MS, so a 401 on it replays. */
  const ageToken = async () => {
    await credentials.getToken();
    clock.skewMs += FRESH_TOKEN_MS;
  };
  return { metadata, vertex, failovers, warnings, call, ageToken };
}

function failoverConfig(): string {
  const file = join(scratchDir('vop-call-'), 'proxy.json');
  writeFileSync(file, JSON.stringify({ models: { eu: { model: 'google/gemini-2.5-pro', location: ['europe-west1', 'europe-west4'] } } }));
  return file;
}

async function text(body: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of body) out += String(chunk);
  return out;
}

t.test('sends the translated body with the shared token, and hands back the answer', async (t) => {
  const { metadata, vertex, call } = await rig(t, { GOOGLE_CLOUD_QUOTA_PROJECT: 'billing' });
  const answer = await call('google/gemini-2.5-flash');
  t.equal(answer.statusCode, 200);
  t.same(JSON.parse(await text(answer.body)), completion());
  const sent = vertex.last;
  t.equal(sent?.url, '/v1/projects/fake-project/locations/global/endpoints/openapi/chat/completions');
  t.same(sent?.body, TRANSLATED, 'the translated bytes, not the client body');
  t.equal(sent?.headers.authorization, `Bearer ${metadata.latestToken}`, 'the token, never the client key');
  t.equal(sent?.headers['content-length'], String(TRANSLATED.length), 'the length of what is sent');
  t.equal(sent?.headers['accept-encoding'], 'identity', 'an answer the route can read');
  t.equal(sent?.headers['x-goog-user-project'], 'billing');
  t.equal(sent?.headers['user-agent'], 'codex', 'other client headers pass as on the passthrough route');
});

t.test('a 401 is replayed once with a fresh token; a second one is the answer; a fresh token\'s 401 is not replayed', async (t) => {
  const { metadata, vertex, call, ageToken } = await rig(t);
  await ageToken();
  vertex.next((_req, _body, res) => googleError(res, 401, 'UNAUTHENTICATED', 'token revoked'));
  const replayed = await call(undefined);
  t.equal(replayed.statusCode, 200, 'the replay succeeded');
  await text(replayed.body);
  t.equal(vertex.requests.length, 2);
  t.equal(metadata.tokenFetches, 2, 'the rejected token was dropped and a new one fetched');
  t.equal(vertex.last?.headers.authorization, `Bearer ${metadata.latestToken}`);

  vertex.isValidToken = () => false;
  const fresh = await call(undefined);
  t.equal(fresh.statusCode, 401, 'a token received moments ago: its 401 stands');
  t.match(await readUpstreamError(fresh), { error: { code: 'UNAUTHENTICATED', type: 'authentication_error' } });
  t.equal(vertex.requests.length, 3, 'not replayed with the token just rejected');
  t.equal(metadata.tokenFetches, 2, 'nor a token fetched');

  await ageToken();
  const refused = await call(undefined);
  t.equal(refused.statusCode, 401, 'the second 401 stands');
  t.match(await readUpstreamError(refused), { error: { code: 'UNAUTHENTICATED', type: 'authentication_error' } });
  t.equal(vertex.requests.length, 5, 'one replay, not more');
  t.equal(metadata.tokenFetches, 3);
});

t.test('fails over to the next location before any byte, and says so', async (t) => {
  const { vertex, failovers, warnings, call } = await rig(t, { PROXY_CONFIG: failoverConfig(), PROXY_FAILOVER_MAX_WAIT_SECONDS: '0.05' });
  vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'quota', { 'retry-after': '1' }));
  const answer = await call('eu');
  t.equal(answer.statusCode, 200);
  await text(answer.body);
  t.same(
    vertex.requests.map((r) => /locations\/([^/]+)/.exec(r.url)?.[1]),
    ['europe-west1', 'europe-west4'],
  );
  t.same(failovers, [{ from: 'europe-west1', to: 'europe-west4', status: 429, error: undefined, delayMs: 50 }], 'Retry-After, capped');
  t.same(warnings, ['failing over to the next location']);
});

t.test('the client leaving cuts the upstream request before its headers', async (t) => {
  const { vertex, call } = await rig(t);
  const thinking = new Gate();
  vertex.next(async (_req, _body, res) => {
    thinking.open();
    await new Promise((resolve) => res.once('close', resolve));
  });
  const abort = new AbortController();
  const pending = call(undefined, abort);
  await thinking.opened;
  abort.abort();
  await t.rejects(pending, CLIENT_GONE);
  await waitFor(() => vertex.aborted === 1, 'the upstream request to be cut');
  t.pass('the upstream saw its request aborted');
});

t.test('the client leaving during a failover wait ends the wait at once', async (t) => {
  const { vertex, call } = await rig(t, { PROXY_CONFIG: failoverConfig(), PROXY_FAILOVER_MAX_WAIT_SECONDS: '30' });
  const abort = new AbortController();
  vertex.next((_req, _body, res) => {
    googleError(res, 503, 'UNAVAILABLE', 'later', { 'retry-after': '30' });
    setTimeout(() => abort.abort(), 20);
  });
  const started = performance.now();
  await t.rejects(call('eu', abort), CLIENT_GONE);
  t.ok(performance.now() - started < 5_000, 'not the 30 s Retry-After');
  t.equal(vertex.requests.length, 1, 'the next location was never tried');
});

t.test('an unreachable upstream is a 502 ProxyError', async (t) => {
  const { call } = await rig(t, { VERTEX_BASE_URL: 'http://127.0.0.1:9' });
  await t.rejects(call(undefined), { statusCode: 502, code: 'upstream_unreachable' });
});
