// The real `openai` SDK against the proxy on a real port: chat, streaming chat
// and embeddings, all with a dummy key, all carrying the shared ADC token; and
// the SDK's own retry of a credential 503, honouring its Retry-After.

import t from 'tap';
import OpenAI from 'openai';
import { CREDENTIAL_RETRY_AFTER_SECONDS } from '../src/credentials/errors.ts';
import { startHarness } from './helpers/harness.ts';

t.test('openai SDK: chat, streaming chat and embeddings through the proxy', async (t) => {
  const h = await startHarness(t);
  const baseURL = `${await h.listen()}/v1`;
  const client = new OpenAI({ baseURL, apiKey: 'sk-dummy-client-key', maxRetries: 0 });

  const chat = await client.chat.completions.create({
    model: 'google/gemini-2.5-flash',
    messages: [{ role: 'user', content: 'hi' }],
  });
  t.equal(chat.choices[0]?.message.content, 'Hello from fake Vertex');

  const stream = await client.chat.completions.create({
    model: 'google/gemini-2.5-flash',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  const parts: string[] = [];
  for await (const event of stream) parts.push(event.choices[0]?.delta.content ?? '');
  t.same(parts, ['part0 ', 'part1 ', 'part2 ']);

  const embeddings = await client.embeddings.create({ model: 'text-embedding-005', input: 'hello' });
  // The SDK asks for base64; the proxy encodes Vertex's floats as OpenAI does, as float32.
  t.same(embeddings.data[0]?.embedding, Array.from(new Float32Array([0.1, 0.2, 0.3])));

  t.equal(h.vertex.requests.length, 3);
  for (const request of h.vertex.requests) {
    t.equal(request.headers.authorization, `Bearer ${h.metadata.latestToken}`, 'carries the ADC token');
    t.notOk(JSON.stringify(request.headers).includes('sk-dummy-client-key'), 'client key never reaches Google');
  }
  t.equal(h.vertex.requests[0]?.url, '/v1/projects/fake-project/locations/global/endpoints/openapi/chat/completions');
  t.equal(h.vertex.requests[2]?.url, '/v1/projects/fake-project/locations/global/endpoints/openapi/embeddings');
  t.equal(h.metadata.tokenFetches, 1, 'one token for all three requests');
});

t.test('openai SDK: a credential 503 is retried after its Retry-After', async (t) => {
  const h = await startHarness(t);
  const baseURL = `${await h.listen()}/v1`;
  const seen: { status: number; sentAt: number; answeredAt: number }[] = [];
  const watching: typeof fetch = async (input, init) => {
    const sentAt = performance.now();
    const res = await fetch(input, init);
    seen.push({ status: res.status, sentAt, answeredAt: performance.now() });
    // The outage ends with its first 503.
    h.metadata.failWith = undefined;
    return res;
  };
  const client = new OpenAI({ baseURL, apiKey: 'sk-dummy-client-key', maxRetries: 1, fetch: watching });
  h.metadata.failWith = 500;
  const chat = await client.chat.completions.create({ model: 'google/gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(chat.choices[0]?.message.content, 'Hello from fake Vertex');
  t.same(seen.map((s) => s.status), [503, 200]);
  const [first, retry] = seen as [(typeof seen)[0], (typeof seen)[0]];
  // Without the header it would wait its own 0.5 s (less jitter).
  t.ok(retry.sentAt - first.answeredAt >= CREDENTIAL_RETRY_AFTER_SECONDS * 1000 - 50, 'the SDK waited what Retry-After said');
});
