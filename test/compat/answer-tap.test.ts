// The answer tap notes tool-call signatures while the bytes pass untouched.
// Compressed answers: answer-tap-decoding.test.ts.

import { PassThrough, Readable } from 'node:stream';
import t from 'tap';
import { AnswerTap, answerFormat, tapAnswer, type AnswerFormat } from '../../src/compat/answer-tap.ts';
import { chunk, EXPECTED, GEMINI_STREAM, JSON_ANSWER, Recorder, sig, sse } from './answer-tap-fixtures.ts';

function run(format: AnswerFormat, pieces: Buffer[]): Recorder {
  const recorder = new Recorder();
  const tap = new AnswerTap(format, recorder);
  for (const piece of pieces) tap.write(piece);
  tap.end();
  return recorder;
}

function everySplit(text: string): Array<[number, Buffer[]]> {
  const bytes = Buffer.from(text, 'utf8');
  const out: Array<[number, Buffer[]]> = [];
  for (let i = 0; i <= bytes.length; i++) out.push([i, [bytes.subarray(0, i), bytes.subarray(i)]]);
  return out;
}

t.test('SSE: records each tool call signature, split at every byte boundary', async (t) => {
  for (const eol of ['\n', '\r\n']) {
    const text = GEMINI_STREAM.replaceAll('\n\n', eol + eol);
    for (const [at, pieces] of everySplit(text)) {
      const seen = Object.fromEntries(run('sse', pieces).seen);
      if (JSON.stringify(seen) !== JSON.stringify(EXPECTED)) t.fail(`split at byte ${at} (${JSON.stringify(eol)}): ${JSON.stringify(seen)}`);
    }
  }
  const bytes = Buffer.from(GEMINI_STREAM);
  t.same(Object.fromEntries(run('sse', [...bytes].map((b) => Buffer.from([b]))).seen), EXPECTED, 'one byte at a time');
  t.same(Object.fromEntries(run('sse', [bytes]).seen), EXPECTED, 'all at once');
});

t.test('SSE: OpenAI-style deltas with index, id first and signature later', async (t) => {
  const stream = sse([
    chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' }, extra_content: sig('S_A') }] }),
    chunk({ tool_calls: [{ index: 1, extra_content: sig('S_B') }] }),
  ]);
  t.same(Object.fromEntries(run('sse', [Buffer.from(stream)]).seen), { call_a: 'S_A', call_b: 'S_B' });
});

t.test('SSE: a signature before its id, and several choices', async (t) => {
  const stream = sse([
    chunk({ tool_calls: [{ index: 0, extra_content: sig('EARLY') }] }, 1),
    chunk({ tool_calls: [{ index: 0, id: 'second-choice', function: { name: 'f', arguments: '{}' } }] }, 1),
    chunk({ tool_calls: [{ index: 0, id: 'first-choice', function: { name: 'f', arguments: '{}' }, extra_content: sig('FIRST') }] }, 0),
  ]);
  t.same(Object.fromEntries(run('sse', [Buffer.from(stream)]).seen), { 'second-choice': 'EARLY', 'first-choice': 'FIRST' });
});

