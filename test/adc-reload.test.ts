// Credentials lifecycle with the real google-auth-library: the ADC file is
// replaced mid-run (as `gcloud auth application-default login` does) and the
// next token comes from the new file without a restart; a token source that
// answers invalid_grant or PERMISSION_DENIED makes /readyz 503 with the fix,
// logged once per change of state, not per request.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoogleAuth } from 'google-auth-library';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/load.ts';
import { createAdcCredentials } from '../src/credentials/adc-credentials.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { ProxyMetrics } from '../src/observability/metrics.ts';
import { createProxy } from '../src/server/create-proxy.ts';
import { sleep, startFakeVertex } from './helpers/fake-vertex.ts';
import { INVALID_GRANT, PERMISSION_DENIED, startFakeSts, type FakeSts } from './helpers/fake-sts.ts';
import { CHAT_BODY, JSON_HEADERS, LogCapture } from './helpers/harness.ts';
import { scratchDir } from './helpers/scratch-dir.ts';
import { waitFor } from './helpers/wait.ts';

const POLL_MS = 20;

interface Rig {
  readonly sts: FakeSts;
  readonly adcPath: string;
  readonly logs: string[];
  readonly metrics: ProxyMetrics;
  chat(): Promise<{ status: number; token: string | undefined; quotaProject: string | undefined; body: { error?: { code: string; message: string } } }>;
  readyz(): Promise<{ status: number; body: { status?: string; error?: { code: string; message: string } } }>;
  logged(message: string): number;
  metric(name: string): Promise<number>;
}

/**
 * The daemon's own credentials and app (createProxy), with ADC found where
 * gcloud puts it, or where GOOGLE_APPLICATION_CREDENTIALS says.
 */
async function startRig(t: Test, where: 'gcloud' | 'GOOGLE_APPLICATION_CREDENTIALS', initial: string, quotaProject?: string): Promise<Rig> {
  const sts = await startFakeSts();
  const vertex = await startFakeVertex({ isValidToken: (token) => sts.isValid(token) });
  const home = scratchDir('vop-adc-');
  const adcPath = where === 'gcloud' ? join(home, 'application_default_credentials.json') : join(home, 'service-account.json');
  sts.writeAdcFile(adcPath, { label: initial, quotaProject });

  // google-auth-library reads these itself; the proxy reads them through loadConfig.
  // With a project named, neither we nor the library look one up through the
  // external account (each lookup would cost a token exchange of its own).
  const env: Record<string, string> = { HOME: home, CLOUDSDK_CONFIG: home, METADATA_SERVER_DETECTION: 'none', GOOGLE_CLOUD_PROJECT: 'my-project' };
  if (where === 'GOOGLE_APPLICATION_CREDENTIALS') env.GOOGLE_APPLICATION_CREDENTIALS = adcPath;
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  delete process.env.GCE_METADATA_HOST;
  delete process.env.GOOGLE_CLOUD_PROJECT;
  Object.assign(process.env, env);

  const config = loadConfig({ env: { ...env, VERTEX_BASE_URL: vertex.baseUrl } });
  t.equal(config.adcFile?.path, adcPath, `config names the ADC file (${where})`);
  const capture = new LogCapture();
  const logger = createLogger('debug', capture);
  const { app, metrics } = await createProxy(config, { logger, adcPollIntervalMs: POLL_MS });
  t.teardown(async () => {
    await app.close();
    await vertex.close();
    await sts.close();
  });

  return {
    sts,
    adcPath,
    logs: capture.lines,
    metrics,
    async chat() {
      const before = vertex.requests.length;
      const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_HEADERS, payload: CHAT_BODY });
      const sent = vertex.requests.length > before ? vertex.last : undefined;
      const quotaProject = sent?.headers['x-goog-user-project'] as string | undefined;
      return { status: response.statusCode, token: sent?.headers.authorization?.slice('Bearer '.length), quotaProject, body: response.json() };
    },
    async readyz() {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      return { status: response.statusCode, body: response.json() };
    },
    logged(message) {
      return capture.lines.filter((line) => (JSON.parse(line) as { msg: string }).msg === message).length;
    },
    async metric(name) {
      const text = await metrics.registry.metrics();
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    },
  };
}

