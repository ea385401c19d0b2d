// --metadata-server: the GCE metadata paths Google SDKs read for credentials,
// served from the proxy's one token cache. The real google-auth-library
// (GCE_METADATA_HOST) and Python's google-auth (GCE_METADATA_HOST and
// GCE_METADATA_IP) get the very token the proxy sends upstream; every path
// answers as GCE does; the metadata server's own defences hold on each; and it
// is refused beyond loopback.

import t from 'tap';
import { GoogleAuth } from 'google-auth-library';
import { loadConfig } from '../src/config/load.ts';
import { CREDENTIAL_RETRY_AFTER_SECONDS } from '../src/credentials/errors.ts';
import { METADATA_PATHS } from '../src/metadata-server/routes.ts';
import { runCli } from './helpers/cli.ts';
import { startDaemonWithFakes } from './helpers/daemon.ts';
import { startHarness } from './helpers/harness.ts';
import { findPythonGoogleAuth, pythonDefaultCredentials } from './helpers/python-google-auth.ts';
import { fetchPost, post } from './helpers/requests.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

const FLAVOR = { 'metadata-flavor': 'Google', host: '127.0.0.1:8765' };
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const PRINCIPAL = 'proxy@fake-project.iam.gserviceaccount.com';
const PRINCIPAL_TOKEN = `/computeMetadata/v1/instance/service-accounts/${PRINCIPAL}/token`;
// Looked for now: the harnesses below swap this process's HOME and PATH.
const python = findPythonGoogleAuth();

