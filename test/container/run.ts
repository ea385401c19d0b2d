// The real image, run by podman on the host's network against the fakes on
// loopback. First as the tests run everything (fake metadata server): a chat
// and a stream through the real openai SDK, /readyz, the image's own
// HEALTHCHECK, the user it runs as, its size, and a clean exit 0 on SIGTERM
// with a stream still in flight. Then as docker-compose.yml runs it: its user,
// environment and read-only gcloud directory, with an ADC file in it. Last,
// with the image's own defaults (HOST=0.0.0.0, port 8765) on a network of its
// own: the HEALTHCHECK and `podman stop`.
//
// Not part of `npm test` (the file does not match the tap include). Run it
// with `npm run test:container`, which builds the base image and the image
// first (scripts/container-test.sh), then `node test/container/run.ts`; it
// skips unless CONTAINER_IMAGE is set.

import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import t from 'tap';
import { parse } from 'yaml';
import { IMAGE_NODE_FLAGS } from '../../bench/image-settings.ts';
import { startFakeMetadata } from '../helpers/fake-metadata.ts';
import { startFakeSts } from '../helpers/fake-sts.ts';
import { chunk, startFakeVertex } from '../helpers/fake-vertex.ts';
import { compressedImageBytes, podman, runContainer, ULIMITS, waitFor } from './podman.ts';
// The compose file as podman-compose reads it, now that the container test has installed it.
import './compose-tools.test.ts';

const image = process.env.CONTAINER_IMAGE ?? '';
const skip = image ? false : 'set CONTAINER_IMAGE (npm run test:container)';
const MODEL = 'google/gemini-2.5-flash';
const CHAT_BODY = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] };
const MB = 1024 * 1024;
const MAX_COMPRESSED_MB = 150;

// Run by plain node, tap's whole-process limit would otherwise be 30 s.
t.setTimeout(300_000);

