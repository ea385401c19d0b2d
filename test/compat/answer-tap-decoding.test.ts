// The answer tap on compressed answers: gzip, deflate and br are decoded on the
// side (the relayed bytes stay compressed); a broken body, an unknown encoding
// or a gzip bomb stop the tap and never the relay.

import zlib from 'node:zlib';
import t from 'tap';
import { AnswerTap } from '../../src/compat/answer-tap.ts';
import { EXPECTED, GEMINI_STREAM, JSON_ANSWER, Recorder } from './answer-tap-fixtures.ts';

t.test('compressed answers are decoded on the side', async (t) => {
  const encoders: Record<string, (b: Buffer) => Buffer> = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync };
  for (const [encoding, encode] of Object.entries(encoders)) {
    const sseBytes = encode(Buffer.from(GEMINI_STREAM));
    for (const at of [0, 1, Math.floor(sseBytes.length / 2), sseBytes.length - 1]) {
      const recorder = new Recorder();
      const tap = new AnswerTap('sse', recorder, { contentEncoding: encoding });
      tap.write(sseBytes.subarray(0, at));
      tap.write(sseBytes.subarray(at));
      tap.end();
      await tap.finished;
      t.same(Object.fromEntries(recorder.seen), EXPECTED, `${encoding} SSE split at ${at}`);
    }
    const recorder = new Recorder();
    const tap = new AnswerTap('json', recorder, { contentEncoding: encoding.toUpperCase() });
    tap.write(encode(Buffer.from(JSON_ANSWER)));
    tap.end();
    await tap.finished;
    t.same(Object.fromEntries(recorder.seen), { 'fc-1': 'J1' }, `${encoding} JSON`);
  }
});

t.test('a broken compressed answer or an unknown encoding records nothing and settles', async (t) => {
  const broken = new AnswerTap('sse', new Recorder(), { contentEncoding: 'gzip' });
  broken.write(Buffer.from('not gzip at all'));
  broken.end();
  await broken.finished;
  t.equal(broken.recorded, 0);
  const unknown = new AnswerTap('sse', new Recorder(), { contentEncoding: 'zstd' });
  unknown.write(Buffer.from(GEMINI_STREAM));
  unknown.end();
  await unknown.finished;
  t.equal(unknown.recorded, 0);
});

t.test('a compressed answer that inflates past the decode cap (a gzip bomb) stops the tap, not the relay', async (t) => {
  // 8 MiB of newlines compress to a few KiB; here the cap is 1 MiB (256 MiB by default).
  const bomb = zlib.gzipSync(Buffer.concat([Buffer.alloc(8 * 1024 * 1024, 0x0a), Buffer.from(GEMINI_STREAM)]));
  const tap = new AnswerTap('sse', new Recorder(), { contentEncoding: 'gzip', maxDecodedBytes: 1024 * 1024 });
  tap.write(bomb);
  tap.end();
  await tap.finished;
  t.equal(tap.recorded, 0, 'nothing recorded, and the tap settled');
});
