// GET /metrics after real traffic through the real app: request counts by
// route pattern, bounded model and status; latency histograms; in-flight
// requests and streams; token refreshes and expiry; failovers; who may read it.

import { writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import OpenAI from 'openai';
import { MAX_MODEL_LABELS, modelLabeler } from '../src/observability/model-labels.ts';
import { googleError } from './helpers/fake-vertex.ts';
import { CHAT_BODY, JSON_HEADERS, startHarness } from './helpers/harness.ts';
import { Gate } from './helpers/streams.ts';
import { waitFor } from './helpers/wait.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

/** The value of one sample, matched by name and exact label set. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(/,(?=\w+=")/).filter(Boolean).sort().join(',');
    if (have === wanted) return Number(match[3]);
  }
  return undefined;
}

t.test('metrics after real traffic: counts, bounded labels, histograms, token gauges', async (t) => {
  const h = await startHarness(t);
  const baseURL = `${await h.listen()}/v1`;
  const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0 });

  await client.chat.completions.create({ model: 'google/gemini-3.5-flash', messages: [{ role: 'user', content: 'hi' }] });
  await client.chat.completions.create({ model: 'google/gemini-3.5-flash', messages: [{ role: 'user', content: 'hi' }] });
  const stream = await client.chat.completions.create({ model: 'google/gemini-3.1-pro-preview', messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const _event of stream) {
    // drain
  }
  await client.embeddings.create({ model: 'text-embedding-005', input: 'x' });
  // A model name nobody configured, and a path nobody routes: neither may become a label.
  await client.chat.completions.create({ model: 'attacker-<chosen>-name', messages: [{ role: 'user', content: 'hi' }] });
  await fetch(`${h.url}/v1/responses/secret-path-1234?q=1`, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
  await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...JSON_HEADERS, host: 'evil.example' }, payload: CHAT_BODY });

  const response = await fetch(`${h.url}/metrics`);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await response.text();

  const requests = (route: string, model: string, status: string) => sample(text, 'vertex_openai_proxy_requests_total', { route, model, status });
  t.equal(requests('/v1/chat/completions', 'google/gemini-3.5-flash', '200'), 2);
  t.equal(requests('/v1/chat/completions', 'google/gemini-3.1-pro-preview', '200'), 1, 'the stream');
  t.equal(requests('/v1/embeddings', 'other', '200'), 1, 'unlisted model names are "other"');
  t.equal(requests('/v1/chat/completions', 'other', '200'), 1);
  t.equal(requests('unmatched', 'none', '404'), 1, 'unrouted paths are "unmatched"');
  t.equal(requests('/v1/chat/completions', 'none', '403'), 1, 'refused requests are counted under their route');
  t.notMatch(text, 'attacker', 'no user input in labels');
  t.notMatch(text, 'secret-path', 'no raw paths in labels');

  t.equal(sample(text, 'vertex_openai_proxy_upstream_duration_seconds_count', { route: '/v1/chat/completions', model: 'google/gemini-3.5-flash' }), 2);
  t.equal(sample(text, 'vertex_openai_proxy_time_to_first_byte_seconds_count', { route: '/v1/chat/completions', model: 'google/gemini-3.1-pro-preview' }), 1);
  t.ok((sample(text, 'vertex_openai_proxy_upstream_duration_seconds_sum', { route: '/v1/chat/completions', model: 'google/gemini-3.5-flash' }) ?? 0) > 0);
  t.equal(sample(text, 'vertex_openai_proxy_upstream_duration_seconds_count', { route: 'unmatched', model: 'none' }), undefined, 'only forwarded requests are timed');

  t.equal(sample(text, 'vertex_openai_proxy_requests_in_flight'), 1, 'the scrape itself');
  t.equal(sample(text, 'vertex_openai_proxy_streams_in_flight'), 0);
  t.equal(sample(text, 'vertex_openai_proxy_token_refreshes_total'), 1, 'one token for all of it');
  t.equal(sample(text, 'vertex_openai_proxy_token_refresh_failures_total'), 0);
  const expiresIn = sample(text, 'vertex_openai_proxy_token_expires_in_seconds') ?? 0;
  t.ok(expiresIn > 3000 && expiresIn <= 3599, `expiry gauge read on scrape (${expiresIn})`);
  t.equal(sample(text, 'vertex_openai_proxy_failovers_total'), undefined, 'no failovers yet');
  t.notOk(h.metadata.issued.some((token) => text.includes(token)), 'no token in metrics');
  t.notMatch(text, /^process_/m, 'process metrics only in the daemon');
});

// A model from config/default-models.yaml, so it is its own label.
const LISTED_CHAT = { ...CHAT_BODY, model: 'google/gemini-3.5-flash' };

t.test('streams in flight, and a client that leaves mid-stream', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const gate = new Gate();
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[]}\n\n');
    await gate.opened;
    res.end('data: [DONE]\n\n');
  });
  const scrape = async () => (await fetch(`${h.url}/metrics`)).text();

  const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const stream = await client.chat.completions.create({ ...LISTED_CHAT, stream: true } as never);
  let during = await scrape();
  t.equal(sample(during, 'vertex_openai_proxy_streams_in_flight'), 1);
  t.equal(sample(during, 'vertex_openai_proxy_requests_in_flight'), 2, 'the stream and the scrape');
  gate.open();
  for await (const _event of stream as unknown as AsyncIterable<unknown>) {
    // drain
  }
  await waitFor(() => h.vertex.inFlight === 0, 'upstream to finish');

  // Now one whose client goes away after the first chunk.
  const gate2 = new Gate();
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[]}\n\n');
    await gate2.opened;
    res.end();
  });
  const req = httpRequest(`${h.url}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS });
  req.on('error', () => {});
  req.end(JSON.stringify({ ...LISTED_CHAT, stream: true }));
  const res = await new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
  await new Promise((resolve) => res.once('data', resolve));
  during = await scrape();
  t.equal(sample(during, 'vertex_openai_proxy_streams_in_flight'), 1);
  req.destroy();
  await waitFor(() => h.vertex.aborted === 1, 'the upstream stream to be aborted');
  gate2.open();
  // The proxy sees the close a moment later, on its own socket: poll, bounded.
  let after = '';
  await waitFor(async () => sample((after = await scrape()), 'vertex_openai_proxy_streams_in_flight') === 0, 'the stream gauge to come down');
  t.equal(sample(after, 'vertex_openai_proxy_streams_in_flight'), 0, 'gauges come back down after an abort');
  t.equal(sample(after, 'vertex_openai_proxy_requests_in_flight'), 1, 'only the scrape');
  t.equal(sample(after, 'vertex_openai_proxy_requests_total', { route: '/v1/chat/completions', model: 'google/gemini-3.5-flash', status: '200' }), 2, 'the aborted stream is counted too');
});

t.test('failovers are counted by configured location and reason', async (t) => {
  const dir = scratchDir('vop-metrics-');
  const configPath = join(dir, 'proxy.yaml');
  writeFileSync(configPath, 'models:\n  eu-gemini:\n    model: google/gemini-2.5-pro\n    location: [europe-west1, europe-west4]\n');
  const h = await startHarness(t, { env: { PROXY_CONFIG: configPath, PROXY_FAILOVER_MAX_WAIT_SECONDS: '0' } });
  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'));
  const answer = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_HEADERS, payload: { ...CHAT_BODY, model: 'eu-gemini' } });
  t.equal(answer.statusCode, 200);
  const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  t.equal(sample(text, 'vertex_openai_proxy_failovers_total', { from: 'europe-west1', to: 'europe-west4', reason: '429' }), 1);
  t.equal(sample(text, 'vertex_openai_proxy_requests_total', { route: '/v1/chat/completions', model: 'eu-gemini', status: '200' }), 1, 'configured names are labels');
});

t.test('who may read /metrics', async (t) => {
  const open = await startHarness(t);
  const rebound = await open.app.inject({ method: 'GET', url: '/metrics', headers: { host: 'attacker.example:8765' } });
  t.equal(rebound.statusCode, 403, 'a foreign Host without the key (DNS rebinding) may not read it');
  t.equal(rebound.json().error.code, 'host_not_allowed');
  const listed = await startHarness(t, { env: { PROXY_ALLOWED_HOSTS: '10.1.2.3' } });
  const podIp = await listed.app.inject({ method: 'GET', url: '/metrics', headers: { host: '10.1.2.3:8765' } });
  t.equal(podIp.statusCode, 200, 'a pod IP listed in PROXY_ALLOWED_HOSTS may be scraped');
  const page = await open.app.inject({ method: 'GET', url: '/metrics', headers: { host: '127.0.0.1:8765', origin: 'https://evil.example' } });
  t.equal(page.statusCode, 403, 'foreign web pages may not read it');
  t.equal(page.json().error.code, 'origin_not_allowed');

  const keyed = await startHarness(t, { env: { PROXY_API_KEY: 'scrape-key,other-key' } });
  const anonymous = await keyed.app.inject({ method: 'GET', url: '/metrics', headers: { host: '10.1.2.3:8765' } });
  t.equal(anonymous.statusCode, 403, 'a foreign Host without the key is refused');
  const local = await keyed.app.inject({ method: 'GET', url: '/metrics', headers: { host: '127.0.0.1:8765' } });
  t.equal(local.statusCode, 401, 'PROXY_API_KEY protects it on loopback too');
  t.equal(local.json().error.type, 'authentication_error');
  const scraper = await keyed.app.inject({ method: 'GET', url: '/metrics', headers: { host: '10.1.2.3:8765', authorization: 'Bearer other-key' } });
  t.equal(scraper.statusCode, 200);
  t.notMatch(scraper.body, 'other-key');
  t.notOk(keyed.logs.some((line) => line.includes('other-key')), 'keys are not logged');
  const probeLines = keyed.logs.filter((line) => line.includes('"route":"/metrics"'));
  t.ok(probeLines.every((line) => line.includes('"level":20')), 'scrapes log at debug, like probes');
});

t.test('model labels: configured names up to a cap, else "other"; no model is "none"', async (t) => {
  const names = Array.from({ length: MAX_MODEL_LABELS + 5 }, (_, i) => `model-${i}`);
  let ids: readonly string[] = names;
  const label = modelLabeler(() => ids);
  t.equal(label('model-0'), 'model-0');
  t.equal(label(`model-${MAX_MODEL_LABELS - 1}`), `model-${MAX_MODEL_LABELS - 1}`);
  t.equal(label(`model-${MAX_MODEL_LABELS}`), 'other', 'beyond the cap');
  t.equal(label('gpt-4o'), 'other');
  t.equal(label(undefined), 'none');
  t.equal(label(42), 'none');
  ids = ['gpt-4o'];
  t.equal(label('gpt-4o'), 'gpt-4o', 'follows a reloaded route table');
  t.equal(label('model-0'), 'other');
});