t.test('container image: serves, probes, runs as non-root, stops cleanly on SIGTERM', { skip }, async (t) => {
  const startedAt = Date.now();
  const mark = (what: string) => t.comment(`${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${what}`);
  const metadata = await startFakeMetadata();
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token) });
  t.teardown(async () => {
    await vertex.close();
    await metadata.close();
  });
  const env = { GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present', VERTEX_BASE_URL: vertex.baseUrl };
  // The restrictions of the Kubernetes example: read-only root, no capabilities.
  const locked = ['--read-only', '--read-only-tmpfs=false', '--cap-drop=ALL', '--security-opt', 'no-new-privileges'];
  const { name, origin, logs } = await runContainer(t, image, env, locked);
  mark('container serving');

  const ready = await fetch(`${origin}/readyz`);
  t.equal(ready.status, 200, '/readyz: a token from the metadata server');
  t.equal(((await ready.json()) as { project?: string }).project, 'fake-project');

  const client = new OpenAI({ baseURL: `${origin}/v1`, apiKey: 'sk-dummy-client-key', maxRetries: 0 });
  const chat = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
  t.equal(chat.choices[0]?.message.content, 'Hello from fake Vertex');
  const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
  const parts: string[] = [];
  for await (const event of stream) parts.push(event.choices[0]?.delta.content ?? '');
  t.same(parts, ['part0 ', 'part1 ', 'part2 ']);
  t.equal(vertex.requests[0]?.headers.authorization, `Bearer ${metadata.latestToken}`, 'upstream got the ADC token');

  const healthcheck = await podman('healthcheck', 'run', name);
  t.equal(healthcheck.code, 0, `the image's HEALTHCHECK passes`, { output: `${healthcheck.stdout} ${healthcheck.stderr}` });
  const direct = await podman('exec', name, 'node', 'dist/cli.js', 'healthcheck');
  t.equal(direct.code, 0, 'node dist/cli.js healthcheck exits 0', { stderr: direct.stderr });

  const uid = await podman('exec', name, 'id', '-u');
  t.equal(uid.code, 0);
  t.not(uid.stdout, '0', `runs as a non-root user (uid ${uid.stdout})`);
  const pid1 = await podman('exec', name, 'cat', '/proc/1/cmdline');
  t.same(pid1.stdout.split('\0').filter(Boolean), ['node', ...IMAGE_NODE_FLAGS, 'dist/cli.js'], "node itself is PID 1, no shell wrapper, with the image's node flags");
  mark('requests and probes done');

  const onDisk = Number((await podman('image', 'inspect', '--format', '{{.Size}}', image)).stdout);
  const compressed = await compressedImageBytes(image);
  t.comment(`image size: ${(onDisk / MB).toFixed(1)} MB on disk, ${(compressed / MB).toFixed(1)} MB compressed`);
  t.ok(compressed < MAX_COMPRESSED_MB * MB, `compressed image under ${MAX_COMPRESSED_MB} MB`);
  mark('image size measured');

  // SIGTERM with a stream in flight: the stream finishes, then node exits 0.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(chunk(MODEL, 'before '))}\n\n`);
    await released;
    res.write(`data: ${JSON.stringify(chunk(MODEL, 'after '))}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  const inFlight = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
  const events = inFlight[Symbol.asyncIterator]();
  t.equal((await events.next()).value?.choices[0]?.delta.content, 'before ');
  const kill = await podman('kill', '--signal', 'TERM', name);
  t.equal(kill.code, 0, 'podman kill --signal TERM', { stderr: kill.stderr });
  await waitFor('the shutdown log line', async () => /shutting down/i.test(await logs()));
  mark('shutdown started');
  release();
  const rest: string[] = [];
  for (let next = await events.next(); !next.done; next = await events.next()) rest.push(next.value.choices[0]?.delta.content ?? '');
  t.same(rest, ['after '], 'the in-flight stream completes after SIGTERM');
  const exit = await podman('wait', name);
  t.equal(exit.stdout, '0', 'exit code 0 after SIGTERM');
  mark('container exited');
  t.notMatch(await logs(), /grace period over/, 'shutdown ends when the last response does, not at the grace-period cut-off');
});

interface ComposeProxy {
  user: string;
  environment: Record<string, string | null>;
  volumes: string[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` against `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_all, name: string, kind?: string, rest?: string) => {
    const set = vars[name];
    if (set) return set;
    if (kind === '?') throw new Error(`compose would stop: ${rest}`);
    return kind === '-' ? (rest ?? '') : '';
  });
}

function post(origin: string, host: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(`${origin}/v1/chat/completions`, { method: 'POST', headers: { host, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (data: string) => (text += data));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

t.test("docker-compose.yml's proxy: its user, environment and read-only gcloud directory", { skip }, async (t) => {
  const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, ComposeProxy> };
  const service = compose.services['vertex-openai-proxy'];
  if (!service) throw new Error('docker-compose.yml has no vertex-openai-proxy service');
  const sts = await startFakeSts();
  const vertex = await startFakeVertex({ isValidToken: (token) => sts.isValid(token) });
  const home = mkdtempSync(join(tmpdir(), 'vop-compose-home-'));
  t.teardown(async () => {
    rmSync(home, { recursive: true, force: true });
    await vertex.close();
    await sts.close();
  });

  // What the user's shell would give compose.
  const vars = { HOME: home, GOOGLE_CLOUD_PROJECT: 'compose-project' };
  const user = interpolate(service.user, vars);
  const [uid = 0, gid = 0] = user.split(':').map(Number);
  const volume = interpolate(service.volumes.find((v) => v.includes('gcloud')) ?? '', vars);
  const gcloudDir = volume.split(':')[0] ?? '';
  // As gcloud leaves it: the ADC file private to the user who logged in.
  const adcFile = join(gcloudDir, 'application_default_credentials.json');
  mkdirSync(dirname(adcFile), { recursive: true, mode: 0o700 });
  sts.writeAdcFile(adcFile, { label: 'compose' });
  chmodSync(adcFile, 0o600);
  for (const path of [adcFile, gcloudDir]) chownSync(path, uid, gid);

  // A key without a value (PROXY_API_KEY) passes the shell's value through, or nothing.
  const env = Object.fromEntries(
    Object.entries(service.environment).flatMap(([key, value]) => {
      if (value !== null) return [[key, interpolate(String(value), vars)]];
      const passed = (vars as Record<string, string | undefined>)[key];
      return passed ? [[key, passed]] : [];
    }),
  );
  const options = ['--user', user, '--volume', volume, ...(service.read_only ? ['--read-only', '--read-only-tmpfs=false'] : [])];
  for (const cap of service.cap_drop ?? []) options.push(`--cap-drop=${cap}`);
  for (const opt of service.security_opt ?? []) options.push('--security-opt', opt.replace(/:true$/, ''));
  // Only the mounted file can answer: no metadata server, fake Vertex.
  const { origin } = await runContainer(t, image, { ...env, METADATA_SERVER_DETECTION: 'none', VERTEX_BASE_URL: vertex.baseUrl }, options);

  const ready = await fetch(`${origin}/readyz`);
  t.equal(ready.status, 200, '/readyz: a token from the mounted ADC file');
  t.equal(((await ready.json()) as { project?: string }).project, 'compose-project');

  const asService = await post(origin, 'vertex-openai-proxy:8765', CHAT_BODY);
  t.equal(asService.status, 200, 'another container, naming the proxy by its service name, is served');
  t.ok(sts.isValid(/^Bearer (.+)$/.exec(vertex.last?.headers.authorization ?? '')?.[1] ?? ''), 'with the token of the mounted ADC file');
  t.equal(vertex.last?.url, '/v1/projects/compose-project/locations/global/endpoints/openapi/chat/completions');
  const otherHost = await post(origin, 'attacker.example:8765', CHAT_BODY);
  t.equal(otherHost.status, 403, 'any other Host is refused');
});

t.test("the image's own defaults: all interfaces on 8765, HEALTHCHECK, podman stop", { skip }, async (t) => {
  // A network of its own (loopback only), so listening on 0.0.0.0 exposes nothing.
  const name = `vertex-openai-proxy-test-${process.pid}-defaults`;
  const run = await podman('run', '--detach', '--name', name, '--network=none', ...ULIMITS, '--env', 'METADATA_SERVER_DETECTION=none', image);
  t.teardown(async () => {
    await podman('rm', '--force', '--time', '0', name);
  });
  t.equal(run.code, 0, 'podman run', { stderr: run.stderr });
  await waitFor('the HEALTHCHECK to pass', async () => (await podman('healthcheck', 'run', name)).code === 0);
  t.pass("the image's HEALTHCHECK passes with HOST=0.0.0.0");

  // /proc/net/tcp: local address 00000000:223D (0.0.0.0:8765) in state 0A (listening).
  const tcp = await podman('exec', name, 'cat', '/proc/net/tcp');
  t.match(tcp.stdout, /^\s*\d+: 00000000:223D 00000000:0000 0A /m, 'listens on 0.0.0.0:8765');

  const stop = await podman('stop', '--time', '20', name);
  t.equal(stop.code, 0, 'podman stop (SIGTERM)', { stderr: stop.stderr });
  t.equal((await podman('inspect', '--format', '{{.State.ExitCode}}', name)).stdout, '0', 'exit code 0');
});
