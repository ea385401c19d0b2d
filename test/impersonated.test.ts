// Credentials whose inner clients google-auth-library builds without our client
// options, so the proxy sets them itself: an impersonated service account
// (`gcloud auth application-default login --impersonate-service-account`; its
// source client) and workload identity federation (its STS exchange). IAM, the
// source's refresh and STS are all answered by the fake metadata server here.

import t, { type Test } from 'tap';
import { createAdcCredentials } from '../src/credentials/adc-credentials.ts';
import { FRESH_TOKEN_MS } from '../src/credentials/token-cache.ts';
import { startFakeMetadata, type FakeMetadata } from './helpers/fake-metadata.ts';
import { waitFor } from './helpers/wait.ts';

async function adcFile(t: Test, write: (metadata: FakeMetadata) => string) {
  const metadata = await startFakeMetadata();
  t.teardown(() => metadata.close());
  process.env.GOOGLE_APPLICATION_CREDENTIALS = write(metadata);
  t.teardown(() => {
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  });
  return metadata;
}

t.test('a token Google rejected is replaced by a new one, not the library’s cached copy', async (t) => {
  const metadata = await adcFile(t, (m) => m.writeImpersonatedFile());
  let skew = 0;
  const credentials = createAdcCredentials({ now: () => Date.now() + skew });
  t.teardown(() => credentials.close());
  const first = await credentials.getToken();
  t.ok(metadata.issued.includes(first.value), 'an IAM token from the fake');
  skew += FRESH_TOKEN_MS;
  t.equal(credentials.rejectToken(first), true, 'worth a replay');
  const second = await credentials.getToken();
  t.not(second.value, first.value, 'the replay carries a new token');
});

const hung = {
  "the impersonation's source refresh": (m: FakeMetadata) => m.writeImpersonatedFile(),
  'the STS exchange of workload identity federation': (m: FakeMetadata) => m.writeIdentityPoolFile(),
};

for (const [what, write] of Object.entries(hung)) t.test(`a hung request of ${what} is cut at the deadline`, async (t) => {
  const metadata = await adcFile(t, write);
  const credentials = createAdcCredentials({ fetchTimeoutMs: 300 });
  t.teardown(() => credentials.close());
  metadata.hangTokens = true;
  await t.rejects(credentials.getToken(), { statusCode: 503, code: 'token_unavailable' });
  await waitFor(() => metadata.hungClosed === 1, 'the hung request closed');
  t.equal(metadata.hungClosed, 1);
});
