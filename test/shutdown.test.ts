// Behaviour 10, shutdown: on SIGTERM or SIGINT the daemon stops accepting,
// closes idle keep-alive connections at once, lets the stream in flight finish
// (or cuts it when the grace period ends), and exits 0. Once as a real child
// process (the signal, the exit code); the rest in this process.

import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { EventEmitter } from 'node:events';
import { exitOnSignals, FORCE_QUIT_AFTER_MS } from '../src/server/signals.ts';
import { startDaemonWithFakes } from './helpers/daemon.ts';
import type { FakeVertex } from './helpers/fake-vertex.ts';
import { startInProcess } from './helpers/in-process.ts';
import { tryConnect } from './helpers/loopback.ts';
import { completion, sendJson } from './helpers/fake-vertex.ts';
import { CHAT_BODY } from './helpers/harness.ts';
import { Gate, rawCall, type RawCall } from './helpers/streams.ts';
import { waitFor, within } from './helpers/wait.ts';

const CHAT_PATH = '/v1/chat/completions';
const STREAM_BODY = JSON.stringify({ ...CHAT_BODY, stream: true });
const FIRST = 'data: {"choices":[{"delta":{"content":"first"}}]}\n\n';
const REST = 'data: {"choices":[{"delta":{"content":"rest"}}]}\n\ndata: [DONE]\n\n';

/** A daemon listening, in this process or a child. */
interface Listening {
  readonly url: string;
  readonly port: number;
  readonly vertex: FakeVertex;
}

/** Upstream sends the first event, then the rest only once `release` opens. */
function slowStream(daemon: Listening, release: Gate): void {
  daemon.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(FIRST);
    await release.opened;
    if (!res.destroyed) res.end(REST);
  });
}

/** A keep-alive connection that has served one request and now sits idle. */
async function idleConnection(t: Test, daemon: Listening): Promise<{ closed: Promise<void> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  let socket: Socket | undefined;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${daemon.url}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('socket', (s) => (socket = s));
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 200, 'keep-alive connection served /healthz');
  const s = socket as Socket;
  t.notOk(s.destroyed, 'and stays open, idle');
  return { closed: once(s, 'close').then(() => undefined) };
}

/** Resolves once the daemon's listening socket is closed. */
function untilRefused(port: number): Promise<void> {
  return waitFor(async () => (await tryConnect(port)) === 'ECONNREFUSED', 'the listening socket to close');
}