t.test('SSE: a signature-only delta after parallel calls belongs to the first of them, as Gemini signs only the first', async (t) => {
  const stream = sse([
    chunk({ tool_calls: [{ id: 'fc-a', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
    chunk({ tool_calls: [{ id: 'fc-b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
    chunk({ tool_calls: [{ extra_content: sig('SIG_A') }] }),
  ]);
  t.same(Object.fromEntries(run('sse', [Buffer.from(stream)]).seen), { 'fc-a': 'SIG_A' });
  // A call signed in its own delta, then a later call and its own late signature.
  const sequential = sse([
    chunk({ tool_calls: [{ id: 'fc-a', type: 'function', function: { name: 'f', arguments: '{}' }, extra_content: sig('SIG_A') }] }),
    chunk({ tool_calls: [{ id: 'fc-b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
    chunk({ tool_calls: [{ extra_content: sig('SIG_B') }] }),
  ]);
  t.same(Object.fromEntries(run('sse', [Buffer.from(sequential)]).seen), { 'fc-a': 'SIG_A', 'fc-b': 'SIG_B' });
});

t.test('SSE: answers without signatures record nothing', async (t) => {
  const vllm = sse([
    chunk({ role: 'assistant', content: '' }),
    chunk({ tool_calls: [{ index: 0, id: 'chatcmpl-tool-1', type: 'function', function: { name: 'f', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
    '[DONE]',
  ]);
  const text = sse([chunk({ content: 'just text, mentioning "tool_calls" and thought_signature as words' }), '[DONE]']);
  t.equal(run('sse', [Buffer.from(vllm)]).seen.size, 0);
  t.equal(run('sse', [Buffer.from(text)]).seen.size, 0);
});

t.test('SSE: malformed events, comments and a final line without newline are harmless', async (t) => {
  const stream = ': keep-alive\n\nevent: message\ndata: {"choices":[{"delta":{"tool_calls":[{"id":\n\n' +
    `data: ${JSON.stringify(chunk({ tool_calls: [{ id: 'x', extra_content: sig('SX') }] }))}`;
  t.same(Object.fromEntries(run('sse', [Buffer.from(stream)]).seen), { x: 'SX' });
});

t.test('SSE: a line longer than the hold limit is skipped, the next one is read', async (t) => {
  const recorder = new Recorder();
  const tap = new AnswerTap('sse', recorder, { maxHeldBytes: 250 });
  const long = `data: ${JSON.stringify(chunk({ tool_calls: [{ id: 'long', extra_content: sig('L'.repeat(400)) }] }))}\n\n`;
  const short = `data: ${JSON.stringify(chunk({ tool_calls: [{ id: 's', extra_content: sig('S') }] }))}\n\n`;
  for (const piece of [long.slice(0, 40), long.slice(40, 300), long.slice(300), short.slice(0, 30), short.slice(30)]) tap.write(Buffer.from(piece));
  tap.end();
  t.same(Object.fromEntries(recorder.seen), { s: 'S' });
});

t.test('JSON: records tool call signatures, split at every byte boundary', async (t) => {
  for (const [at, pieces] of everySplit(JSON_ANSWER)) {
    const seen = Object.fromEntries(run('json', pieces).seen);
    if (JSON.stringify(seen) !== JSON.stringify({ 'fc-1': 'J1' })) t.fail(`split at byte ${at}: ${JSON.stringify(seen)}`);
  }
  t.pass('every split');
});

t.test('JSON: bodies without a signature are not parsed, broken ones are harmless', async (t) => {
  t.equal(run('json', [Buffer.from('{"choices":[{"message":{"tool_calls":[{"id":"x"}]}}]}')]).seen.size, 0);
  t.equal(run('json', [Buffer.from('{"thought_signature": trunc')]).seen.size, 0);
  const capped = new Recorder();
  const tap = new AnswerTap('json', capped, { maxHeldBytes: 16 });
  tap.write(Buffer.from(JSON_ANSWER));
  tap.end();
  t.equal(capped.seen.size, 0, 'an answer beyond the hold limit is let go');
});

t.test('a sink that throws does not disturb the writer', async (t) => {
  const tap = new AnswerTap('sse', { remember: () => { throw new Error('boom'); } });
  t.doesNotThrow(() => {
    tap.write(Buffer.from(GEMINI_STREAM));
    tap.write(Buffer.from(GEMINI_STREAM));
    tap.end();
  });
});

t.test('tapAnswer passes every byte through unchanged', async (t) => {
  const recorder = new Recorder();
  const bytes = Buffer.from(GEMINI_STREAM);
  const pieces = [bytes.subarray(0, 7), bytes.subarray(7, 300), bytes.subarray(300)];
  const source = Readable.from(pieces, { objectMode: false });
  const tapped = tapAnswer(source, new AnswerTap('sse', recorder));
  t.equal(tapped, source, 'the same stream, not a copy');
  const sink = new PassThrough();
  const received: Buffer[] = [];
  sink.on('data', (c: Buffer) => received.push(c));
  const done = new Promise((resolve) => sink.on('end', resolve));
  tapped.pipe(sink);
  await done;
  t.ok(Buffer.concat(received).equals(bytes));
  t.same(Object.fromEntries(recorder.seen), EXPECTED);
});

t.test('answerFormat: which answers can be tapped', async (t) => {
  const cases: Array<[string | undefined, string | undefined, AnswerFormat | undefined]> = [
    ['text/event-stream', undefined, 'sse'],
    ['text/event-stream; charset=utf-8', '', 'sse'],
    ['application/json', undefined, 'json'],
    ['Application/JSON; charset=UTF-8', 'identity', 'json'],
    ['application/json', 'gzip', 'json'],
    ['text/event-stream', 'br', 'sse'],
    ['text/event-stream', 'Deflate', 'sse'],
    ['application/json', 'zstd', undefined],
    ['text/plain', undefined, undefined],
    [undefined, undefined, undefined],
  ];
  for (const [type, encoding, expected] of cases) t.equal(answerFormat(type, encoding), expected, `${type} ${encoding}`);
});

t.test('counts the signatures it recorded', async (t) => {
  const tap = new AnswerTap('sse', new Recorder());
  tap.write(Buffer.from(GEMINI_STREAM));
  tap.end();
  t.equal(tap.recorded, 3);
  tap.write(Buffer.from(GEMINI_STREAM));
  t.equal(tap.recorded, 3, 'nothing after end()');
});
