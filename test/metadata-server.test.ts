// --metadata-server: the GCE metadata token paths served from the proxy's one
// token cache. The real google-auth-library, pointed at the proxy with
// GCE_METADATA_HOST, gets the very token the proxy sends upstream; the
// metadata server's own defences hold; and it is refused beyond loopback.

import t from 'tap';
import { GoogleAuth } from 'google-auth-library';
import { loadConfig } from '../src/config/load.ts';
import { METADATA_PATHS } from '../src/metadata-server/routes.ts';
import { runCli } from './helpers/cli.ts';
import { startDaemonWithFakes } from './helpers/daemon.ts';
import { CHAT_BODY, JSON_HEADERS, startHarness } from './helpers/harness.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

const FLAVOR = { 'metadata-flavor': 'Google', host: '127.0.0.1:8765' };

t.test('google-auth-library with GCE_METADATA_HOST=<proxy> gets the proxy\'s own token', async (t) => {
  const daemon = await startDaemonWithFakes(t, { metadata: { email: 'shared@fake-project.iam.gserviceaccount.com' }, args: ['--metadata-server'] });
  const { metadata, vertex } = daemon;

  // The proxy uses its token upstream first.
  const chat = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(CHAT_BODY) });
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
  t.equal(email.body, 'proxy@fake-project.iam.gserviceaccount.com', "the principal's email, as the credentials report it");

  const refusals: Array<[string, Record<string, string>, RegExp]> = [
    ['no Metadata-Flavor', { host: '127.0.0.1:8765' }, /Missing Metadata-Flavor:Google header/],
    ['wrong Metadata-Flavor', { ...FLAVOR, 'metadata-flavor': 'google' }, /Missing Metadata-Flavor/],
    ['a web page', { ...FLAVOR, origin: 'http://localhost:3000' }, /Origin/],
    ['a relay', { ...FLAVOR, 'x-forwarded-for': '203.0.113.7' }, /X-Forwarded-For/],
    ['DNS rebinding', { ...FLAVOR, host: 'attacker.example:8765' }, /not a loopback name/],
  ];
  for (const [what, headers, reason] of refusals) {
    const refused = await get(METADATA_PATHS.token, headers);
    t.equal(refused.statusCode, 403, what);
    t.equal(refused.headers['metadata-flavor'], 'Google', `${what}: flavor on the refusal too`);
    t.match(refused.body, reason);
    t.notMatch(refused.body, 'ya29', `${what}: no token`);
  }
  t.equal(h.metadata.tokenFetches, 1);

  const proxied = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_HEADERS, payload: CHAT_BODY });
  t.equal(proxied.statusCode, 401, 'the OpenAI routes still require PROXY_API_KEY');
});

t.test('off by default; loopback only', async (t) => {
  const h = await startHarness(t);
  t.equal((await h.app.inject({ method: 'GET', url: METADATA_PATHS.token, headers: FLAVOR })).statusCode, 404, 'not served without the flag');
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