function rawPost(body: string): string {
  return `POST ${CHAT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

async function startStream(t: Test, daemon: Listening): Promise<RawCall> {
  // A keep-alive client, like the OpenAI SDK: its connection outlives the response.
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const call = rawCall(daemon.url + CHAT_PATH, STREAM_BODY, { agent });
  await call.until((got) => got.toString('utf8') === FIRST, 'the first event');
  return call;
}

{
  const signal = 'SIGTERM';
  t.test('SIGTERM to the real process: refuse new connections, close idle ones, finish the stream, exit 0', async (t) => {
    // A long grace period: the stream must end by itself, not be cut.
    const daemon = await startDaemonWithFakes(t, { env: { PROXY_SHUTDOWN_GRACE_SECONDS: '60' } });
    const release = new Gate();
    t.teardown(() => release.open());
    slowStream(daemon, release);
    const idle = await idleConnection(t, daemon);
    // A spare connection that never sends a byte (undici opens such ones).
    const spare = connect(daemon.port, '127.0.0.1');
    t.teardown(() => spare.destroy());
    await once(spare, 'connect');
    const spareClosed = once(spare, 'close');
    const stream = await startStream(t, daemon);
    // And a plain request whose upstream is still thinking: no headers yet.
    const thinking = new Gate();
    daemon.vertex.next(async (_req, _body, res) => {
      thinking.open();
      await release.opened;
      sendJson(res, 200, completion());
    });
    const plain = rawCall(daemon.url + CHAT_PATH, JSON.stringify(CHAT_BODY));
    await thinking.opened;

    daemon.child.kill(signal);
    await daemon.waitForLog('shutting down: no new connections, finishing in-flight requests');
    await within(idle.closed, 'the idle keep-alive connection to be closed');
    t.pass('idle keep-alive connection closed while the stream is still in flight');
    await within(spareClosed, 'the spare, never used connection to be closed');
    t.pass('spare connection closed too');
    t.equal(await tryConnect(daemon.port), 'ECONNREFUSED', 'new connections are refused');
    t.equal(daemon.child.exitCode, null, 'the process waits for the stream');

    release.open();
    const body = await within(stream.done, 'the stream to complete');
    t.equal(body.toString('utf8'), FIRST + REST, 'the in-flight stream completed, [DONE] included');
    t.equal((await plain.response).statusCode, 200, 'the request waiting for upstream headers was answered');
    t.same(JSON.parse((await plain.done).toString('utf8')), completion());
    const exit = await within(daemon.exited, 'the daemon to exit');
    t.same(exit, { code: 0, signal: null }, 'exit code 0');
    t.equal(daemon.vertex.aborted, 0, 'nothing was cut upstream');
    t.ok(daemon.logs.some((line) => line.msg === 'shut down'), 'logged the end');
    t.notOk(daemon.logs.some((line) => line.msg.startsWith('grace period over')), 'finished without needing the grace timer');
    t.same(daemon.logs.filter((line) => line.level >= 50), [], 'nothing logged at error level');
    t.equal(daemon.stderr(), '', 'nothing on stderr');
  });
}

t.test('the grace period cuts a stream that lasts longer, and the close still completes', async (t) => {
  const daemon = await startInProcess(t, { PROXY_SHUTDOWN_GRACE_SECONDS: '1' });
  const release = new Gate();
  t.teardown(() => release.open());
  slowStream(daemon, release); // never released before the grace period ends
  const stream = await startStream(t, daemon);

  const closing = daemon.server.shutdown('SIGTERM');
  await daemon.waitForLog('grace period over: closing remaining connections');
  await t.rejects(within(stream.done, 'the stream to be cut'), 'the client sees its stream cut');
  t.equal(stream.received().toString('utf8'), FIRST, 'it had received what upstream sent');
  await t.resolves(within(closing, 'the close to complete'), 'the close completes (the process would exit 0)');
  await waitFor(() => daemon.vertex.aborted === 1, 'the upstream request to be cut too');
  t.same(daemon.logs().filter((line) => line.level >= 50), [], 'nothing logged at error level');
});

t.test('SIGTERM and SIGINT start the graceful close, then the process exits 0 (1 if the close fails)', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const [closes, code] of [[true, 0], [false, 1]] as const) {
      const signals = new EventEmitter();
      const reasons: string[] = [];
      let exited: number | undefined;
      const server = {
        shutdown: async (reason: string) => {
          reasons.push(reason);
          if (!closes) throw new Error('stuck');
        },
      };
      exitOnSignals(server, { on: (name, listener) => signals.on(name, listener), now: () => 0, exit: (c) => (exited = c) });
      signals.emit(signal);
      await waitFor(() => exited !== undefined, 'the exit');
      t.same(reasons, [signal], `${signal}: shutdown with the signal as its reason`);
      t.equal(exited, code, `${signal}: exit ${code}${closes ? '' : ' when the close fails'}`);
    }
  }
});

t.test('a second signal: a copy within a second changes nothing; one a second or more later exits 1 at once', async (t) => {
  const signals = new EventEmitter();
  let now = 0;
  const exits: number[] = [];
  const reasons: string[] = [];
  const server = { shutdown: (reason: string) => (reasons.push(reason), new Promise<void>(() => {})) };
  exitOnSignals(server, { on: (name, listener) => signals.on(name, listener), now: () => now, exit: (code) => exits.push(code) });
  signals.emit('SIGINT');
  now = FORCE_QUIT_AFTER_MS - 1;
  signals.emit('SIGINT'); // npm's copy of the terminal's Ctrl-C
  signals.emit('SIGTERM');
  t.same(reasons, ['SIGINT'], 'one graceful close');
  t.same(exits, [], 'still closing: the streams in flight go on');
  now = FORCE_QUIT_AFTER_MS;
  signals.emit('SIGINT');
  t.same(exits, [1], 'Ctrl-C pressed again: out at once');
});

t.test('a request sent on an open connection during shutdown gets an OpenAI-shaped 503', async (t) => {
  const daemon = await startInProcess(t, { PROXY_SHUTDOWN_GRACE_SECONDS: '60', LOG_LEVEL: 'debug' });
  const release = new Gate();
  t.teardown(() => release.open());
  slowStream(daemon, release);
  const socket = connect(daemon.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let raw = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
  const closed = once(socket, 'close');
  socket.write(rawPost(STREAM_BODY));
  await waitFor(() => raw.includes('first'), 'the first event');

  const closing = daemon.server.shutdown('SIGTERM');
  await untilRefused(daemon.port);
  // Pipelined behind the stream still in flight on this connection.
  socket.write(rawPost(JSON.stringify(CHAT_BODY)));
  // Its answer waits behind the stream's; the debug line shows it was handled.
  await daemon.waitForLog('shutting down: request refused');
  release.open();
  await within(closed, 'the daemon to close the connection after both answers');

  const [streamed, refused = ''] = raw.split(/(?=HTTP\/1\.1 503 )/);
  t.match(streamed, /^HTTP\/1\.1 200 /, 'the stream in flight was answered first');
  t.ok(streamed?.includes('data: [DONE]'), 'and completed');
  const [head = '', body = ''] = refused.split('\r\n\r\n');
  t.match(head.toLowerCase(), /connection: close/, 'the refusal closes the connection');
  t.same(JSON.parse(body), {
    error: { message: 'The proxy is shutting down; retry on a new connection.', type: 'api_error', code: 'shutting_down', param: null },
  });
  t.equal(daemon.vertex.requests.length, 1, 'the refused request never reached the upstream');
  await t.resolves(within(closing, 'the close to complete'));
  t.same(
    daemon.logs().filter((line) => line.msg === 'request').map((line) => line.status),
    [200, 503],
    'both have their request log line',
  );
});
