// The shared token with the real google-auth-library reading the fake metadata
// server: single-flight, no I/O while warm, background refresh, short-lived
// tokens under load, and credential failures that explain themselves, never
// quote a secret, and heal without a restart.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAdcCredentials, type AdcOptions, type Credentials } from '../src/credentials/adc-credentials.ts';
import { credentialError, redactSecrets } from '../src/credentials/errors.ts';
import { FRESH_TOKEN_MS } from '../src/credentials/token-cache.ts';
import { ProxyError } from '../src/errors/proxy-error.ts';
import { startFakeMetadata } from './helpers/fake-metadata.ts';
import { sleep } from './helpers/fake-vertex.ts';
import { startHarness, type Harness } from './helpers/harness.ts';
import { fetchPost } from './helpers/requests.ts';
import { waitFor } from './helpers/wait.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

const FIX_COMMAND = /gcloud auth application-default login/;

function bearerOf(h: Harness, index = -1): string | undefined {
  return h.vertex.requests.at(index)?.headers.authorization?.replace(/^Bearer /, '');
}

async function metadataCredentials(t: Test, options: AdcOptions = {}) {
  const metadata = await startFakeMetadata();
  t.teardown(() => metadata.close());
  return { metadata, credentials: createAdcCredentials(options) };
}

function assertNoSecrets(t: Test, text: string, secrets: readonly string[]): void {
  for (const secret of secrets) t.notOk(text.includes(secret), `does not contain ${secret.slice(0, 12)}…`);
}

t.test('50 concurrent first requests through the proxy cause one token fetch; warm requests cause no I/O', async (t) => {
  const h = await startHarness(t, { metadata: { tokenDelayMs: 300 } });
  const url = await h.listen();

  const first = await Promise.all(Array.from({ length: 50 }, () => fetchPost(url)));
  t.ok(first.every((r) => r.status === 200), 'all 50 succeed');
  t.equal(h.metadata.tokenRequests, 1, 'one token request reached the metadata server');
  t.equal(h.metadata.tokenFetches, 1);
  t.equal(new Set(h.vertex.requests.map((r) => r.headers.authorization)).size, 1, 'all carried the same token');

  const metadataRequests = h.metadata.requests;
  for (let batch = 0; batch < 10; batch++) {
    const results = await Promise.all(Array.from({ length: 20 }, () => fetchPost(url)));
    t.ok(results.every((r) => r.status === 200));
  }
  t.equal(h.metadata.tokenFetches, 1, 'still one token after 200 more requests');
  t.equal(h.metadata.requests, metadataRequests, 'a warm cache sends nothing to the metadata server');
});

t.test('past the refresh point a request gets the current token at once while a new one is fetched', async (t) => {
  let skewMs = 0;
  const h = await startHarness(t, { now: () => Date.now() + skewMs });
  const url = await h.listen();
  t.equal((await fetchPost(url)).status, 200);
  const first = h.credentials.peek();
  if (!first) throw new Error('no cached token');
  t.equal(bearerOf(h), first.value);

  // 250 s before expiry: after the refresh point (5 min), before the margin (60 s).
  skewMs = first.expiresAt - 250_000 - Date.now();
  // Held long enough to prove the request did not wait, short of the library's 3 s metadata timeout.
  h.metadata.tokenDelayMs = 1_000;
  const during = await fetchPost(url);
  t.equal(during.status, 200);
  t.equal(bearerOf(h), first.value, 'served with the still-valid current token');
  t.equal(h.metadata.tokenFetches, 1, 'answered before the new token was even issued');
  await t.resolves(waitFor(() => h.metadata.tokenRequests === 2, 'a background refresh was requested', 20_000), 'a background refresh was requested');
  await t.resolves(waitFor(() => h.metadata.tokenFetches === 2, 'and completed', 20_000), 'and completed');
  await t.resolves(waitFor(() => h.credentials.peek()?.value === h.metadata.latestToken, 'and replaced the cached token', 20_000), 'and replaced the cached token');

  t.equal((await fetchPost(url)).status, 200);
  const second = h.metadata.latestToken;
  t.equal(bearerOf(h), second, 'the next request uses the refreshed token');
  t.not(second, first.value);

  // Inside the safety margin (10 s left; this token's margin is 25 s, as it was
  // received with 250 s left on the skewed clock): the request must wait for a new token.
  const current = h.credentials.peek();
  if (!current) throw new Error('no cached token');
  skewMs = current.expiresAt - 10_000 - Date.now();
  h.metadata.tokenDelayMs = 200;
  t.equal((await fetchPost(url)).status, 200);
  t.equal(h.metadata.tokenFetches, 3, 'a new token was fetched first');
  t.equal(bearerOf(h), h.metadata.latestToken, 'and sent instead of the one inside its margin');
  t.equal(h.vertex.unauthorized, 0);
});

