// The Gemini 3 compatibility on the passthrough route, against the fake Vertex
// (strict fields, Gemini 3 signatures): signatures noted from answers and put
// back by the upstream model's rules, then the alias, then dropped keys; the
// prepared bytes resent on the 401 replay and on failover; the sentinel and
// its switch; other models and bodies left byte for byte.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { googleError } from './helpers/fake-vertex.ts';
import { JSON_HEADERS, startHarness, type Harness } from './helpers/harness.ts';
import { post } from './helpers/requests.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

const GEMINI_3 = 'google/gemini-3-flash-preview';
const GEMINI_25 = 'google/gemini-2.5-flash';
const SENTINEL = 'skip_thought_signature_validator';
const QUESTION = { role: 'user', content: 'Weather in Paris?' };
const CALL = { name: 'get_weather', arguments: '{"city":"Paris"}' };
const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

function writeConfig(content: unknown): string {
  const path = join(scratchDir('vop-config-'), 'proxy.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** The follow-up a client sends after running the tool, the assistant message rebuilt without `extra_content`. */
function followUp(id: string, extra: Record<string, unknown> = {}, signature?: string) {
  const call: Record<string, unknown> = { id, type: 'function', function: CALL };
  if (signature !== undefined) call.extra_content = { google: { thought_signature: signature } };
  return {
    messages: [QUESTION, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: id, content: 'sunny' }],
    tools: TOOLS,
    ...extra,
  };
}

async function metric(h: Harness, name: string): Promise<number> {
  const text = (await h.app.inject({ method: 'GET', url: '/metrics', headers: JSON_HEADERS })).body;
  const line = text.split('\n').find((l) => l.startsWith(`vertex_openai_proxy_${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

function adjustments(h: Harness): Array<Record<string, unknown>> {
  return h.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request body adjusted for Vertex');
}

t.test('an alias to Gemini 3: the signature put back by the upstream model, then the alias, then dropped keys', async (t) => {
  const h = await startHarness(t, { env: { PROXY_CONFIG: writeConfig({ models: { 'team-model': { model: GEMINI_3 } } }) } });
  h.vertex.chat.queue({ toolCalls: [CALL] }, { text: 'Sunny.' });

  const first = await post(h, { model: 'team-model', store: true, stream: true, messages: [QUESTION], tools: TOOLS });
  t.equal(first.statusCode, 200);
  t.match(first.body, /thought_signature/, 'the streamed answer reaches the client as sent');
  const [id, signature] = [...h.vertex.chat.signatures][0] ?? [];
  t.ok(id && signature);
  t.equal(h.signatures.recall(id ?? ''), signature, 'noted while the stream was relayed');

  // Compact JSON throughout, so the expected bytes can be written as JSON.stringify.
  const sent = JSON.stringify({ model: 'team-model', store: true, ...followUp(id ?? ''), metadata: { team: 'a' } });
  const second = await post(h, sent);
  t.equal(second.statusCode, 200, second.body);
  t.equal(JSON.parse(second.body).choices[0].message.content, 'Sunny.');
  const expected = JSON.stringify({ model: GEMINI_3, ...followUp(id ?? '', {}, signature) });
  t.equal(h.vertex.last?.body.toString(), expected, 'signature restored, model spliced, store and metadata gone, nothing else changed');
  t.same(h.vertex.chat.rejections, []);

  t.match(adjustments(h), [{ dropped: ['store'] }, { dropped: ['store', 'metadata'], restored: 1, sentinels: 0, base64: false }]);
  t.equal(await metric(h, 'thought_signatures_restored_total'), 1);
  t.equal(await metric(h, 'thought_signatures_remembered_total'), 1);
  t.equal(await metric(h, 'thought_signature_sentinels_total'), 0);
  t.equal(await metric(h, 'params_dropped_total{param="store"}'), 2);
  t.equal(await metric(h, 'params_dropped_total{param="metadata"}'), 1);
});

t.test('a non-streamed answer is noted too', async (t) => {
  const h = await startHarness(t);
  h.vertex.chat.queue({ toolCalls: [CALL, { name: 'get_weather', arguments: '{"city":"Lyon"}' }] });
  t.equal((await post(h, { model: GEMINI_3, messages: [QUESTION], tools: TOOLS })).statusCode, 200);
  const [[id, signature]] = [...h.vertex.chat.signatures] as [[string, string]];
  t.equal(h.signatures.recall(id), signature);
  t.equal(h.signatures.size, 1, 'parallel calls: only the first is signed');
});

t.test('the 401 replay and failover resend the prepared bytes', async (t) => {
  const config = writeConfig({ models: { g3: { model: GEMINI_3, location: ['europe-west1', 'europe-west4'] } } });
  const h = await startHarness(t, { env: { PROXY_CONFIG: config } });
  h.signatures.remember('call_known', 'sig-known');
  await h.ageToken();
  h.vertex.next((_req, _body, res) => googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
  h.vertex.next((_req, _body, res) => googleError(res, 503, 'UNAVAILABLE', 'Try again.'));

  const res = await post(h, { model: 'g3', store: true, ...followUp('call_known') });
  t.equal(res.statusCode, 200, res.body);
  const expected = JSON.stringify({ model: GEMINI_3, ...followUp('call_known', {}, 'sig-known') });
  t.same(
    h.vertex.requests.map((r) => r.body.toString()),
    [expected, expected, expected],
  );
  t.same(
    h.vertex.requests.map((r) => /locations\/([^/]+)/.exec(r.url)?.[1]),
    ['europe-west1', 'europe-west1', 'europe-west4'],
    'replayed at the same location, then failed over',
  );
  t.equal(await metric(h, 'thought_signatures_restored_total'), 1, 'prepared once');
});

t.test('an unknown tool call: the sentinel, or with the fallback off the bytes as sent', async (t) => {
  const raw = JSON.stringify({ model: GEMINI_3, ...followUp('call_from_elsewhere') });

  t.test('fallback on (the default)', async (t) => {
    const h = await startHarness(t);
    t.equal((await post(h, raw)).statusCode, 200);
    t.same(h.vertex.chat.followUps.map((f) => f.toolCalls.map((c) => c.signature)), [[SENTINEL]]);
    t.equal(await metric(h, 'thought_signature_sentinels_total'), 1);
    t.match(adjustments(h), [{ dropped: [], restored: 0, sentinels: 1 }]);
  });

  t.test('fallback off', async (t) => {
    const h = await startHarness(t, { env: { PROXY_THOUGHT_SIGNATURE_FALLBACK: 'false' } });
    const refused = await post(h, raw);
    t.equal(refused.statusCode, 400, "Vertex's refusal reaches the client");
    t.match(JSON.parse(refused.body).error.message, /missing a thought_signature/);
    t.equal(h.vertex.last?.body.toString(), raw, 'forwarded byte for byte');
    t.same(adjustments(h), []);

    h.signatures.remember('call_from_elsewhere', 'sig-remembered');
    t.equal((await post(h, raw)).statusCode, 200, 'the memory still works');
    t.same(h.vertex.chat.followUps.at(-1)?.toolCalls.map((c) => c.signature), ['sig-remembered']);
  });
});

t.test('a signature the client sent wins', async (t) => {
  const h = await startHarness(t);
  h.signatures.remember('call_1', 'sig-remembered');
  const raw = JSON.stringify({ model: GEMINI_3, ...followUp('call_1', {}, 'sig-client') });
  t.equal((await post(h, raw)).statusCode, 200);
  t.equal(h.vertex.last?.body.toString(), raw);
});

t.test('other models are never touched, and their answers not tapped', async (t) => {
  const h = await startHarness(t);
  h.vertex.chat.queue({ toolCalls: [{ ...CALL, id: 'call_25', signature: 'sig-25' }] });
  t.equal((await post(h, { model: GEMINI_25, messages: [QUESTION], tools: TOOLS })).statusCode, 200);
  t.equal(h.signatures.size, 0, 'a Gemini 2.5 answer is relayed without a tap');

  const raw = ` {"messages" : ${JSON.stringify(followUp('call_25').messages)}, "model":"${GEMINI_25}" }`;
  t.equal((await post(h, raw)).statusCode, 200);
  t.equal(h.vertex.last?.body.toString(), raw, 'byte for byte, tool calls without signatures and all');
});

t.test('dropParams: top-level keys only, every operation, a route may keep them', async (t) => {
  const config = writeConfig({ models: { vllm: { endpoint: '1234567890', dropParams: [] } } });
  const h = await startHarness(t, { env: { PROXY_CONFIG: config }, vertex: { strictFields: false } });

  const nested = '{"model":"google/gemini-2.5-flash","messages":[{"role":"user","content":"hi","metadata":{"store":true}}],"user":"u1"}';
  t.equal((await post(h, nested)).statusCode, 200);
  t.equal(h.vertex.last?.body.toString(), '{"model":"google/gemini-2.5-flash","messages":[{"role":"user","content":"hi","metadata":{"store":true}}]}');

  t.equal((await post(h, '{"user":"u1", "model":"google/gemini-2.5-flash","prompt":"hi"}', { path: '/v1/completions' })).statusCode, 200);
  t.equal(h.vertex.last?.body.toString(), '{"model":"google/gemini-2.5-flash","prompt":"hi"}');

  t.equal((await post(h, '{"model":"text-embedding-005","input":"hi","user":"u1"}', { path: '/v1/embeddings' })).statusCode, 200);
  t.equal(h.vertex.last?.body.toString(), '{"model":"text-embedding-005","input":"hi"}');

  const kept = '{"model":"vllm","messages":[],"store":true,"metadata":{"a":"b"}}';
  t.equal((await post(h, kept)).statusCode, 200);
  t.equal(h.vertex.last?.body.toString(), kept, "a route's own empty list keeps every key");
});

t.test('PROXY_DROP_PARAMS replaces the default list', async (t) => {
  const h = await startHarness(t, { env: { PROXY_DROP_PARAMS: 'temperature' }, vertex: { strictFields: false } });
  t.equal((await post(h, '{"model":"m","messages":[],"temperature":0.5,"store":true}')).statusCode, 200);
  t.equal(h.vertex.last?.body.toString(), '{"model":"m","messages":[],"store":true}');
});
