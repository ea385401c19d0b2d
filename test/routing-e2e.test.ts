// Routing against the fake upstream: URLs, body model, headers, /v1/models,
// and failover between an entry's locations.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import OpenAI from 'openai';
import { startHarness, type Harness } from './helpers/harness.ts';
import { googleError, sleep, startFakeVertex } from './helpers/fake-vertex.ts';
import { post } from './helpers/requests.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

function writeConfig(content: unknown): string {
  const path = join(scratchDir('vop-config-'), 'proxy.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

t.test('each entry field reaches the upstream as configured', async (t) => {
  const dedicated = await startFakeVertex();
  t.teardown(() => dedicated.close());
  const config = writeConfig({
    project: 'file-project',
    headers: { 'x-team': 'search' },
    models: {
      'my-llama': { endpoint: '1234567890', location: 'europe-west4', apiVersion: 'v1beta1' },
      'gpt-4o': { model: 'google/gemini-2.5-flash' },
      'other-project': { project: 'second-project', location: 'global' },
      tuned: {
        endpoint: '987654321',
        location: 'us-central1',
        baseUrl: dedicated.baseUrl,
        headers: { 'X-Vertex-AI-LLM-Request-Type': 'dedicated' },
      },
    },
  });
  const h = await startHarness(t, { env: { PROXY_CONFIG: config } });
  dedicated.isValidToken = (token) => h.metadata.isValid(token);

  const llama = '{"model":"my-llama","messages":[{"role":"user","content":"hi"}]}';
  t.equal((await post(h, llama)).statusCode, 200);
  t.equal(h.vertex.last?.url, '/v1beta1/projects/file-project/locations/europe-west4/endpoints/1234567890/chat/completions');
  t.equal(h.vertex.last?.body.toString(), llama, 'a routed, non-alias model is sent byte for byte');
  t.equal(h.vertex.last?.headers['x-team'], 'search', 'default headers apply');

  const alias = '{"messages":[{"role":"user","content":"hi","model":"gpt-4o"}],  "model": "gpt-4o", "extra_body": {"google": {"thinking_config": {"thinking_budget": 0}}}}';
  t.equal((await post(h, alias)).statusCode, 200);
  t.equal(h.vertex.last?.url, '/v1/projects/file-project/locations/global/endpoints/openapi/chat/completions');
  t.equal(h.vertex.last?.body.toString(), alias.replace('"model": "gpt-4o"', '"model": "google/gemini-2.5-flash"'), 'only the model value changes');

  t.equal((await post(h, { model: 'other-project', messages: [] })).statusCode, 200);
  t.equal(h.vertex.last?.url, '/v1/projects/second-project/locations/global/endpoints/openapi/chat/completions');

  t.equal((await post(h, { model: 'tuned', messages: [] })).statusCode, 200);
  t.equal(dedicated.last?.url, '/v1/projects/file-project/locations/us-central1/endpoints/987654321/chat/completions', 'dedicated endpoint host');
  t.equal(dedicated.last?.headers['x-vertex-ai-llm-request-type'], 'dedicated');
  t.equal(dedicated.last?.headers['x-team'], 'search');
  t.equal(dedicated.last?.headers.authorization, `Bearer ${h.metadata.latestToken}`);

  const unlisted = '{"model":"google/gemini-2.0-flash-001","input":"x"}';
  t.equal((await post(h, unlisted, { path: '/v1/embeddings' })).statusCode, 200);
  t.equal(h.vertex.last?.url, '/v1/projects/file-project/locations/global/endpoints/openapi/embeddings', 'unlisted models take the default route');
  t.equal(h.vertex.last?.body.toString(), unlisted);
});

t.test('/v1/models answers locally for the openai SDK', async (t) => {
  const config = writeConfig({ models: { 'gpt-4o': { model: 'google/gemini-2.5-flash' }, 'my-llama': { endpoint: '123' } } });
  const h = await startHarness(t, { env: { PROXY_CONFIG: config } });
  const client = new OpenAI({ baseURL: `${await h.listen()}/v1`, apiKey: 'unused', maxRetries: 0 });

  const ids: string[] = [];
  for await (const model of client.models.list()) ids.push(model.id);
  t.same(ids.slice(0, 2), ['gpt-4o', 'my-llama'], 'configured names first');
  t.ok(ids.includes('google/gemini-3.5-flash'), 'plus the default list');

  const retrieved = await client.models.retrieve('google/gemini-3.5-flash');
  t.equal(retrieved.id, 'google/gemini-3.5-flash');
  t.equal(retrieved.owned_by, 'google');
  const missing = await client.models.retrieve('nope').catch((err: unknown) => err);
  t.equal((missing as { status?: number }).status, 404, 'an unlisted name that is not a Vertex ID');
  // Chat forwards any Vertex ID, listed or not: a tool that checks one first must not be told it is missing.
  const unlisted = await client.models.retrieve('meta/llama-4-maverick-17b-128e-instruct-maas');
  t.match(unlisted, { id: 'meta/llama-4-maverick-17b-128e-instruct-maas', object: 'model', owned_by: 'meta' });
  for (const odd of ['google/', '/gemini', 'google/a/b', 'Google/gemini']) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/models/${odd}`, headers: { host: 'localhost:8765' } });
    t.equal(res.statusCode, 404, `not a Vertex ID: ${odd}`);
  }
  // The router has decoded the path once already: a literal % in an ID is not decoded again.
  for (const [path, status] of [['google%2Fgemini-3.5-flash', 200], ['100%25', 404], ['a%25E0', 404]] as const) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/models/${path}`, headers: { host: 'localhost:8765' } });
    t.equal(res.statusCode, status, `GET /v1/models/${path}: ${res.body}`);
  }
  t.equal(h.vertex.requests.length, 0, 'Google is never called');
  t.equal(h.metadata.tokenRequests, 0, 'not even for a token');
});

