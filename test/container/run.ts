// The real image, run by podman against the fake metadata server and fake
// Vertex on the host's loopback: a chat and a stream through the real openai
// SDK, /readyz, the image's own HEALTHCHECK, the user it runs as, its size,
// and a clean exit 0 on SIGTERM with a stream still in flight.
//
// Not part of `npm test` (the file does not match the tap include). Run it
// with `npm run test:container`, which builds the base image and the image
// first (scripts/container-test.sh), then `node test/container/run.ts`; it
// skips unless CONTAINER_IMAGE is set.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import OpenAI from 'openai';
import t from 'tap';
import { startFakeMetadata } from '../helpers/fake-metadata.ts';
import { chunk, startFakeVertex } from '../helpers/fake-vertex.ts';

const image = process.env.CONTAINER_IMAGE;
const podmanCommand = (process.env.PODMAN ?? 'podman --runtime /usr/sbin/runc --cgroup-manager=cgroupfs').split(/\s+/).filter(Boolean);
const MODEL = 'google/gemini-2.5-flash';
const MAX_COMPRESSED_MB = 150;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function podman(...args: string[]): Promise<Result> {
  const [command = 'podman', ...base] = podmanCommand;
  try {
    const { stdout, stderr } = await promisify(execFile)(command, [...base, ...args], { timeout: 60_000 });
    return { code: 0, stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout?.trim() ?? '', stderr: failed.stderr?.trim() ?? '' };
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls until `check` holds; bounded so a broken container fails the test, not hangs it. */
async function waitFor(what: string, check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The image as a registry would store it: its layers, gzip-compressed. */
async function compressedImageBytes(name: string): Promise<number> {
  const [command = 'podman', ...base] = podmanCommand;
  const save = spawn(command, [...base, 'image', 'save', '--format', 'docker-archive', name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  const gzip = save.stdout.pipe(createGzip());
  gzip.on('data', (data: Buffer) => (bytes += data.length));
  await once(gzip, 'end');
  return bytes;
}

const MB = 1024 * 1024;
// Run by plain node, tap's whole-process limit would otherwise be 30 s.
t.setTimeout(300_000);

t.test('container image: serves, probes, runs as non-root, stops cleanly on SIGTERM', { skip: image ? false : 'set CONTAINER_IMAGE (npm run test:container)', timeout: 240_000 }, async (t) => {
  const startedAt = Date.now();
  const mark = (what: string) => t.comment(`${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${what}`);
  const metadata = await startFakeMetadata();
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token) });
  t.teardown(async () => {
    await vertex.close();
    await metadata.close();
  });

  const port = await freePort();
  const name = `vertex-openai-proxy-test-${process.pid}-${port}`;
  // The restrictions of the Kubernetes example: read-only root, no capabilities.
  const run = await podman(
    'run', '--detach', '--name', name, '--network=host',
    '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
    '--read-only', '--cap-drop=ALL', '--security-opt', 'no-new-privileges',
    '--env', `GCE_METADATA_HOST=${metadata.host}`,
    '--env', 'METADATA_SERVER_DETECTION=assume-present',
    '--env', `VERTEX_BASE_URL=${vertex.baseUrl}`,
    '--env', 'HOST=127.0.0.1',
    '--env', `PORT=${port}`,
    String(image),
  );
  t.equal(run.code, 0, 'podman run', { stderr: run.stderr });
  t.teardown(async () => {
    await podman('rm', '--force', '--time', '0', name);
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitFor('/healthz', async () => (await fetch(`${origin}/healthz`)).ok);
  } catch (err) {
    t.comment((await podman('logs', name)).stdout);
    throw err;
  }

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
  t.same(pid1.stdout.split('\0').filter(Boolean), ['node', 'dist/cli.js'], 'node itself is PID 1, no shell wrapper');

  mark('requests and probes done');
  const inspected = await podman('image', 'inspect', '--format', '{{.Size}}', String(image));
  const compressed = await compressedImageBytes(String(image));
  t.comment(`image size: ${(Number(inspected.stdout) / MB).toFixed(1)} MB on disk, ${(compressed / MB).toFixed(1)} MB compressed`);
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
  await waitFor('the shutdown log line', async () => /shutting down/i.test((await podman('logs', name)).stdout));
  mark('shutdown started');
  release();
  const rest: string[] = [];
  for (let next = await events.next(); !next.done; next = await events.next()) rest.push(next.value.choices[0]?.delta.content ?? '');
  t.same(rest, ['after '], 'the in-flight stream completes after SIGTERM');
  const exit = await podman('wait', name);
  t.equal(exit.stdout, '0', 'exit code 0 after SIGTERM');
  mark('container exited');
  const logs = (await podman('logs', name)).stdout;
  t.notMatch(logs, /grace period over/, 'shutdown ends when the last response does, not at the grace-period cut-off');
});