t.test('short-lived tokens under steady load: about one fetch per lifetime, none expired upstream', async (t) => {
  const lifetimeSeconds = 3;
  const h = await startHarness(t, { metadata: { lifetimeSeconds } });
  const url = await h.listen();
  // Warm up first: discovery on the first request can take seconds on a busy machine.
  t.equal((await fetchPost(url)).status, 200);
  const started = Date.now();
  const deadline = started + 8_000;
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < deadline) {
        statuses.push((await fetchPost(url)).status);
        await sleep(5);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const fetches = h.metadata.tokenFetches;
  t.comment(`${statuses.length} requests in ${seconds.toFixed(1)} s, ${fetches} token fetches`);

  t.ok(statuses.length > 0 && statuses.every((s) => s === 200), 'every request succeeded');
  t.equal(h.vertex.unauthorized, 0, 'the fake Vertex never saw an expired token');
  t.ok(fetches >= 3, 'tokens were renewed during the run');
  t.ok(fetches <= (seconds / lifetimeSeconds) * 2 + 2, `about one fetch per lifetime (${fetches})`);
  t.ok(fetches * 10 < statuses.length, 'far fewer fetches than requests');
});

t.test('metadata server answering 503: a 503 error that says how to fix it, then recovery', async (t) => {
  const { metadata, credentials } = await metadataCredentials(t);
  metadata.failWith = 503;
  const error = await credentials.getToken().then(
    () => undefined,
    (err: unknown) => err,
  );
  t.ok(error instanceof ProxyError, 'a ProxyError');
  const proxyError = error as ProxyError;
  t.equal(proxyError.statusCode, 503);
  t.equal(proxyError.code, 'token_unavailable');
  t.match(proxyError.message, FIX_COMMAND);
  t.match(proxyError.message, /GOOGLE_APPLICATION_CREDENTIALS/);
  t.match(proxyError.message, /metadata token unavailable/, 'keeps the reason');
  t.equal(proxyError.cause, undefined, 'the library error (request config and all) is not kept');

  metadata.failWith = undefined;
  const token = await credentials.getToken();
  t.equal(token.value, metadata.latestToken, 'recovers on the next call');
  t.equal(await credentials.projectId(), 'fake-project');
});

t.test('no ADC anywhere: credentials_not_found with the help text, until a metadata server appears', async (t) => {
  // Rediscovery after a failure is the point here, not its production delay (REDISCOVER_AFTER_MS).
  const { credentials } = await metadataCredentials(t, { rediscoverAfterMs: 100 });
  process.env.METADATA_SERVER_DETECTION = 'none';
  t.teardown(() => {
    process.env.METADATA_SERVER_DETECTION = 'assume-present';
  });

  await t.rejects(credentials.getToken(), { statusCode: 503, code: 'credentials_not_found' });
  const error = credentialError(await credentials.getToken().catch((err: unknown) => err));
  t.match(error.message, FIX_COMMAND);
  t.match(error.message, /GOOGLE_APPLICATION_CREDENTIALS/);
  await t.rejects(credentials.describe(), { code: 'credentials_not_found' });

  // The library remembers "not on GCE" for the life of its GoogleAuth; we rediscover.
  process.env.METADATA_SERVER_DETECTION = 'assume-present';
  await t.resolves(waitFor(async () => (await tokenOrUndefined(credentials)) !== undefined, 'recovers without a restart', 20_000), 'recovers without a restart');
  t.equal((await credentials.describe()).type, 'metadata_server');
});