const FAILOVER_MODELS = {
  'eu-gemini': { model: 'google/gemini-2.5-pro', location: ['europe-west1', 'europe-west4', 'europe-west9'] },
  'single': { location: 'europe-west1' },
};

async function failoverHarness(t: Test, env: Record<string, string> = {}) {
  return startHarness(t, { env: { PROXY_CONFIG: writeConfig({ models: FAILOVER_MODELS }), ...env } });
}

const locationsSeen = (h: Harness) => h.vertex.requests.map((r) => /locations\/([^/]+)/.exec(r.url)?.[1]);

t.test('failover on 429/5xx before the first byte, in list order', async (t) => {
  const h = await failoverHarness(t);
  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', { 'retry-after': '0' }));
  h.vertex.next((_req, _body, res) => googleError(res, 503, 'UNAVAILABLE', 'Overloaded'));
  const res = await post(h, { model: 'eu-gemini', messages: [] });
  t.equal(res.statusCode, 200);
  t.same(locationsSeen(h), ['europe-west1', 'europe-west4', 'europe-west9']);
  t.ok(h.vertex.requests.every((r) => JSON.parse(r.body.toString()).model === 'google/gemini-2.5-pro'), 'same body every time');
  t.equal(res.headers['retry-after'], undefined, 'the failed answer’s headers are not leaked into the good one');
  t.equal(h.logs.filter((line) => line.includes('failing over')).length, 2, 'each failover is logged');
});

t.test('failover when the connection fails, and the last answer is returned when every location fails', async (t) => {
  const h = await failoverHarness(t);
  h.vertex.next((req) => void req.socket.destroy());
  h.vertex.next((_req, _body, res) => googleError(res, 500, 'INTERNAL', 'boom'));
  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', { 'retry-after': '7' }));
  const res = await post(h, { model: 'eu-gemini', messages: [] });
  t.equal(res.statusCode, 429);
  t.equal(res.headers['retry-after'], '7');
  t.equal(res.json().error.code, 'RESOURCE_EXHAUSTED');
  t.same(locationsSeen(h), ['europe-west1', 'europe-west4', 'europe-west9'], 'never a location outside the list');
});

t.test('no failover for a single location, nor for other errors', async (t) => {
  const h = await failoverHarness(t);
  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'));
  t.equal((await post(h, { model: 'single', messages: [] })).statusCode, 429);
  h.vertex.next((_req, _body, res) => googleError(res, 400, 'INVALID_ARGUMENT', 'bad'));
  t.equal((await post(h, { model: 'eu-gemini', messages: [] })).statusCode, 400);
  t.same(locationsSeen(h), ['europe-west1', 'europe-west1']);
});

t.test('no failover once streaming has started', async (t) => {
  const h = await failoverHarness(t);
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[]}\n\n');
    await sleep(20);
    res.socket?.destroy();
  });
  const base = await h.listen();
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'eu-gemini', stream: true, messages: [] }),
  });
  t.equal(response.status, 200);
  const text = await response.text().catch(() => 'cut');
  t.ok(text === 'cut' || text.startsWith('data: {"choices":[]}'), 'the client sees the stream end, not a retry');
  t.same(locationsSeen(h), ['europe-west1']);
});

t.test('Retry-After is honoured up to the configured cap', async (t) => {
  const h = await failoverHarness(t, { PROXY_FAILOVER_MAX_WAIT_SECONDS: '1.5' });
  const times: number[] = [];
  h.vertex.next((_req, _body, res) => {
    times.push(Date.now());
    googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota', { 'retry-after': '1' });
  });
  h.vertex.next((_req, _body, res) => {
    times.push(Date.now());
    googleError(res, 503, 'UNAVAILABLE', 'later', { 'retry-after': '3600' });
  });
  h.vertex.next((_req, _body, res) => {
    times.push(Date.now());
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  const res = await post(h, { model: 'eu-gemini', messages: [] });
  t.equal(res.statusCode, 200);
  t.ok((times[1] as number) - (times[0] as number) >= 950, 'waited for Retry-After: 1');
  t.ok((times[2] as number) - (times[1] as number) >= 1450, 'waited the cap for Retry-After: 3600');
});
