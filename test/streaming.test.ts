// Behaviour 3, streaming: SSE goes through chunk by chunk and byte for byte,
// event streams carry the no-buffering headers, request bodies arrive unaltered.

import t from 'tap';
import { CHAT_BODY, startHarness } from './helpers/harness.ts';
import { Gate, rawCall } from './helpers/streams.ts';

const CHAT_PATH = '/v1/chat/completions';

// Awkward on purpose: events split across writes, a multi-byte character cut
// between two writes, CRLF line ends, a comment line, and the final [DONE].
const EURO = Buffer.from('€', 'utf8');
const UPSTREAM_WRITES: Buffer[] = [
  Buffer.from('data: {"choices":[{"delta":{"content":"Hel'),
  Buffer.from('lo"}}]}\n\n: keep-alive comment\n\n'),
  Buffer.concat([Buffer.from('data: {"choices":[{"delta":{"content":"'), EURO.subarray(0, 1)]),
  Buffer.concat([EURO.subarray(1), Buffer.from(' 🌍 \\u00e9"}}]}\r\n\r\n')]),
  Buffer.from('data: [DONE]\n\n'),
];

t.test('SSE chunks reach the client one by one, before upstream writes the next, byte for byte', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  const gates = UPSTREAM_WRITES.map(() => new Gate());
  let written = 0;
  h.vertex.next(async (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'private, max-age=60' });
    for (const [i, bytes] of UPSTREAM_WRITES.entries()) {
      if (i > 0) await (gates[i - 1] as Gate).opened;
      res.write(bytes);
      written = i + 1;
    }
    res.end();
  });

  const call = rawCall(url + CHAT_PATH, JSON.stringify({ ...CHAT_BODY, stream: true }));
  const res = await call.response;
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'no-cache', 'event streams are not cached');
  t.equal(res.headers['x-accel-buffering'], 'no', 'fronting proxies are told not to buffer');
  t.match(res.headers['content-type'], /^text\/event-stream/);

  for (let i = 0; i < UPSTREAM_WRITES.length; i++) {
    const expected = Buffer.concat(UPSTREAM_WRITES.slice(0, i + 1));
    await call.until((got) => got.length >= expected.length, `client to receive upstream write ${i}`);
    t.equal(written, i + 1, `write ${i} reached the client while upstream still waited to write the next`);
    t.ok(call.received().equals(expected), `bytes after write ${i} are exactly what upstream wrote`);
    gates[i]?.open();
  }
  const body = await call.done;
  t.ok(body.equals(Buffer.concat(UPSTREAM_WRITES)), 'the whole stream is byte-identical, [DONE] included');
  t.ok(body.toString('utf8').endsWith('data: [DONE]\n\n'));
});

t.test('the default fake stream arrives complete through the proxy', async (t) => {
  const h = await startHarness(t, { vertex: { chunks: 4, chunkDelayMs: 1 } });
  const url = await h.listen();
  const call = rawCall(url + CHAT_PATH, JSON.stringify({ ...CHAT_BODY, stream: true }));
  const body = (await call.done).toString('utf8');
  const events = body.split('\n\n').filter(Boolean);
  t.equal(events.length, 5, 'four content events and [DONE]');
  t.equal(events.at(-1), 'data: [DONE]');
});

t.test('request bodies reach the upstream byte for byte', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  // Odd whitespace, key order, escapes, raw unicode, duplicate-looking keys,
  // a trailing newline: a proxy that parses and re-serialises would change them.
  const sent = Buffer.from(
    '{ "stream" :true,\n\t"model":"google/gemini-2.5-flash" ,"messages":[ {"role":"user",  "content":"h\\u00e9llo 🌍 ünïcödé \\n \\"q\\""}],' +
      '"z":1.50,"a":1e3, "temperature": 0.0 }\r\n',
    'utf8',
  );
  const call = rawCall(url + CHAT_PATH, sent);
  await call.done;
  t.equal(h.vertex.requests.length, 1);
  t.ok(h.vertex.last?.body.equals(sent), 'upstream received exactly the client bytes');
  t.equal(h.vertex.last?.headers['content-length'], String(sent.length));
});

t.test('non-streaming JSON answers are not altered either', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  const answer = Buffer.from('{"id":"x",  "choices":[{"message":{"content":"d\\u00e9j\\u00e0 vu — ok"}}] ,"object":"chat.completion"}\n');
  h.vertex.next((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
  const call = rawCall(url + CHAT_PATH, JSON.stringify(CHAT_BODY));
  const res = await call.response;
  const body = await call.done;
  t.ok(body.equals(answer));
  t.equal(res.headers['x-accel-buffering'], undefined, 'no SSE headers on plain JSON');
});

t.test('an upstream that dies mid-stream cuts the client stream; the daemon carries on', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  h.vertex.next((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"delta":{"content":"partial"}}]}\n\n', () => res.socket?.destroy());
  });
  const call = rawCall(url + CHAT_PATH, JSON.stringify({ ...CHAT_BODY, stream: true }));
  await t.rejects(call.done, 'the client sees the stream end early, not a clean end');
  t.match(call.received().toString('utf8'), /partial/, 'after the bytes that did arrive');

  const next = rawCall(url + CHAT_PATH, JSON.stringify(CHAT_BODY));
  t.equal((await next.response).statusCode, 200, 'the daemon still serves');
  await next.done;
  const logs = h.logs.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { code?: string }; incomplete?: boolean });
  t.notOk(logs.some((line) => line.level >= 50), 'nothing logged at error level');
  t.match(logs.find((line) => line.level === 40), { msg: 'upstream stream broke off; client response cut', err: { code: 'UND_ERR_SOCKET' } }, 'a warning says why');
  t.match(logs.find((line) => line.msg === 'request'), { status: 200, incomplete: true }, 'the request line says it did not finish');
});
