// The fake Vertex behaves like Vertex where tests rely on it: it refuses chat
// fields Vertex does not know, and for Gemini 3 it signs tool calls and refuses
// a follow-up that drops the signature (unless it carries Google's sentinel).

import t from 'tap';
import { startFakeVertex, type FakeVertex } from './helpers/fake-vertex.ts';
import { signatureFor } from './helpers/gemini3.ts';

const PATH = '/v1/projects/p/locations/global/endpoints/openapi/chat/completions';
const GEMINI_3 = 'google/gemini-3-flash-preview';
const CALL = { name: 'get_weather', arguments: '{"city":"Paris"}' };

async function post(vertex: FakeVertex, body: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${vertex.baseUrl}${PATH}`, {
    method: 'POST',
    headers: { authorization: 'Bearer token', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function followUp(model: string, toolCall: object) {
  return {
    model,
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [toolCall] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ],
  };
}

const unsigned = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } };
const signed = (signature: string) => ({ ...unsigned, extra_content: { google: { thought_signature: signature } } });

t.test('unknown top-level chat fields get Vertex 400, one violation each', async (t) => {
  const vertex = await startFakeVertex();
  t.teardown(() => vertex.close());
  const { status, json } = await post(vertex, { model: 'google/gemini-2.5-flash', messages: [], store: false, metadata: {} });
  t.equal(status, 400);
  t.equal(json.error.code, 400);
  t.equal(json.error.status, 'INVALID_ARGUMENT');
  t.equal(json.error.message, 'Invalid JSON payload received. Unknown name "store": Cannot find field.\nInvalid JSON payload received. Unknown name "metadata": Cannot find field.');
  t.same(
    json.error.details[0].fieldViolations.map((v: { description: string }) => v.description),
    json.error.message.split('\n'),
  );
  t.same(vertex.chat.rejections.map((r) => r.reason), ['unknown-fields']);

  const ok = await post(vertex, { model: 'm', messages: [], stream_options: { include_usage: true }, extra_body: {}, temperature: 0 });
  t.equal(ok.status, 200, 'documented fields, extra_body and stream_options pass');
});

t.test('strictFields: false and extraFields let other fields through', async (t) => {
  const lax = await startFakeVertex({ strictFields: false });
  const extra = await startFakeVertex({ extraFields: ['user'] });
  t.teardown(() => Promise.all([lax.close(), extra.close()]));
  t.equal((await post(lax, { model: 'm', messages: [], store: true })).status, 200);
  t.equal((await post(extra, { model: 'm', messages: [], user: 'u' })).status, 200);
  t.equal((await post(extra, { model: 'm', messages: [], store: true })).status, 400);
});

t.test('a body that is not a JSON object is refused', async (t) => {
  const vertex = await startFakeVertex();
  t.teardown(() => vertex.close());
  t.equal((await post(vertex, [1, 2])).status, 400);
  t.same(vertex.chat.rejections.map((r) => r.reason), ['invalid-json']);
});

t.test('Gemini 3 signs the first tool call of an answer, in the message and in the stream', async (t) => {
  const vertex = await startFakeVertex();
  t.teardown(() => vertex.close());
  vertex.chat.queue({ toolCalls: [CALL, { ...CALL, arguments: '{"city":"Rome"}' }] }, { toolCalls: [CALL] });

  const plain = await post(vertex, { model: GEMINI_3, messages: [{ role: 'user', content: 'hi' }] });
  const [first, second] = plain.json.choices[0].message.tool_calls;
  t.equal(plain.json.choices[0].finish_reason, 'tool_calls');
  t.equal(first.extra_content.google.thought_signature, vertex.chat.signatures.get(first.id));
  t.equal(first.extra_content.google.thought_signature, signatureFor(first.id));
  t.notOk('extra_content' in second, 'parallel calls: only the first is signed');

  const streamed = await post(vertex, { model: GEMINI_3, messages: [{ role: 'user', content: 'hi' }], stream: true });
  const chunks = streamed.text
    .split('\n\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => JSON.parse(line.slice(6)));
  const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
  const opening = deltas.find((delta) => delta.id);
  t.equal(opening.extra_content.google.thought_signature, vertex.chat.signatures.get(opening.id), 'the delta that opens the call carries it');
  t.equal(deltas.map((delta) => delta.function.arguments).join(''), CALL.arguments);
  t.ok(streamed.text.endsWith('data: [DONE]\n\n'));
});

t.test('Gemini 3 refuses a follow-up whose tool call lost its signature, with Google message', async (t) => {
  const vertex = await startFakeVertex();
  t.teardown(() => vertex.close());
  const { status, json } = await post(vertex, followUp(GEMINI_3, unsigned));
  t.equal(status, 400);
  t.equal(json.error.status, 'INVALID_ARGUMENT');
  t.match(json.error.message, /^Function call is missing a thought_signature in functionCall parts\./);
  t.match(json.error.message, 'function call `default_api:get_weather` , position 2.');
  t.same(vertex.chat.followUps, [{ model: GEMINI_3, toolCalls: [{ id: 'call_1', name: 'get_weather', signature: undefined }], accepted: false }]);
  t.same(vertex.chat.rejections.map((r) => r.reason), ['missing-signature']);
});

t.test('Gemini 3 accepts the real signature and the documented sentinel, and records which came back', async (t) => {
  const vertex = await startFakeVertex();
  t.teardown(() => vertex.close());
  t.equal((await post(vertex, followUp(GEMINI_3, signed(signatureFor('call_1'))))).status, 200);
  t.equal((await post(vertex, followUp(GEMINI_3, signed('skip_thought_signature_validator')))).status, 200);
  t.same(
    vertex.chat.followUps.map((f) => [f.accepted, f.toolCalls[0]?.signature]),
    [
      [true, signatureFor('call_1')],
      [true, 'skip_thought_signature_validator'],
    ],
  );
});

t.test('only the current turn is checked, and only for Gemini 3 models', async (t) => {
  const vertex = await startFakeVertex();
  t.teardown(() => vertex.close());
  const older = followUp(GEMINI_3, unsigned);
  older.messages.push({ role: 'assistant', content: 'sunny' }, { role: 'user', content: 'thanks' });
  t.equal((await post(vertex, older)).status, 200, 'a tool call before the last user message is not validated');
  t.equal((await post(vertex, followUp('google/gemini-2.5-flash', unsigned))).status, 200, 'Gemini 2.5 does not require it');
  const off = await startFakeVertex({ gemini3: false });
  t.teardown(() => off.close());
  t.equal((await post(off, followUp(GEMINI_3, unsigned))).status, 200, 'gemini3: false turns it off');
});

t.test('scripts: queued answers first, one each, then the persistent script, then the default', async (t) => {
  const vertex = await startFakeVertex({ script: (body) => (body.tools ? { toolCalls: [CALL] } : undefined) });
  t.teardown(() => vertex.close());
  vertex.chat.queue({ text: 'queued' }, (body) => ({ text: `saw ${String(body.model)}` }));
  const texts = [];
  for (let i = 0; i < 3; i++) texts.push((await post(vertex, { model: 'm', messages: [] })).json.choices[0].message.content);
  t.same(texts, ['queued', 'saw m', 'Hello from fake Vertex']);
  const tool = await post(vertex, { model: 'm', messages: [], tools: [{ type: 'function', function: { name: 'get_weather' } }] });
  t.equal(tool.json.choices[0].message.tool_calls[0].function.name, 'get_weather');
  t.notOk('extra_content' in tool.json.choices[0].message.tool_calls[0], 'no signature outside Gemini 3');
});