t.test('google-auth-library with GCE_METADATA_HOST=<proxy> gets the proxy\'s own token', async (t) => {
  const daemon = await startDaemonWithFakes(t, { metadata: { email: 'shared@fake-project.iam.gserviceaccount.com' }, args: ['--metadata-server'] });
  const { metadata, vertex } = daemon;

  // The proxy uses its token upstream first.
  const chat = await fetchPost(daemon.url);
  t.equal(chat.status, 200);
  const proxyToken = vertex.last?.headers.authorization?.slice('Bearer '.length);

  // Another tool on this machine: plain ADC, nothing but GCE_METADATA_HOST pointing at the proxy.
  const empty = scratchDir('vop-sdk-');
  const saved = { ...process.env };
  t.teardown(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });
  for (const name of ['GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'METADATA_SERVER_DETECTION', 'GCE_METADATA_IP']) delete process.env[name];
  Object.assign(process.env, { HOME: empty, CLOUDSDK_CONFIG: empty, GCE_METADATA_HOST: `127.0.0.1:${daemon.port}` });

  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const client = await auth.getClient();
  t.equal(client.constructor.name, 'Compute', 'the library detected a metadata server at the proxy');
  const { token } = await client.getAccessToken();
  t.equal(token, proxyToken, 'the same token the proxy sends upstream');
  const lifetime = ((client.credentials.expiry_date ?? 0) - Date.now()) / 1000;
  t.ok(lifetime > 3000 && lifetime <= 3600, `expires_in comes from the cached token (${Math.round(lifetime)} s)`);
  t.equal(await auth.getProjectId(), 'fake-project');
  t.equal((await auth.getCredentials()).client_email, 'shared@fake-project.iam.gserviceaccount.com');
  t.equal(metadata.tokenFetches, 1, 'one token fetch for the proxy and the other tool together');
});

t.test('Python google-auth with GCE_METADATA_HOST and GCE_METADATA_IP=<proxy> gets the proxy\'s own token', { skip: typeof python === 'string' ? python : false }, async (t) => {
  if (typeof python === 'string') return;
  const daemon = await startDaemonWithFakes(t, { metadata: { email: 'shared@fake-project.iam.gserviceaccount.com' }, args: ['--metadata-server'] });
  const { metadata, vertex } = daemon;
  const chat = await fetchPost(daemon.url);
  t.equal(chat.status, 200);
  const proxyToken = vertex.last?.headers.authorization?.slice('Bearer '.length);

  // It pings the root, reads default/?recursive=true, then asks for the token under the email found there.
  const found = await pythonDefaultCredentials(python, `127.0.0.1:${daemon.port}`);
  t.equal(found.kind, 'google.auth.compute_engine.credentials.Credentials', 'detected a metadata server at the proxy');
  t.equal(found.token, proxyToken, 'the same token the proxy sends upstream');
  t.equal(found.project, 'fake-project');
  t.equal(found.email, 'shared@fake-project.iam.gserviceaccount.com');
  t.ok(found.lifetimeSeconds > 3000 && found.lifetimeSeconds <= 3600, `expires_in comes from the cached token (${Math.round(found.lifetimeSeconds)} s)`);
  t.equal(found.universe, 'googleapis.com');
  t.equal(metadata.tokenFetches, 1, 'one token fetch for the proxy and the Python tool together');
});

t.test('metadata paths: Metadata-Flavor both ways, no browsers, no relays, loopback Host only', async (t) => {
  const h = await startHarness(t, { env: { PROXY_METADATA_SERVER: 'true', PROXY_API_KEY: 'local-key' } });
  const get = (url: string, headers: Record<string, string>) => h.app.inject({ method: 'GET', url, headers });

  const token = await get(`${METADATA_PATHS.token}?scopes=https://www.googleapis.com/auth/cloud-platform`, FLAVOR);
  t.equal(token.statusCode, 200, 'no API key needed: SDKs cannot send one');
  t.equal(token.headers['metadata-flavor'], 'Google');
  const body = token.json() as { access_token: string; expires_in: number; token_type: string };
  t.equal(body.access_token, h.metadata.latestToken);
  t.equal(body.token_type, 'Bearer');
  t.ok(body.expires_in > 3000 && body.expires_in <= 3599);
  t.equal((await get(METADATA_PATHS.projectId, FLAVOR)).body, 'fake-project');
  const email = await get(METADATA_PATHS.email, FLAVOR);
  t.equal(email.body, PRINCIPAL, "the principal's email, as the credentials report it");

  const refusals: Array<[string, Record<string, string>, RegExp]> = [
    ['no Metadata-Flavor', { host: '127.0.0.1:8765' }, /Missing Metadata-Flavor:Google header/],
    ['wrong Metadata-Flavor', { ...FLAVOR, 'metadata-flavor': 'google' }, /Missing Metadata-Flavor/],
    ['a web page', { ...FLAVOR, origin: 'http://localhost:3000' }, /Origin/],
    ['a relay', { ...FLAVOR, 'x-forwarded-for': '203.0.113.7' }, /relayed through another proxy \(x-forwarded-for\)/],
    ['a relay (Forwarded)', { ...FLAVOR, forwarded: 'for=203.0.113.7' }, /\(forwarded\)/],
    ['a relay (Via)', { ...FLAVOR, via: '1.1 relay' }, /\(via\)/],
    ['a relay (X-Real-IP)', { ...FLAVOR, 'x-real-ip': '203.0.113.7' }, /\(x-real-ip\)/],
    ['DNS rebinding', { ...FLAVOR, host: 'attacker.example:8765' }, /not a loopback name/],
  ];
  const paths = [METADATA_PATHS.root, METADATA_PATHS.serviceAccounts, `${METADATA_PATHS.defaultAccount}?recursive=true`, METADATA_PATHS.token, PRINCIPAL_TOKEN, METADATA_PATHS.projectId];
  for (const path of paths) {
    for (const [what, headers, reason] of refusals) {
      const refused = await get(path, headers);
      t.equal(refused.statusCode, 403, `${path}: ${what}`);
      t.equal(refused.headers['metadata-flavor'], 'Google', `${path}: ${what}: flavor on the refusal too`);
      t.match(refused.body, reason);
      t.notMatch(refused.body, /ya29|fake-project/, `${path}: ${what}: nothing told`);
    }
  }
  t.equal(h.metadata.tokenFetches, 1);

  const proxied = await post(h);
  t.equal(proxied.statusCode, 401, 'the OpenAI routes still require PROXY_API_KEY');
});

t.test('what Python google-auth reads: the root, the account by either name, its token whatever the scopes', async (t) => {
  const h = await startHarness(t, { env: { PROXY_METADATA_SERVER: 'true' } });
  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: FLAVOR });

  const root = await get(METADATA_PATHS.root);
  t.equal(root.statusCode, 200, 'the ping of GCE_METADATA_IP: 200 ...');
  t.equal(root.headers['metadata-flavor'], 'Google', '... with the flavor header');
  t.equal(root.body, 'computeMetadata/\n');
  t.equal((await get(METADATA_PATHS.instance)).body, 'service-accounts/\n');
  t.equal((await get(METADATA_PATHS.serviceAccounts)).body, `default/\n${PRINCIPAL}/\n`, 'the account, as default and by its email');

  const info = { aliases: ['default'], email: PRINCIPAL, scopes: [CLOUD_PLATFORM] };
  for (const account of ['default', PRINCIPAL]) {
    const base = `/computeMetadata/v1/instance/service-accounts/${account}/`;
    const recursive = await get(`${base}?recursive=true`);
    t.equal(recursive.statusCode, 200, `${account}/?recursive=true`);
    t.match(recursive.headers['content-type'], /^application\/json/, 'JSON, which Python parses by content-type');
    t.same(recursive.json(), info);
    const listing = await get(base);
    t.equal(listing.body, 'aliases\nemail\nscopes\ntoken\n', `${account}/ lists what is served below it`);
    t.equal((await get(`${base}?recursive=true&recursive=true`)).body, 'aliases\nemail\nscopes\ntoken\n', 'a repeated recursive is not true (and no 500)');
    t.match(listing.headers['content-type'], /^application\/text/);
    t.equal((await get(`${base}email`)).body, PRINCIPAL);
    t.equal((await get(`${base}aliases`)).body, 'default\n');
    t.equal((await get(`${base}scopes`)).body, `${CLOUD_PLATFORM}\n`);
  }

  // The one cached token whatever `scopes` asks, as on Compute Engine: Python
  // sends its library's default scopes, or the ones its caller named.
  const asked = ['', `?scopes=${CLOUD_PLATFORM}`, '?scopes=https://www.googleapis.com/auth/devstorage.read_only,https://www.googleapis.com/auth/cloud-platform', '?scopes=https://www.googleapis.com/auth/drive'];
  for (const [i, query] of asked.entries()) {
    const token = await get(`${i % 2 === 0 ? METADATA_PATHS.token : PRINCIPAL_TOKEN}${query}`);
    t.equal(token.statusCode, 200, query || 'no scopes');
    t.equal((token.json() as { access_token: string }).access_token, h.metadata.latestToken, `${query || 'no scopes'}: the cached token`);
  }
  t.equal(h.metadata.tokenFetches, 1, 'one fetch for them all');

  // Other accounts are not ours: 404, as on GCE, and never a token.
  for (const path of ['other@fake-project.iam.gserviceaccount.com/token', 'other@fake-project.iam.gserviceaccount.com/?recursive=true', 'default@x/email']) {
    const refused = await get(`/computeMetadata/v1/instance/service-accounts/${path}`);
    t.equal(refused.statusCode, 404, path);
    t.notMatch(refused.body, /ya29/);
  }
  t.equal((await get(`${METADATA_PATHS.defaultAccount.slice(0, -1)}`)).statusCode, 404, 'default without its slash is not a path we serve');
});

