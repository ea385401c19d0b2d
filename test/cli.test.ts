// The real CLI in child processes: --help/--version, `env` in each shell's
// syntax (and evaluated by a real sh), `healthcheck` against a live daemon and
// against dead, failing and silent ones, and `check` against fake credentials
// of several kinds, with and without --request.

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CLI, fakeMetadataEnv, isolatedHome, runCli } from './helpers/cli.ts';
import { HEALTHCHECK_TIMEOUT_MS, healthcheck } from '../src/cli/healthcheck.ts';
import { startInProcess } from './helpers/in-process.ts';
import { FakeMetadata } from './helpers/fake-metadata.ts';
import { holdPort } from './helpers/loopback.ts';
import { googleError, startFakeVertex } from './helpers/fake-vertex.ts';
import { INVALID_GRANT, startFakeSts } from './helpers/fake-sts.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

async function fakeMetadata(t: Test): Promise<FakeMetadata> {
  // Not startFakeMetadata(): that rewrites this process's env; children get theirs explicitly.
  const metadata = await new FakeMetadata().listen();
  t.teardown(() => metadata.close());
  return metadata;
}

t.test('--help and --version', async (t) => {
  const [help, version, unknown, misplaced] = await Promise.all([
    runCli(['--help'], {}),
    runCli(['--version'], {}),
    runCli(['frobnicate'], {}),
    runCli(['env', '--request'], {}),
  ]);
  t.equal(help.code, 0);
  for (const word of ['env', 'check', 'healthcheck', '--metadata-server', '--shell', '--request', '--model']) t.match(help.stdout, word);
  t.equal(version.code, 0);
  t.equal(version.stdout, `${pkg.version}\n`);
  t.equal(unknown.code, 64);
  t.match(unknown.stderr, /unknown command "frobnicate"/);
  t.equal(misplaced.code, 64);
  t.match(misplaced.stderr, /--request belongs to the check command/);
});

t.test('env prints sh, fish and PowerShell forms for the running settings', async (t) => {
  const [sh, fish, pwsh, bad] = await Promise.all([
    runCli(['env'], { SHELL: '/bin/bash', PORT: '9123' }),
    runCli(['env'], { SHELL: '/usr/bin/fish', HOST: '0.0.0.0' }),
    runCli(['env', '--shell', 'powershell', '--port', '9000'], { PROXY_API_KEY: 'k1,k2' }),
    runCli(['env', '--shell', 'tcsh'], {}),
  ]);
  t.equal(sh.code, 0);
  t.equal(sh.stdout, 'export OPENAI_BASE_URL=http://127.0.0.1:9123/v1 OPENAI_API_KEY=unused\n');
  t.equal(fish.stdout, 'set -gx OPENAI_BASE_URL http://127.0.0.1:8765/v1;\nset -gx OPENAI_API_KEY unused;\n', '0.0.0.0 is reached on loopback');
  t.equal(pwsh.stdout, "$env:OPENAI_BASE_URL = 'http://127.0.0.1:9000/v1'\n$env:OPENAI_API_KEY = 'k1'\n", 'first key of PROXY_API_KEY');
  t.equal(bad.code, 64);
  t.match(bad.stderr, /--shell must be one of sh, fish, powershell/);
});

