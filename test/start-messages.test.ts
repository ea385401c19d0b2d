// What a newcomer reads when something is off, from the real CLI in child
// processes: an unknown flag, a taken port, no credentials, no project, a
// failing metadata server, and a config file full of typos — each one line (or
// one message) in our words, with its exit code, and no stack trace.

import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../src/config/load.ts';
import { EXIT_BAD_LISTEN_SETTING, EXIT_PORT_IN_USE, listenFailure } from '../src/server/listen-errors.ts';
import { anyHostWarning, exposureWarning } from '../src/server/startup-warnings.ts';
import { isolatedHome, runCli } from './helpers/cli.ts';
import { startDaemon } from './helpers/daemon.ts';
import { FakeMetadata } from './helpers/fake-metadata.ts';

const NO_STACK = /\n\s+at /;

t.test('an unknown or malformed flag: our one line listing the valid flags, exit 64', async (t) => {
  const [unknown, short, missing, valued, forgotten] = await Promise.all([
    runCli(['--prot', '9000'], {}),
    runCli(['check', '-x'], {}),
    runCli(['--port'], {}),
    runCli(['--help=yes'], {}),
    runCli(['--config', '--port', '1'], {}),
  ]);
  t.equal(unknown.code, 64);
  t.equal(
    unknown.stderr,
    'vertex-openai-proxy: unknown option --prot; valid options: --config, --host, --port, -h/--help, -v/--version, ' +
      '--metadata-server, --shell, --request, --model (see --help)\n',
  );
  t.equal(short.code, 64);
  t.match(short.stderr, /^vertex-openai-proxy: unknown option -x; valid options: /);
  t.equal(missing.code, 64);
  t.equal(missing.stderr, 'vertex-openai-proxy: --port needs a value, as in --port VALUE\n');
  t.equal(valued.code, 64);
  t.equal(valued.stderr, 'vertex-openai-proxy: --help takes no value\n');
  t.equal(forgotten.code, 64);
  t.equal(forgotten.stderr, 'vertex-openai-proxy: --config needs a value, as in --config VALUE (one that starts with "-" as --config=VALUE)\n');
  for (const result of [unknown, short, missing, valued, forgotten]) t.notMatch(result.stderr, /positional|ERR_PARSE_ARGS/, "not Node's parser text");
});

t.test('a taken port: one line naming port, host and the settings, a documented exit code', async (t) => {
  const taken = createNetServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const result = await runCli(['--port', String(port)], { ...isolatedHome(), METADATA_SERVER_DETECTION: 'none' });
  t.equal(result.code, EXIT_PORT_IN_USE);
  t.equal(EXIT_PORT_IN_USE, 75, 'EX_TEMPFAIL, as the README says');
  t.equal(result.stderr, `vertex-openai-proxy: port ${port} on 127.0.0.1 is in use; set PORT or --port\n`);
  t.notMatch(result.stderr, NO_STACK);
});

t.test('a HOST that does not resolve: one line naming it and the setting, exit 78 (75 when the resolver did not answer)', async (t) => {
  // The mapping only: tests reach no resolver.
  t.same(listenFailure({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'locahost' }), {
    message: 'the host name locahost does not resolve on this machine; set HOST or --host (default 127.0.0.1)',
    exitCode: EXIT_BAD_LISTEN_SETTING,
  });
  t.equal(listenFailure({ code: 'EAI_AGAIN', syscall: 'getaddrinfo', hostname: 'proxy.internal' })?.exitCode, EXIT_PORT_IN_USE, 'EX_TEMPFAIL');
  t.equal(listenFailure(new Error('other')), undefined);
});

t.test('HOST in brackets is listened on bare, as listen takes it', async (t) => {
  for (const [host, listened] of [['[::1]', '::1'], ['[::]', '::'], ['::1', '::1'], ['127.0.0.1', '127.0.0.1']] as const) {
    t.equal(loadConfig({ env: { HOST: host } }).host, listened, host);
  }
});

t.test('listening beyond loopback without PROXY_API_KEY: a warning naming the risk and the setting', async (t) => {
  // The rule only: tests listen on loopback, never on every interface.
  const warning = exposureWarning({ host: '0.0.0.0', port: 8765, apiKeys: [] });
  t.match(warning, /listening on 0\.0\.0\.0, beyond this machine, without PROXY_API_KEY/);
  t.match(warning, /anyone who can reach port 8765 can spend your Google credentials/);
  t.match(warning, /Set PROXY_API_KEY/);
  t.ok(exposureWarning({ host: '::', port: 1, apiKeys: [] }), '::');
  t.ok(exposureWarning({ host: '192.168.1.20', port: 1, apiKeys: [] }), 'a LAN address');
  t.equal(exposureWarning({ host: '0.0.0.0', port: 1, apiKeys: ['k'] }), undefined, 'with a key');
  for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) t.equal(exposureWarning({ host, port: 1, apiKeys: [] }), undefined, host);

  const daemon = await startDaemon(t, { env: { ...isolatedHome(), METADATA_SERVER_DETECTION: 'none' } });
  t.notOk(
    daemon.logs.some((line) => /PROXY_API_KEY/.test(line.msg)),
    'no such warning on loopback',
  );
});

