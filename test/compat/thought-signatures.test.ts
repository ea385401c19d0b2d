// Missing thought signatures are put back from memory, or the documented
// sentinel is inserted; every request that needs nothing stays byte for byte.

import t from 'tap';
import { SignatureMemory } from '../../src/compat/signature-memory.ts';
import { repairThoughtSignatures, requiresThoughtSignatures, SKIP_SIGNATURE_VALIDATOR } from '../../src/compat/thought-signatures.ts';

const GEMINI = 'google/gemini-3.5-flash';

function memoryWith(entries: Record<string, string>): SignatureMemory {
  const memory = new SignatureMemory({ maxEntries: 100, ttlMs: 60_000 });
  for (const [id, signature] of Object.entries(entries)) memory.remember(id, signature);
  return memory;
}

const call = (id: string, signature?: string) => ({
  id,
  type: 'function',
  function: { name: `fn_${id}`, arguments: '{"q":"ünïcödé 🚀"}' },
  ...(signature === undefined ? {} : { extra_content: { google: { thought_signature: signature } } }),
});
const assistant = (...calls: unknown[]) => ({ role: 'assistant', content: null, tool_calls: calls });
const tool = (id: string) => ({ role: 'tool', tool_call_id: id, content: 'result' });
const user = (content: string) => ({ role: 'user', content });

function repair(body: unknown, options: { model?: string; memory?: SignatureMemory; fallback?: boolean } = {}) {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const json: unknown = JSON.parse(raw.toString());
  const result = repairThoughtSignatures(raw, json, {
    model: 'model' in options ? options.model : GEMINI,
    memory: options.memory ?? memoryWith({}),
    fallback: options.fallback ?? true,
  });
  return { raw, result, sent: result ? (JSON.parse(result.body.toString()) as { messages: Array<{ tool_calls?: Array<Record<string, unknown>> }> }) : undefined };
}

const signatureAt = (sent: { messages: Array<{ tool_calls?: Array<Record<string, unknown>> }> } | undefined, m: number, c: number) =>
  (sent?.messages[m]?.tool_calls?.[c]?.extra_content as { google?: { thought_signature?: string } } | undefined)?.google?.thought_signature;

t.test('puts a remembered signature back on a rebuilt assistant message', async (t) => {
  const { result, sent } = repair({ model: GEMINI, messages: [user('weather?'), assistant(call('fc-1')), tool('fc-1')] }, { memory: memoryWith({ 'fc-1': 'REAL1' }) });
  t.equal(result?.restored, 1);
  t.equal(result?.sentinels, 0);
  t.equal(signatureAt(sent, 1, 0), 'REAL1');
});

t.test('only the messages value is re-serialized; every other byte stays', async (t) => {
  const messages = JSON.stringify([user('hi'), assistant(call('fc-1')), tool('fc-1')]);
  const head = '{\n  "model" : "google/gemini-3.5-flash",\t"seed": 12345678901234567890, "temperature": 1.0,\n  "messages": ';
  const tail = ',\n  "extra_body": {"google": {"thinking_config": {"thinking_budget": 0}}} }\n';
  const { result } = repair(head + messages + tail, { memory: memoryWith({ 'fc-1': 'S' }) });
  const out = result?.body.toString() ?? '';
  t.ok(out.startsWith(head), 'bytes before messages untouched (big integer and 1.0 included)');
  t.ok(out.endsWith(tail), 'bytes after messages untouched');
});