t.test('credentials that report no email: the account calls itself default', async (t) => {
  const h = await startHarness(t, { env: { PROXY_METADATA_SERVER: 'true' }, metadata: { email: '' } });
  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: FLAVOR });
  t.same((await get(`${METADATA_PATHS.defaultAccount}?recursive=true`)).json(), { aliases: ['default'], email: 'default', scopes: [CLOUD_PLATFORM] }, 'so Python asks for default/token next');
  t.equal((await get(METADATA_PATHS.serviceAccounts)).body, 'default/\n');
  t.equal((await get(METADATA_PATHS.email)).statusCode, 404);
  t.equal((await get(METADATA_PATHS.token)).statusCode, 200);
});

t.test('no token or project to give: 503 in text, with when to ask again', async (t) => {
  const h = await startHarness(t, { env: { PROXY_METADATA_SERVER: 'true' }, metadata: { projectId: null } });
  h.metadata.failWith = 403;
  for (const url of [METADATA_PATHS.token, METADATA_PATHS.projectId]) {
    const res = await h.app.inject({ method: 'GET', url, headers: FLAVOR });
    t.equal(res.statusCode, 503, url);
    t.equal(res.headers['retry-after'], String(CREDENTIAL_RETRY_AFTER_SECONDS));
    t.match(res.headers['content-type'], /^text\/plain/);
  }
});

t.test('off by default; loopback only', async (t) => {
  const h = await startHarness(t);
  for (const path of [METADATA_PATHS.token, METADATA_PATHS.root, `${METADATA_PATHS.defaultAccount}?recursive=true`]) {
    t.equal((await h.app.inject({ method: 'GET', url: path, headers: FLAVOR })).statusCode, 404, `${path}: not served without the flag`);
  }
  t.equal(h.metadata.tokenFetches, 0);

  for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
    t.equal(loadConfig({ env: { HOST: host, PROXY_METADATA_SERVER: 'true' } }).metadataServer, true, host);
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'proxy.internal']) {
    t.throws(() => loadConfig({ env: { HOST: host, PROXY_METADATA_SERVER: '1' } }), { name: 'ConfigError', message: /needs HOST to be a loopback address/ }, host);
  }
  t.throws(() => loadConfig({ env: { PROXY_METADATA_SERVER: 'maybe' } }), { message: /Invalid PROXY_METADATA_SERVER/ });

  const refused = await runCli(['--metadata-server', '--host', '0.0.0.0'], {});
  t.equal(refused.code, 78, 'the daemon refuses to start');
  t.match(refused.stderr, /--metadata-server \(PROXY_METADATA_SERVER\) needs HOST to be a loopback address/);
});
