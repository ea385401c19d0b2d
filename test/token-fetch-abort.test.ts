// A token request that hangs is cut at PROXY_TOKEN_TIMEOUT_SECONDS, not only
// abandoned: the GoogleAuth given up aborts its HTTP requests, so the token
// endpoint sees the connection closed then, not when undici's 300 s timeout fires.

import { createRequire } from 'node:module';
import t, { type Test } from 'tap';
import { createAdcCredentials } from '../src/credentials/adc-credentials.ts';
import { startFakeMetadata } from './helpers/fake-metadata.ts';
import { waitFor } from './helpers/wait.ts';

const DEADLINE_MS = 300;

t.test('a hung token request is aborted at the deadline: its connection is closed, and it is not retried', async (t) => {
  const metadata = await startFakeMetadata();
  t.teardown(() => metadata.close());
  // A credential whose token endpoint (the OAuth refresh) is on loopback; it goes through the client's transporter.
  const file = metadata.writeAuthorizedUserFile();
  process.env.GOOGLE_APPLICATION_CREDENTIALS = file;
  t.teardown(() => {
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  });
  const renewals: string[] = [];
  const credentials = createAdcCredentials({ fetchTimeoutMs: DEADLINE_MS, events: { onRenew: (reason) => renewals.push(reason) } });
  metadata.hangTokens = true;

  const started = performance.now();
  await t.rejects(credentials.getToken(), { statusCode: 503, code: 'token_unavailable', message: /did not answer within 0.3 s/ });
  await waitFor(() => metadata.hungClosed === 1, 'the hung token request\'s connection closed');
  const closedAfterMs = performance.now() - started;
  t.ok(closedAfterMs < DEADLINE_MS + 1_000, `closed at the deadline (${Math.round(closedAfterMs)} ms)`);
  t.equal(metadata.tokenRequests, 1, 'an abort is not retried');
  t.same(renewals, ['a call passed its deadline']);

  metadata.hangTokens = false;
  t.equal((await credentials.getToken()).value, metadata.latestToken, 'the renewed GoogleAuth gets a token');
});

/** gcp-metadata as google-auth-library loads it: it keeps whether it runs on Google Cloud, and whether a metadata server answered. */
const gcpMetadata = createRequire(createRequire(import.meta.url).resolve('google-auth-library'))('gcp-metadata') as {
  setGCPResidency(value: boolean | null): void;
  resetIsAvailableCache(): void;
};

/** The metadata server's credentials (no ADC file), as on Google Cloud: there gcp-metadata sets no timeout of its own (elsewhere 3 s). */
async function onGoogleCloud(t: Test) {
  const metadata = await startFakeMetadata();
  t.teardown(() => metadata.close());
  gcpMetadata.setGCPResidency(true);
  t.teardown(() => gcpMetadata.setGCPResidency(null));
  return { metadata, credentials: createAdcCredentials({ fetchTimeoutMs: DEADLINE_MS }) };
}

t.test("a hung metadata-server token request is aborted at the deadline too, though gcp-metadata takes no signal", async (t) => {
  const { metadata, credentials } = await onGoogleCloud(t);
  metadata.hangTokens = true;

  const started = performance.now();
  await t.rejects(credentials.getToken(), { statusCode: 503, code: 'token_unavailable' });
  await waitFor(() => metadata.hungClosed === 1, "the hung token request's connection closed", 5_000);
  const closedAfterMs = performance.now() - started;
  t.ok(closedAfterMs < DEADLINE_MS + 1_000, `closed at the deadline (${Math.round(closedAfterMs)} ms)`);
  t.equal(metadata.tokenRequests, 1, 'an abort is not retried');

  metadata.hangTokens = false;
  t.equal((await credentials.getToken()).value, metadata.latestToken, 'the renewed GoogleAuth gets a token');
});

t.test("a hung request for the account's email is cut at the deadline too", async (t) => {
  const { metadata, credentials } = await onGoogleCloud(t);
  metadata.hangEmail = true;

  t.equal(await credentials.principalEmail(), undefined, 'no email within the deadline');
  await waitFor(() => metadata.hungClosed === 1, "the hung request's connection closed", 5_000);
});

t.test("a metadata-server detection slower than the deadline is not cut: a later call still finds the server", async (t) => {
  // Off Google Cloud, gcp-metadata asks once per process whether a metadata
  // server is there and keeps the answer for good: a cut request would have meant "no" forever.
  const metadata = await startFakeMetadata();
  t.teardown(() => metadata.close());
  process.env.METADATA_SERVER_DETECTION = 'ping-only';
  gcpMetadata.setGCPResidency(false);
  gcpMetadata.resetIsAvailableCache();
  t.teardown(() => {
    process.env.METADATA_SERVER_DETECTION = 'assume-present';
    gcpMetadata.setGCPResidency(null);
    gcpMetadata.resetIsAvailableCache();
  });
  metadata.detectionDelayMs = 3 * DEADLINE_MS;
  const credentials = createAdcCredentials({ fetchTimeoutMs: DEADLINE_MS });

  await t.rejects(credentials.getToken(), { statusCode: 503, code: 'token_unavailable' }, 'the first call passes its deadline while detection runs');
  await new Promise((resolve) => setTimeout(resolve, 3 * DEADLINE_MS));
  t.equal((await credentials.getToken()).value, metadata.latestToken, 'detection finished, and the server was found');
});