t.test('eval "$(vertex-openai-proxy env)" configures a real sh, even with quotes in the key', async (t) => {
  const key = `it's $secret`;
  const script = `eval "$("${process.execPath}" "${CLI}" env)"; printf '%s|%s' "$OPENAI_BASE_URL" "$OPENAI_API_KEY"`;
  const output = execFileSync('sh', ['-c', script], {
    env: { PATH: process.env.PATH, SHELL: '/bin/sh', PROXY_API_KEY: key, HOST: '::1', PORT: '8800' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(output, `http://[::1]:8800/v1|${key}`);
});

t.test('healthcheck: 0 for a live daemon, non-zero for dead, failing and silent ones', async (t) => {
  const daemon = await startInProcess(t);
  const port = daemon.port;

  // The command itself, as the container runs it: exit codes.
  const live = await runCli(['healthcheck'], { PORT: String(port) });
  t.equal(live.code, 0, live.stderr);
  // The rest in this process: the same function, without a process each.
  t.match(await healthcheck({ host: '127.0.0.1', port }), { ok: true, message: /healthy/ });
  t.match(await healthcheck({ host: '0.0.0.0', port }), { ok: true }, '0.0.0.0 is checked on 127.0.0.1');

  await daemon.server.shutdown('test');
  // Held while the dead daemon is checked: freed, another test file's proxy could be given the port and answer.
  const held = await holdPort(port);
  t.teardown(() => held.release());
  t.match(await healthcheck({ host: '127.0.0.1', port }), { ok: false, message: /ECONNREFUSED/ });
  const dead = await runCli(['healthcheck'], { PORT: String(port) });
  t.equal(dead.code, 1, 'exit 1 when unhealthy');

  const failing = createHttpServer((_req, res) => res.writeHead(503).end());
  failing.listen(0, '127.0.0.1');
  await once(failing, 'listening');
  t.teardown(() => failing.close());
  t.match(await healthcheck({ host: '127.0.0.1', port: (failing.address() as AddressInfo).port }), { ok: false, message: /HTTP 503/ });

  // Accepts connections and never answers: the timeout must end it.
  const sockets: Socket[] = [];
  const silent = createNetServer((socket) => sockets.push(socket));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  t.match(await healthcheck({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port }, 200), { ok: false, message: /no answer within 0\.2 s/ });
  t.equal(HEALTHCHECK_TIMEOUT_MS, 3_000, 'the command waits 3 s (the README says so)');
});

t.test('check on the metadata server: source, principal, project, upstream, lifetime, never the token', async (t) => {
  const metadata = await fakeMetadata(t);
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token) });
  t.teardown(() => vertex.close());
  const env = { ...fakeMetadataEnv(metadata.host), VERTEX_BASE_URL: vertex.baseUrl, GOOGLE_CLOUD_QUOTA_PROJECT: 'billing-project' };

  const plain = await runCli(['check'], env);
  t.equal(plain.code, 0, plain.stdout + plain.stderr);
  t.match(plain.stdout, /credentials: +metadata server \(metadata_server\)/);
  t.match(plain.stdout, /principal: +proxy@fake-project\.iam\.gserviceaccount\.com/);
  t.match(plain.stdout, /project: +fake-project \(reported by ADC\)/);
  t.match(plain.stdout, /quota project: +billing-project/);
  t.match(plain.stdout, `upstream:      ${vertex.baseUrl}/v1/projects/fake-project/locations/global/endpoints/openapi/chat/completions`);
  t.match(plain.stdout, /token: +OK, expires in 59 min \d+ s/);
  t.match(plain.stdout, /\nOK\n$/);
  t.equal(vertex.requests.length, 0, 'no request without --request');

  const withRequest = await runCli(['check', '--request', '--model', 'google/gemini-2.5-pro'], env);
  t.equal(withRequest.code, 0, withRequest.stdout + withRequest.stderr);
  t.match(withRequest.stdout, /request: +POST \/v1\/chat\/completions model=google\/gemini-2\.5-pro -> HTTP 200 in \d+ ms/);
  t.equal(vertex.requests.length, 1);
  t.equal(vertex.last?.headers.authorization, `Bearer ${metadata.latestToken}`, 'the real token went upstream');
  t.equal(vertex.last?.headers['x-goog-user-project'], 'billing-project');
  t.equal((JSON.parse(vertex.last?.body.toString() ?? '{}') as { model: string }).model, 'google/gemini-2.5-pro');

  vertex.next((_req, _body, res) => googleError(res, 404, 'NOT_FOUND', 'Publisher model google/nope was not found.'));
  const refused = await runCli(['check', '--request', '--model', 'google/nope'], env);
  t.equal(refused.code, 1);
  t.match(refused.stdout, /HTTP 404 in \d+ ms: Publisher model google\/nope was not found\./);
  t.match(refused.stdout, /\nFAILED\n$/);

  for (const output of [plain.stdout, withRequest.stdout, refused.stdout]) {
    for (const token of metadata.issued) t.notOk(output.includes(token), 'the token is never printed');
  }
});

t.test('check with an impersonating external_account key file, then with a revoked one', async (t) => {
  const sts = await startFakeSts();
  t.teardown(() => sts.close());
  const home = isolatedHome();
  const file = join(home.HOME, 'wif.json');
  writeFileSync(file, JSON.stringify(sts.externalAccount({ label: 'key', impersonate: 'runner@sts-project.iam.gserviceaccount.com', quotaProject: 'quota-from-file' })));
  const env = { ...home, GOOGLE_APPLICATION_CREDENTIALS: file, METADATA_SERVER_DETECTION: 'none', GOOGLE_CLOUD_PROJECT: 'my-project' };

  const ok = await runCli(['check'], env);
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, `credentials:   GOOGLE_APPLICATION_CREDENTIALS=${file} (external_account)`);
  t.match(ok.stdout, /principal: +runner@sts-project\.iam\.gserviceaccount\.com/);
  t.match(ok.stdout, /project: +my-project \(from settings\)/);
  t.match(ok.stdout, /quota project: +quota-from-file/);
  t.match(ok.stdout, /upstream: +https:\/\/aiplatform\.googleapis\.com\/v1\/projects\/my-project\/locations\/global\//);
  for (const token of sts.issued) t.notOk(ok.stdout.includes(token));

  sts.failWith = INVALID_GRANT;
  const revoked = await runCli(['check'], env);
  t.equal(revoked.code, 1);
  t.match(revoked.stdout, /token: +FAILED: .*invalid_grant.*gcloud auth application-default login/);
});

t.test('check without any credentials says how to get them', async (t) => {
  const result = await runCli(['check'], { ...isolatedHome(), METADATA_SERVER_DETECTION: 'none' });
  t.equal(result.code, 1);
  t.match(result.stdout, /credentials: +NOT FOUND: .*gcloud auth application-default login/);
});