t.test('several assistant turns: remembered ones restored, the current turn gets the sentinel where unknown', async (t) => {
  const body = {
    model: GEMINI,
    messages: [
      user('first question'),
      assistant(call('old-known')),
      tool('old-known'),
      assistant(call('old-unknown')),
      tool('old-unknown'),
      { role: 'assistant', content: 'done with that' },
      user('second question'),
      assistant(call('new-known')),
      tool('new-known'),
      assistant(call('new-unknown')),
      tool('new-unknown'),
    ],
  };
  const { result, sent } = repair(body, { memory: memoryWith({ 'old-known': 'OLD', 'new-known': 'NEW' }) });
  t.equal(result?.restored, 2);
  t.equal(result?.sentinels, 1);
  t.equal(signatureAt(sent, 1, 0), 'OLD', 'restored in an earlier turn');
  t.equal(signatureAt(sent, 3, 0), undefined, 'earlier turns are not validated, so no sentinel there');
  t.equal(signatureAt(sent, 7, 0), 'NEW');
  t.equal(signatureAt(sent, 9, 0), SKIP_SIGNATURE_VALIDATOR);
});

t.test('parallel tool calls: only the first carries a signature', async (t) => {
  const body = { messages: [user('q'), assistant(call('p1'), call('p2'), call('p3')), tool('p1'), tool('p2'), tool('p3')] };
  const known = repair(body, { memory: memoryWith({ p1: 'P1' }) });
  t.equal(known.result?.restored, 1);
  t.equal(known.result?.sentinels, 0, 'a remembered first call is enough');
  t.same([0, 1, 2].map((c) => signatureAt(known.sent, 1, c)), ['P1', undefined, undefined]);

  const unknown = repair(body);
  t.equal(unknown.result?.sentinels, 1);
  t.same([0, 1, 2].map((c) => signatureAt(unknown.sent, 1, c)), [SKIP_SIGNATURE_VALIDATOR, undefined, undefined]);
});

t.test('parallel calls reordered by the client: the first call gets the sentinel, as Gemini checks the first', async (t) => {
  const body = { messages: [user('q'), assistant(call('b'), call('a')), tool('b'), tool('a')] };
  const { result, sent } = repair(body, { memory: memoryWith({ a: 'SIG-A' }) });
  t.same({ restored: result?.restored, sentinels: result?.sentinels }, { restored: 1, sentinels: 1 });
  t.same([0, 1].map((c) => signatureAt(sent, 1, c)), [SKIP_SIGNATURE_VALIDATOR, 'SIG-A']);
  const sentByClient = { messages: [user('q'), assistant(call('b'), call('a', 'CLIENT'))] };
  t.same([0, 1].map((c) => signatureAt(repair(sentByClient).sent, 1, c)), [SKIP_SIGNATURE_VALIDATOR, 'CLIENT']);
  t.equal(repair(body, { memory: memoryWith({ a: 'SIG-A' }), fallback: false }).result?.sentinels, 0, 'none with the fallback off');
});

t.test('signatures the client sent always win', async (t) => {
  const signed = { messages: [user('q'), assistant(call('c1', 'CLIENT')), tool('c1')] };
  t.equal(repair(signed, { memory: memoryWith({ c1: 'MEMORY' }) }).result, undefined, 'nothing to do: the body is forwarded as is');

  const mixed = { messages: [user('q'), assistant(call('c1', 'CLIENT'), call('c2')), tool('c1'), tool('c2')] };
  const { result, sent } = repair(mixed, { memory: memoryWith({ c1: 'MEMORY', c2: 'MEM2' }) });
  t.equal(result?.restored, 1);
  t.equal(signatureAt(sent, 1, 0), 'CLIENT');
  t.equal(signatureAt(sent, 1, 1), 'MEM2');
  t.equal(repair({ messages: [user('q'), assistant(call('c1', 'CLIENT'), call('c2'))] }).result, undefined, 'one signed call is enough: no sentinel');
});

t.test('unknown ids: the sentinel with the fallback on, nothing with it off', async (t) => {
  const body = { messages: [user('q'), assistant(call('gone')), tool('gone')] };
  const on = repair(body);
  t.equal(on.result?.sentinels, 1);
  t.equal(signatureAt(on.sent, 1, 0), SKIP_SIGNATURE_VALIDATOR);
  t.equal(repair(body, { fallback: false }).result, undefined);
  const offButKnown = repair(body, { fallback: false, memory: memoryWith({ gone: 'BACK' }) });
  t.equal(signatureAt(offButKnown.sent, 1, 0), 'BACK', 'the memory works without the fallback');
});