/**
 * The watcher's first look at the file comes a poll after it starts (later on a
 * busy machine), and a change before it is its starting point, not a change:
 * right after a start, rewrite the file until the change is seen.
 */
async function rewriteUntilSeen(write: (attempt: number) => void, seen: () => boolean, what: string): Promise<void> {
  let attempt = 0;
  let lastWrite = 0;
  await waitFor(() => {
    if (seen()) return true;
    if (Date.now() - lastWrite > 500) {
      write(attempt++);
      lastWrite = Date.now();
    }
    return false;
  }, what);
}

for (const where of ['gcloud', 'GOOGLE_APPLICATION_CREDENTIALS'] as const) {
  t.test(`a replaced ADC file (${where}) gives the next token, without a restart`, async (t) => {
    const rig = await startRig(t, where, 'first-login', 'quota-one');
    const first = await rig.chat();
    t.equal(first.status, 200);
    t.match(first.token, /^ya29\.sts-first-login-/);
    t.equal(first.quotaProject, 'quota-one', "the file's quota_project_id is sent");
    t.equal((await rig.chat()).token, first.token, 'cached while the file stays');

    rig.sts.writeAdcFile(rig.adcPath, { label: 'second-login', quotaProject: 'quota-two' });
    await waitFor(() => rig.logged('ADC file changed: the next token comes from it') === 1, 'the change to be noticed');

    const second = await rig.chat();
    t.equal(second.status, 200);
    t.match(second.token, /^ya29\.sts-second-login-/, 'the new file issued it');
    t.equal(second.quotaProject, 'quota-two', "and the new file's quota project came with it");
    t.same(rig.sts.exchanges, { 'first-login': 1, 'second-login': 1 }, 'one exchange per file');
    t.equal(await rig.metric('vertex_openai_proxy_credential_reloads_total'), 1);
    t.equal(await rig.metric('vertex_openai_proxy_token_refreshes_total'), 2);
    t.notOk(rig.logs.some((line) => rig.sts.issued.some((token) => line.includes(token))), 'tokens never logged');
  });
}

t.test('a truncated or deleted ADC file keeps the cached token; a whole file is taken once it is back', async (t) => {
  const rig = await startRig(t, 'gcloud', 'first-login');
  const first = await rig.chat();
  t.equal(first.status, 200);

  writeFileSync(rig.adcPath, '{"type": "external_acc');
  await sleep(POLL_MS * 4);
  const truncated = await rig.chat();
  t.equal(truncated.status, 200, 'served while the file is half-written');
  t.equal(truncated.token, first.token, 'with the token in hand');

  rmSync(rig.adcPath);
  await sleep(POLL_MS * 4);
  t.equal((await rig.chat()).token, first.token, 'and while the file is gone');
  t.equal(rig.logged('ADC file changed: the next token comes from it'), 0, 'no switch to an unreadable file');

  rig.sts.writeAdcFile(rig.adcPath, { label: 'second-login' });
  await waitFor(() => rig.logged('ADC file changed: the next token comes from it') === 1, 'the whole file to be taken');
  t.match((await rig.chat()).token, /^ya29\.sts-second-login-/, 'the new file issued the next token');
});

