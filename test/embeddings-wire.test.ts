// Embeddings asked for as base64 (the openai SDKs' default) through the proxy:
// Vertex gets a float request and answers floats; the client gets each vector
// as base64 of little-endian float32, as OpenAI sends it.

import t from 'tap';
import OpenAI from 'openai';
import { embedding } from './helpers/fake-vertex.ts';
import { startHarness } from './helpers/harness.ts';
import { post } from './helpers/requests.ts';

const MODEL = 'text-embedding-005';
const VECTOR = embedding().data[0]?.embedding as number[];

function float32Base64(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

t.test('the openai SDK, as it ships: base64 asked, float32 vectors decoded', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const result = await openai.embeddings.create({ model: MODEL, input: 'hello' });
  t.same(Array.from(result.data[0]?.embedding ?? []), Array.from(new Float32Array(VECTOR)), 'the vector, at float32 precision');
  const forwarded = JSON.parse(h.vertex.last?.body.toString() ?? '{}') as Record<string, unknown>;
  t.notOk('encoding_format' in forwarded, 'Vertex gets a float request');
  t.equal(h.vertex.last?.headers['accept-encoding'], 'identity', 'and is asked for a plain answer');
});

t.test('the wire: base64 strings, a correct length, the rest of the answer as it was', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  const raw = '{"input":["a"], "encoding_format" : "base64", "model":"text-embedding-005"}';
  const res = await fetch(`${url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br' },
    body: raw,
  });
  t.equal(res.status, 200);
  const text = await res.text();
  t.equal(Number(res.headers.get('content-length')), Buffer.byteLength(text), 'the length of the converted answer');
  const answer = JSON.parse(text);
  t.same(answer, { ...embedding(MODEL), data: [{ object: 'embedding', index: 0, embedding: float32Base64(VECTOR) }] });
  t.equal(h.vertex.last?.body.toString(), '{"input":["a"], "model":"text-embedding-005"}', 'only encoding_format removed');
});

t.test('an escaped spelling of the key is still base64 asked', async (t) => {
  const h = await startHarness(t);
  const res = await post(h, '{"model":"text-embedding-005","input":"a","encoding\\u005fformat":"base64"}', { path: '/v1/embeddings' });
  t.equal(res.statusCode, 200);
  t.same(JSON.parse(res.body).data[0].embedding, float32Base64(VECTOR));
  t.equal(h.vertex.last?.body.toString(), '{"model":"text-embedding-005","input":"a"}');
});

t.test('float or no encoding_format: forwarded and answered as they are', async (t) => {
  const h = await startHarness(t);
  for (const raw of ['{"model":"text-embedding-005","input":"a","encoding_format":"float"}', '{"model":"text-embedding-005","input":"a"}']) {
    const res = await post(h, raw, { path: '/v1/embeddings' });
    t.equal(res.statusCode, 200);
    t.same(JSON.parse(res.body).data[0].embedding, VECTOR);
    t.equal(h.vertex.last?.body.toString(), raw);
  }
});

t.test('an upstream error to a base64 request is relayed as an error', async (t) => {
  const h = await startHarness(t);
  h.vertex.next((_req, _body, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 400, message: 'bad input', status: 'INVALID_ARGUMENT' } }));
  });
  const res = await post(h, '{"model":"text-embedding-005","input":"a","encoding_format":"base64"}', { path: '/v1/embeddings' });
  t.equal(res.statusCode, 400);
  t.match(JSON.parse(res.body), { error: { message: /bad input/ } });
});

t.test('a float answer that breaks off after its headers: 502 saying so, as on every other path', async (t) => {
  const h = await startHarness(t);
  h.vertex.next((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"object":"list","data":[{"embedding":[0.1,', () => res.socket?.destroy());
  });
  const res = await post(h, '{"model":"text-embedding-005","input":"a","encoding_format":"base64"}', { path: '/v1/embeddings' });
  t.equal(res.statusCode, 502);
  t.match(JSON.parse(res.body), { error: { code: 'upstream_invalid_response', message: /^The upstream answer broke off before its end/ } });
});