t.test('a broken key file: the error names the problem and quotes no key material', async (t) => {
  const { credentials } = await metadataCredentials(t);
  const dir = scratchDir('vop-key-');
  const keyFile = join(dir, 'key.json');
  const secret = 'MIIEvQIBADANSECRETKEYMATERIAL';
  writeFileSync(keyFile, `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\n${secret}\\n-----END PRIVATE KEY-----\\n","client_email":"x@y.iam.gserviceaccount.com", oops`);
  process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
  t.teardown(() => {
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  });
  const error = credentialError(await credentials.getToken().catch((err: unknown) => err));
  t.equal(error.statusCode, 503);
  t.match(error.message, /GOOGLE_APPLICATION_CREDENTIALS/);
  assertNoSecrets(t, error.message, [secret, 'BEGIN PRIVATE KEY']);
});

t.test('a key file that is not JSON: V8 quotes the text around the bad character, none of which reaches the error', async (t) => {
  const { credentials } = await metadataCredentials(t);
  const dir = scratchDir('vop-key-');
  const keyFile = join(dir, 'adc.json');
  // The opening quote of the secret is missing: the parser stops inside it.
  writeFileSync(keyFile, '{"type":"authorized_user","client_id":"x.apps.googleusercontent.com","client_secret": GOCSPX-SuperSecretValue99","refresh_token":"1//0gRefresh"}');
  process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
  t.teardown(() => {
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  });
  const error = credentialError(await credentials.getToken().catch((err: unknown) => err));
  t.equal(error.statusCode, 503);
  t.match(error.message, /not shown/);
  assertNoSecrets(t, error.message, ['GOCSPX', 'SuperSecret', '_secret']);
  // A short file is quoted whole.
  t.equal(redactSecrets(`Unexpected token 's', "sk-secret" is not valid JSON`), `Unexpected token 's' in the JSON text (not shown)`);
});

t.test('credential errors never carry tokens, keys or secrets', async (t) => {
  const token = 'ya29.a0AfH6SMBx-secret-access-token';
  const refresh = '1//0gSecretRefreshToken-abc';
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl';
  const secrets = [token, refresh, jwt, 'SECRETPEM', 'client-secret-value', 'SECRETQUERY'];
  const messages = [
    `Request failed: {"access_token":"${token}","expires_in":3599}`,
    `invalid_grant for refresh_token=${refresh}&client_secret=client-secret-value`,
    `Authorization: Bearer ${token} rejected`,
    `assertion ${jwt} rejected`,
    `Unexpected token in JSON: {"private_key":"-----BEGIN PRIVATE KEY-----\nSECRETPEM\n-----END PRIVATE KEY-----\n"`,
    `{"private_key": "-----BEGIN PRIVATE KEY-----\\nSECRETPEM`,
    `request to https://sts.googleapis.com/v1/token?subject_token=SECRETQUERY failed`,
    `{"refresh_token":"${refresh}","client_secret":"client-secret-value"}`,
  ];
  for (const message of messages) {
    const redacted = redactSecrets(message);
    assertNoSecrets(t, redacted, secrets);
    const error = credentialError(new Error(message));
    t.equal(error.statusCode, 503);
    assertNoSecrets(t, error.message, secrets);
  }
  t.equal(credentialError(new Error(`invalid_grant: Token has been expired or revoked (${refresh})`)).code, 'credentials_expired');
  t.equal(credentialError(new Error('Could not load the default credentials. Browse to …')).code, 'credentials_not_found');
  t.equal(redactSecrets('connect ECONNREFUSED 127.0.0.1:8080'), 'connect ECONNREFUSED 127.0.0.1:8080', 'plain text is kept');
});

t.test('a project once known is not asked again: a lookup failing later (offline, a renewed GoogleAuth) cannot turn requests into project_unknown', async (t) => {
  let skewMs = 0;
  const { metadata, credentials } = await metadataCredentials(t, { rediscoverAfterMs: 0, now: () => Date.now() + skewMs });
  t.equal(await credentials.projectId(), 'fake-project');
  const token = await credentials.getToken();
  skewMs = FRESH_TOKEN_MS;
  // Offline: a token fetch fails, so the next call renews the GoogleAuth, whose own lookup would fail.
  metadata.projectId = null;
  metadata.failWith = 503;
  credentials.rejectToken(token);
  await t.rejects(credentials.getToken(), { statusCode: 503, code: 'token_unavailable' });
  t.equal(await credentials.projectId(), 'fake-project', 'from memory, not from the renewed GoogleAuth');
  t.equal(credentials.projectNow(), 'fake-project');
});

async function tokenOrUndefined(credentials: Credentials): Promise<string | undefined> {
  return credentials.getToken().then(
    (token) => token.value,
    () => undefined,
  );
}