t.test('models other than Gemini 3 and later are left alone', async (t) => {
  const body = { messages: [user('q'), assistant(call('x')), tool('x')] };
  for (const model of ['google/gemini-2.5-flash', 'gemini-2.0-flash-001', 'meta/llama-4-maverick-17b-128e-instruct-maas', 'my-alias', undefined]) {
    t.equal(repair(body, { model, memory: memoryWith({ x: 'S' }) }).result, undefined, String(model));
  }
});

t.test('requests without tool calls to repair are forwarded as they are', async (t) => {
  t.equal(repair({ messages: [user('hello')] }).result, undefined);
  t.equal(repair({ messages: [user('q'), { role: 'assistant', content: 'text only' }] }).result, undefined);
  t.equal(repair({ messages: [user('q'), assistant()] }).result, undefined, 'empty tool_calls');
  t.equal(repair({ messages: 'not a list', note: '"tool_calls"' }).result, undefined);
  t.equal(repair({ input: 'embeddings have no messages' }).result, undefined);
  t.equal(repair({ messages: [user('q'), assistant(null, 7, 'x')] }).result, undefined, 'malformed tool calls are not touched');
});

t.test('keeps whatever else the tool call carries in extra_content', async (t) => {
  const odd = { id: 'e1', type: 'function', function: { name: 'f', arguments: '{}' }, extra_content: { google: { thought: true }, other: 1 } };
  const { sent } = repair({ messages: [user('q'), assistant(odd)] }, { memory: memoryWith({ e1: 'E1' }) });
  t.same(sent?.messages[1]?.tool_calls?.[0]?.extra_content, { google: { thought: true, thought_signature: 'E1' }, other: 1 });
});

t.test('without a parse from the caller, the body is parsed here', async (t) => {
  const raw = Buffer.from(JSON.stringify({ model: GEMINI, messages: [user('q'), assistant(call('fc-9')), tool('fc-9')] }));
  const result = repairThoughtSignatures(raw, undefined, { model: GEMINI, memory: memoryWith({ 'fc-9': 'NINE' }), fallback: true });
  t.equal(result?.restored, 1);
  t.match(result?.body.toString(), /"thought_signature":"NINE"/);
  t.equal(repairThoughtSignatures(Buffer.from('{"tool_calls": oops'), undefined, { model: GEMINI, memory: memoryWith({}), fallback: true }), undefined, 'unparsable: left alone');
  const deep = `{"model":"${GEMINI}","messages":[{"role":"user","content":"q","x":${'['.repeat(20_000)}${']'.repeat(20_000)}},${JSON.stringify(assistant(call('fc-9')))}]}`;
  t.equal(repairThoughtSignatures(Buffer.from(deep), undefined, { model: GEMINI, memory: memoryWith({ 'fc-9': 'NINE' }), fallback: true }), undefined, 'too deep to write back: left alone');
});

t.test('requiresThoughtSignatures: Gemini 3 and later', async (t) => {
  const cases: Array<[string | undefined, boolean]> = [
    ['google/gemini-3.5-flash', true],
    ['gemini-3.5-flash', true],
    ['google/gemini-3-flash-preview', true],
    ['google/gemini-3.1-pro-preview', true],
    ['google/gemini-3.8-flash', true],
    ['gemini-4-pro', true],
    ['google/gemini-10-flash', true],
    ['google/gemini-flash-latest', true],
    ['google/gemini-2.5-pro', false],
    ['gemini-2.0-flash-lite-001', false],
    ['google/gemini-30', true],
    ['google/gemma-4-26b-a4b-it-maas', false],
    ['openai/gpt-oss-120b-maas', false],
    ['gemini-3x', false],
    ['', false],
    [undefined, false],
  ];
  for (const [model, expected] of cases) t.equal(requiresThoughtSignatures(model), expected, String(model));
});
