// Behaviour 3, client aborts: when the client goes away, before or after the
// upstream headers, the upstream request is cut at once, nothing crashes or is
// logged as an error, and the daemon keeps serving.

import t, { type Test } from 'tap';
import { CHAT_BODY, startHarness, type Harness } from './helpers/harness.ts';
import { Gate, rawCall } from './helpers/streams.ts';
import { waitFor } from './helpers/wait.ts';

const CHAT_PATH = '/v1/chat/completions';
const STREAM_BODY = JSON.stringify({ ...CHAT_BODY, stream: true });

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** Log lines at `level` or above (pino: 40 warn, 50 error, 60 fatal). */
function logsFrom(h: Harness, level: number): string[] {
  return h.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= level);
}

function errorLogs(h: Harness): string[] {
  return logsFrom(h, 50);
}

function requestLogs(h: Harness): { status: number; incomplete?: boolean; bytes?: number }[] {
  return h.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
}

async function stillServes(t: Test, h: Harness): Promise<void> {
  const call = rawCall(h.url + CHAT_PATH, JSON.stringify(CHAT_BODY));
  t.equal((await call.response).statusCode, 200, 'the daemon still serves');
  t.match((await call.done).toString('utf8'), /Hello from fake Vertex/);
  t.equal(requestLogs(h).length, 2, 'one log line per request, the cut one included');
}

t.test('client abort mid-stream aborts the upstream request at once', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const release = new Gate();
  t.teardown(() => release.open());
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"delta":{"content":"first"}}]}\n\n');
    await release.opened;
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  });

  const call = rawCall(h.url + CHAT_PATH, STREAM_BODY);
  await call.until((got) => got.includes('first'), 'the first chunk');
  t.equal(h.vertex.inFlight, 1, 'upstream is mid-stream');
  call.destroy();
  await waitFor(() => h.vertex.aborted === 1, 'upstream to see its request aborted');
  t.equal(h.vertex.inFlight, 0, 'upstream response closed while it still had more to send');

  await waitFor(() => requestLogs(h).length === 1, 'the request log line');
  t.match(requestLogs(h)[0], { status: 200, incomplete: true }, 'logged once, as cut by the client');
  t.notOk(h.logs.some((line) => line.includes('upstream stream broke off')), 'not blamed on the upstream');
  t.ok((requestLogs(h)[0]?.bytes ?? 0) > 0, 'with the bytes that did go through');
  await stillServes(t, h);
  t.same(errorLogs(h), [], 'nothing logged at error level');
  t.same(unhandled, [], 'no unhandled rejection');
});

t.test('client abort before upstream headers closes the upstream connection promptly', async (t) => {
  const h = await startHarness(t);
  await h.listen();
  const received = new Gate();
  // Upstream "thinks" for as long as the test lets it: it would answer only
  // when released, which happens after the assertions.
  const release = new Gate();
  t.teardown(() => release.open());
  h.vertex.next(async (_req, _body, res) => {
    received.open();
    await release.opened;
    if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: [DONE]\n\n');
  });

  const call = rawCall(h.url + CHAT_PATH, STREAM_BODY);
  await received.opened;
  call.destroy();
  await waitFor(() => h.vertex.aborted === 1, 'upstream to see its request aborted before it answered');
  t.equal(h.vertex.inFlight, 0);

  await waitFor(() => requestLogs(h).length === 1, 'the request log line');
  t.match(requestLogs(h)[0], { status: 499, incomplete: true }, 'logged once, as closed by the client');
  await stillServes(t, h);
  // IDE plugins cancel requests all the time: that is not worth a warning.
  t.same(logsFrom(h, 40), [], 'nothing logged at warn level or above');
  t.same(unhandled, [], 'no unhandled rejection');
});

t.test('client gone while the token is being fetched: nothing is sent upstream', async (t) => {
  const h = await startHarness(t, { metadata: { tokenDelayMs: 300 } });
  await h.listen();
  const call = rawCall(h.url + CHAT_PATH, STREAM_BODY);
  await waitFor(() => h.metadata.tokenRequests === 1, 'the token fetch to start');
  call.destroy();
  await call.closed;

  await waitFor(() => requestLogs(h).length === 1, 'the request log line');
  t.match(requestLogs(h)[0], { status: 499, incomplete: true }, 'logged once, as closed by the client');
  // The proxy's last word on the request: it tried to forward, found the client gone.
  await waitFor(() => h.logs.some((line) => line.includes('upstream request aborted')), 'the proxy to give up on the request');
  t.equal(h.vertex.requests.length, 0, 'the upstream never saw the abandoned request');
  await stillServes(t, h);
  t.same(errorLogs(h), [], 'nothing logged at error level');
  t.same(unhandled, [], 'no unhandled rejection');
});
