// Behaviour 10, shutdown: the real daemon as a child process. On SIGTERM or
// SIGINT it stops accepting, closes idle keep-alive connections at once, lets
// the stream in flight finish (or cuts it when the grace period ends), exits 0.

import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { startDaemon, type Daemon } from './helpers/daemon.ts';
import { CHAT_BODY } from './helpers/harness.ts';
import { Gate, rawCall, within, type RawCall } from './helpers/streams.ts';

const CHAT_PATH = '/v1/chat/completions';
const STREAM_BODY = JSON.stringify({ ...CHAT_BODY, stream: true });
const FIRST = 'data: {"choices":[{"delta":{"content":"first"}}]}\n\n';
const REST = 'data: {"choices":[{"delta":{"content":"rest"}}]}\n\ndata: [DONE]\n\n';

/** Upstream sends the first event, then the rest only once `release` opens. */
function slowStream(daemon: Daemon, release: Gate): void {
  daemon.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(FIRST);
    await release.opened;
    if (!res.destroyed) res.end(REST);
  });
}

/** A keep-alive connection that has served one request and now sits idle. */
async function idleConnection(t: Test, daemon: Daemon): Promise<{ closed: Promise<void>; isClosed: () => boolean }> {
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
  let closed = false;
  const s = socket as Socket;
  const closedPromise = new Promise<void>((resolve) => s.once('close', () => resolve()));
  void closedPromise.then(() => (closed = true));
  t.notOk(s.destroyed, 'and stays open, idle');
  return { closed: closedPromise, isClosed: () => closed };
}

/** Resolves with the connect error code, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function startStream(t: Test, daemon: Daemon): Promise<RawCall> {
  // A keep-alive client, like the OpenAI SDK: its connection outlives the response.
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const call = rawCall(daemon.url + CHAT_PATH, STREAM_BODY, { agent });
  await call.until((got) => got.toString('utf8') === FIRST, 'the first event');
  return call;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal}: refuse new connections, close idle ones, finish the stream, exit 0`, async (t) => {
    // A long grace period: the stream must end by itself, not be cut.
    const daemon = await startDaemon(t, { env: { PROXY_SHUTDOWN_GRACE_SECONDS: '60' } });
    const release = new Gate();
    t.teardown(() => release.open());
    slowStream(daemon, release);
    const idle = await idleConnection(t, daemon);
    const stream = await startStream(t, daemon);

    daemon.child.kill(signal);
    await daemon.waitForLog('shutting down: no new connections, finishing in-flight requests');
    await within(idle.closed, 'the idle keep-alive connection to be closed');
    t.pass('idle keep-alive connection closed while the stream is still in flight');
    t.equal(await tryConnect(daemon.port), 'ECONNREFUSED', 'new connections are refused');
    t.equal(daemon.child.exitCode, null, 'the process waits for the stream');

    release.open();
    const body = await within(stream.done, 'the stream to complete');
    t.equal(body.toString('utf8'), FIRST + REST, 'the in-flight stream completed, [DONE] included');
    const exit = await within(daemon.exited, 'the daemon to exit');
    t.same(exit, { code: 0, signal: null }, 'exit code 0');
    t.equal(daemon.vertex.aborted, 0, 'nothing was cut upstream');
    t.ok(daemon.logs.some((line) => line.msg === 'shut down'), 'logged the end');
    t.notOk(daemon.logs.some((line) => line.msg.startsWith('grace period over')), 'finished without needing the grace timer');
    t.same(daemon.logs.filter((line) => line.level >= 50), [], 'nothing logged at error level');
    t.equal(daemon.stderr(), '', 'nothing on stderr');
  });
}

t.test('the grace period cuts a stream that lasts longer, and the exit is still 0', async (t) => {
  const daemon = await startDaemon(t, { env: { PROXY_SHUTDOWN_GRACE_SECONDS: '1' } });
  const release = new Gate();
  t.teardown(() => release.open());
  slowStream(daemon, release); // never released before the grace period ends
  const stream = await startStream(t, daemon);

  daemon.child.kill('SIGTERM');
  await daemon.waitForLog('grace period over: closing remaining connections');
  await t.rejects(within(stream.done, 'the stream to be cut'), 'the client sees its stream cut');
  t.equal(stream.received().toString('utf8'), FIRST, 'it had received what upstream sent');
  const exit = await within(daemon.exited, 'the daemon to exit');
  t.same(exit, { code: 0, signal: null }, 'exit code 0');
  t.equal(daemon.vertex.aborted, 1, 'the upstream request was cut too');
  t.same(daemon.logs.filter((line) => line.level >= 50), [], 'nothing logged at error level');
});
