// Probes: /healthz answers while the process serves, credentials or not;
// /readyz answers 200 only when a token can be had now, and says why not
// otherwise. The daemon starts without credentials and heals when they appear.

import t, { type Test } from 'tap';
import { startHarness, type Harness } from './helpers/harness.ts';
import { fetchGet, fetchPost, type Answer } from './helpers/requests.ts';
import { waitFor } from './helpers/wait.ts';

const FIX_COMMAND = /gcloud auth application-default login/;

/** Checks the exact OpenAI error shape and returns its `error`. */
function openAIError(t: Test, answer: Answer, code: string): { message: string } {
  t.match(answer.headers.get('content-type'), /application\/json/);
  const body = JSON.parse(answer.text);
  t.same(Object.keys(body), ['error'], 'OpenAI-shaped');
  t.same(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  t.match(body.error, { code, type: 'api_error', param: null });
  return body.error;
}

/** Credentials are failing: requests and /readyz say why and how to fix it, /healthz is fine. */
async function expectCredentialsDown(t: Test, url: string, code: string): Promise<void> {
  const [request, ready, health] = await Promise.all([fetchPost(url), fetchGet(url, '/readyz'), fetchGet(url, '/healthz')]);
  t.equal(health.status, 200, '/healthz is 200 while credentials are missing');
  t.equal(request.status, 503, 'a request gets 503');
  t.match(openAIError(t, request, code).message, FIX_COMMAND, 'its message says how to fix it');
  t.match(openAIError(t, request, code).message, /GOOGLE_APPLICATION_CREDENTIALS/);
  t.equal(ready.status, 503, '/readyz is 503');
  t.match(openAIError(t, ready, code).message, FIX_COMMAND, '/readyz gives the reason');
  t.equal(ready.headers.get('retry-after'), '2', 'and when to ask again, as a request is told');
  t.equal(request.headers.get('retry-after'), '2');
}

/** Polls /readyz until it is 200 (bounded), as a kubelet would; returns that answer. */
async function waitUntilReady(url: string): Promise<Answer> {
  let ready = await fetchGet(url, '/readyz');
  await waitFor(async () => (ready = await fetchGet(url, '/readyz')).status === 200, '/readyz to answer 200', 20_000);
  return ready;
}

function assertNoTokens(t: Test, h: Harness, texts: readonly string[]): void {
  const everything = [...texts, ...h.logs].join('\n');
  t.ok(h.metadata.issued.length === 0 || h.metadata.issued.every((token) => !everything.includes(token)), 'no token in any answer or log line');
}

t.test('/readyz reports the project and the token time left, never the token', async (t) => {
  const h = await startHarness(t, { env: { PROXY_API_KEY: 'local-key' } });
  const url = await h.listen();

  const health = await fetchGet(url, '/healthz');
  t.equal(health.status, 200);
  t.same(JSON.parse(health.text), { status: 'ok' });

  // A cold probe may answer 503 "no token yet" while the first fetch runs: poll, as kubelets do.
  const ready = await waitUntilReady(url);
  t.equal(ready.status, 200, 'open without the local API key, like /healthz');
  const body = JSON.parse(ready.text);
  t.same(Object.keys(body).sort(), ['project', 'status', 'tokenExpiresInSeconds']);
  t.equal(body.status, 'ready');
  t.equal(body.project, 'fake-project', 'the project ADC reports');
  t.ok(body.tokenExpiresInSeconds > 3500 && body.tokenExpiresInSeconds <= 3599, `seconds left (${body.tokenExpiresInSeconds})`);
  t.equal(ready.headers.get('cache-control'), 'no-store');
  t.equal(h.metadata.tokenFetches, 1);
  assertNoTokens(t, h, [ready.text, health.text]);

  await fetchGet(url, '/readyz');
  t.equal(h.metadata.tokenFetches, 1, 'a warm probe fetches nothing');
});

t.test('/readyz names the configured project over the one ADC reports', async (t) => {
  const h = await startHarness(t, { env: { GOOGLE_CLOUD_PROJECT: 'configured-project' } });
  const url = await h.listen();
  const ready = await waitUntilReady(url);
  t.equal(ready.status, 200);
  t.equal(JSON.parse(ready.text).project, 'configured-project');
});

t.test('metadata answering 503 at start: 503s that say how to fix it, then recovery without a restart', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  h.metadata.failWith = 503;
  await expectCredentialsDown(t, url, 'token_unavailable');
  t.equal(h.vertex.requests.length, 0, 'nothing went upstream without a token');

  h.metadata.failWith = undefined;
  const ready = await waitUntilReady(url);
  t.equal(ready.status, 200, '/readyz recovers');
  t.equal(JSON.parse(ready.text).project, 'fake-project');
  const request = await fetchPost(url);
  t.equal(request.status, 200, 'requests recover');
  t.equal(h.vertex.last?.headers.authorization, `Bearer ${h.metadata.latestToken}`);
  assertNoTokens(t, h, [ready.text, request.text]);
});

t.test('metadata server not listening at start: recovery once it listens, project included', async (t) => {
  const h = await startHarness(t);
  // Its port is kept while it is down: freed, another test file's server could be given it.
  await h.metadata.suspend();
  const url = await h.listen();
  await expectCredentialsDown(t, url, 'token_unavailable');

  await h.metadata.resume();
  const ready = await waitUntilReady(url);
  t.equal(ready.status, 200, '/readyz recovers');
  t.equal(JSON.parse(ready.text).project, 'fake-project', 'the project ADC reports, though its first lookup failed');
  t.equal((await fetchPost(url)).status, 200, 'requests recover');
  t.equal(h.vertex.last?.url, '/v1/projects/fake-project/locations/global/endpoints/openapi/chat/completions');
});

t.test('no ADC at all: credentials_not_found with the help text; /healthz still 200', async (t) => {
  const h = await startHarness(t);
  // No key file, no gcloud login (empty HOME and CLOUDSDK_CONFIG), no metadata server.
  process.env.METADATA_SERVER_DETECTION = 'none';
  t.teardown(() => {
    process.env.METADATA_SERVER_DETECTION = 'assume-present';
  });
  const url = await h.listen();
  await expectCredentialsDown(t, url, 'credentials_not_found');
  t.equal(h.metadata.requests, 0, 'the metadata server was never asked');
  t.equal(h.vertex.requests.length, 0);
});