t.test('the Host check turned off (PROXY_ALLOWED_HOSTS=*) without PROXY_API_KEY: a warning at start', async (t) => {
  t.match(anyHostWarning({ allowedHosts: ['*'], apiKeys: [] }), /PROXY_ALLOWED_HOSTS=\* without PROXY_API_KEY: the Host check that stops DNS rebinding is off/);
  t.equal(anyHostWarning({ allowedHosts: ['*'], apiKeys: ['k'] }), undefined, 'with a key');
  t.equal(anyHostWarning({ allowedHosts: ['proxy.internal'], apiKeys: [] }), undefined, 'named hosts');

  const daemon = await startDaemon(t, { env: { ...isolatedHome(), METADATA_SERVER_DETECTION: 'none', PROXY_ALLOWED_HOSTS: '*' } });
  // Written before the "listening" line the daemon helper waits for.
  const line = daemon.logs.find((logged) => /^PROXY_ALLOWED_HOSTS=\* without PROXY_API_KEY/.test(logged.msg));
  t.equal(line?.level, 40, 'logged as a warning');
});

t.test('no credentials: the start-up line is a warning with the fix', async (t) => {
  const daemon = await startDaemon(t, { env: { ...isolatedHome(), METADATA_SERVER_DETECTION: 'none' } });
  const line = await daemon.waitForLog('vertex-openai-proxy listening');
  t.equal(line.level, 40, 'warn');
  t.equal(line.credentialType, 'none');
  t.match(line.credentialError, /No Google credentials found\. Run `gcloud auth application-default login`/);
});

t.test('no project: the start-up line is a warning that says where to set it', async (t) => {
  const metadata = await new FakeMetadata({ projectId: '' }).listen();
  t.teardown(() => metadata.close());
  const env = { ...isolatedHome(), GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present' };
  // Two processes, side by side: the daemon and `check`.
  const checked = runCli(['check'], env);
  const daemon = await startDaemon(t, { env });
  const line = await daemon.waitForLog('vertex-openai-proxy listening');
  t.equal(line.level, 40, 'warn');
  t.equal(line.credentialType, 'metadata_server');
  t.match(line.projectError, /set GOOGLE_CLOUD_PROJECT where the daemon starts/);

  const check = await checked;
  t.equal(check.code, 1);
  t.match(check.stdout, /project: +NOT FOUND: set GOOGLE_CLOUD_PROJECT/);
  t.match(check.stdout, /upstream: +unknown until a project is set/);
  t.notMatch(check.stdout, /%7B|\{project\}/, 'no placeholder in a URL');
});

t.test("google-auth-library's MetadataLookupWarning stays out of stderr", async (t) => {
  // A metadata server that answers 500: the library's "unexpected error" case.
  const broken = createHttpServer((_req, res) => res.writeHead(500).end('boom')).listen(0, '127.0.0.1');
  await once(broken, 'listening');
  t.teardown(() => broken.close());
  const env = { ...isolatedHome(), GCE_METADATA_HOST: `127.0.0.1:${(broken.address() as AddressInfo).port}`, LOG_LEVEL: 'debug' };

  // Two processes, side by side (each waits out the library's retries): the daemon and `check`.
  const checked = runCli(['check'], env);
  const daemon = await startDaemon(t, { env });
  const listening = await daemon.waitForLog('vertex-openai-proxy listening');
  t.equal(listening.level, 40, 'no credentials: warn');
  const lookup = await daemon.waitForLog('metadata server lookup failed');
  t.equal(lookup.level, 20, 'in the JSON log, at debug');
  t.equal(lookup.warning, 'MetadataLookupWarning');
  await daemon.stop();
  t.equal(daemon.stderr(), '', 'nothing on stderr');

  const check = await checked;
  t.equal(check.code, 1);
  t.match(check.stdout, /credentials: +NOT FOUND/);
  t.equal(check.stderr, '', 'check: nothing on stderr either');
});

t.test('a config file: every unknown key in one message, with near misses named', async (t) => {
  const home = isolatedHome();
  const file = join(home.HOME, 'proxy.yaml');
  writeFileSync(file, 'prot: 9000\nlogLevel: debug\nmodles: {}\nmodels:\n  fast:\n    locaton: europe-west4\n    modle: google/gemini-2.5-flash\n');
  const result = await runCli(['env', '--config', file], home);
  t.equal(result.code, 78);
  const lines = result.stderr.trimEnd().split('\n');
  t.equal(lines.length, 2, 'one line per object with unknown keys');
  t.match(lines[0], `vertex-openai-proxy: ${file}: unknown keys "prot" (did you mean "port"?), "modles" (did you mean "models"?). Allowed keys: host, port,`);
  t.match(lines[1], `${file}: models.fast: unknown keys "locaton" (did you mean "location"?), "modle" (did you mean "model"?). Allowed keys: model, project,`);
});