t.test('invalid_grant: /readyz 503 with the fix, logged once; a new login recovers', async (t) => {
  const rig = await startRig(t, 'gcloud', 'revoked');
  rig.sts.failWith = INVALID_GRANT;

  const ready = await rig.readyz();
  t.equal(ready.status, 503);
  t.equal(ready.body.error?.code, 'credentials_expired');
  t.match(ready.body.error?.message, /invalid_grant/);
  t.match(ready.body.error?.message, 'gcloud auth application-default login', 'names the command that fixes it');
  for (let i = 0; i < 4; i++) t.equal((await rig.readyz()).status, 503);
  for (let i = 0; i < 3; i++) {
    const chat = await rig.chat();
    t.equal(chat.status, 503);
    t.equal(chat.body.error?.code, 'credentials_expired');
  }
  t.equal(rig.logged('credentials failing'), 1, 'one line for the change of state, not one per request or probe');
  t.equal(rig.logged('request failed'), 0, 'no per-request error lines for it');
  const failing = rig.logs.find((line) => line.includes('credentials failing')) ?? '';
  t.match(failing, /"code":"credentials_expired"/);
  t.match(failing, /gcloud auth application-default login/);
  t.ok((await rig.metric('vertex_openai_proxy_token_refresh_failures_total')) >= 1, 'failures are counted');

  // The user logs in again: gcloud replaces the file.
  rig.sts.failWith = undefined;
  rig.sts.writeAdcFile(rig.adcPath, { label: 'fresh' });
  await waitFor(() => rig.logged('ADC file changed: the next token comes from it') === 1, 'the new login to be noticed');
  const recovered = await rig.readyz();
  t.equal(recovered.status, 200);
  t.equal(recovered.body.status, 'ready');
  t.match((await rig.chat()).token, /^ya29\.sts-fresh-/);
  t.equal(rig.logged('credentials recovered: tokens are being issued again'), 1);
  t.equal(rig.logged('credentials failing'), 1, 'still one');
});

t.test('permission denied on impersonation: /readyz 503 with the reason and the fix', async (t) => {
  const rig = await startRig(t, 'gcloud', 'placeholder');
  await rewriteUntilSeen(
    () => rig.sts.writeAdcFile(rig.adcPath, { label: 'impersonating', impersonate: 'runner@sts-project.iam.gserviceaccount.com' }),
    () => rig.logged('ADC file changed: the next token comes from it') === 1,
    'the file to be read',
  );
  rig.sts.impersonationFailure = PERMISSION_DENIED;

  const ready = await rig.readyz();
  t.equal(ready.status, 503);
  t.equal(ready.body.error?.code, 'credentials_permission_denied');
  t.match(ready.body.error?.message, /iam\.serviceAccounts\.getAccessToken/, 'the reason');
  t.match(ready.body.error?.message, 'roles/iam.serviceAccountTokenCreator', 'the fix');
  await rig.readyz();
  await rig.chat();
  t.equal(rig.logged('credentials failing'), 1);
});

t.test('a project lookup that began before the ADC file changed answers its caller but is not kept', async (t) => {
  const dir = scratchDir('vop-adc-race-');
  const file = join(dir, 'adc.json');
  writeFileSync(file, JSON.stringify({ type: 'authorized_user', account: 'first' }));
  const lookups: { auth: number; answer: (project: string) => void }[] = [];
  let made = 0;
  const createAuth = () => {
    const auth = ++made;
    return { getProjectId: () => new Promise<string>((answer) => lookups.push({ auth, answer })) } as unknown as GoogleAuth;
  };
  let reloads = 0;
  const credentials = createAdcCredentials({ file, pollIntervalMs: 20, createAuth, events: { onReload: () => reloads++ } });
  t.teardown(() => credentials.close());
  const before = credentials.projectId();
  await rewriteUntilSeen((attempt) => writeFileSync(file, JSON.stringify({ type: 'authorized_user', account: 'second' + ' '.repeat(attempt % 2) })), () => reloads === 1, 'the ADC file change to be seen');
  lookups[0]?.answer('old-project');
  t.equal(await before, 'old-project', 'the caller gets its answer');
  t.equal(credentials.projectNow(), undefined, 'but the new credentials do not inherit it');
  const after = credentials.projectId();
  await waitFor(() => lookups.length === 2, 'a lookup of the new credentials');
  t.equal(lookups[1]?.auth, 2);
  lookups[1]?.answer('new-project');
  t.equal(await after, 'new-project');
  t.equal(credentials.projectNow(), 'new-project');
});
