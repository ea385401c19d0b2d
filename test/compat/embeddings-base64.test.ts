// Base64 embeddings for clients that ask for them, from Vertex's float arrays.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import t from 'tap';
import { embeddingsToBase64, float32Base64, planEmbeddingsRequest } from '../../src/compat/embeddings-base64.ts';

const VECTORS = [
  [1, -2, 0.5],
  [0.1, -0.000123456789, 3.4028234663852886e38, 1e-45, 0, -0, 12345.678],
  Array.from({ length: 768 }, (_, i) => Math.sin(i) / (i + 1)),
];

const floatAnswer = (vectors: number[][]) => ({
  object: 'list',
  data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
  model: 'gemini-embedding-001',
  usage: { prompt_tokens: 3, total_tokens: 3 },
});

t.test('float32Base64 is little-endian float32, as OpenAI encodes it', async (t) => {
  t.equal(float32Base64([1, -2, 0.5]), 'AACAPwAAAMAAAAA/');
  t.equal(float32Base64([]), '');
  const decoded = Buffer.from(float32Base64(VECTORS[1] as number[]), 'base64');
  t.same(
    Array.from({ length: decoded.length / 4 }, (_, i) => decoded.readFloatLE(i * 4)),
    (VECTORS[1] as number[]).map(Math.fround),
  );
});

t.test("the openai SDK decodes the converted answer to the same float32 values", async (t) => {
  const converted = embeddingsToBase64(Buffer.from(JSON.stringify(floatAnswer(VECTORS))));
  let asked: unknown;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      asked = JSON.parse(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(converted);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const client = new OpenAI({ apiKey: 'unused', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 });
  const res = await client.embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'b', 'c'] });
  t.match(asked, { encoding_format: 'base64' }, 'the SDK asked for base64 by default');
  t.same(res.data.map((d) => d.embedding), VECTORS.map((v) => v.map(Math.fround)));
  t.same(res.usage, { prompt_tokens: 3, total_tokens: 3 }, 'the rest of the answer is kept');
});

t.test('answers that need nothing come back as the same Buffer', async (t) => {
  for (const text of [
    '{"object":"list","data":[{"embedding":"AACAPw=="}]}',
    '{"object":"list","data":[]}',
    '{"error":{"message":"bad"}}',
    'not json',
    '[1,2]',
    '{"data":[{"embedding":[1,"x"]},null,7]}',
  ]) {
    const raw = Buffer.from(text);
    t.equal(embeddingsToBase64(raw), raw, text);
  }
});

t.test('only base64 requests change: encoding_format leaves, the rest is byte for byte', async (t) => {
  for (const parsed of [true, false]) {
    const plan = (text: string) => {
      const raw = Buffer.from(text);
      const result = planEmbeddingsRequest(raw, parsed ? (JSON.parse(text) as Record<string, unknown>) : undefined);
      return { ...result, same: result.body === raw, text: result.body.toString() };
    };
    const b64 = plan('{"model":"text-embedding-005", "input":["x"],"encoding_format":"base64" ,"dimensions":256}');
    t.equal(b64.base64, true);
    t.equal(b64.text, '{"model":"text-embedding-005", "input":["x"] ,"dimensions":256}');
    t.equal(plan('{"model":"m","input":"x","encoding_format":"bas\\u006564"}').base64, true, 'an escaped spelling too');
    const known = planEmbeddingsRequest(Buffer.from('{"model":"m","input":"x","encoding\\u005fformat":"base64"}'), undefined, true);
    t.same({ base64: known.base64, body: known.body.toString() }, { base64: true, body: '{"model":"m","input":"x"}' }, 'a key the scan found, in an escaped spelling');
    for (const text of ['{"model":"m","input":"x","encoding_format":"float"}', '{"model":"m","input":"x"}', '{"model":"m","input":"base64","user":"base64"}']) {
      const p = plan(text);
      t.equal(p.base64, false);
      t.ok(p.same, text);
    }
  }
});
