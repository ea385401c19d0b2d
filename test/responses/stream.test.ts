// Upstream chat SSE → Responses SSE: event order, sequence numbers, splits
// at awkward byte boundaries, tool calls, signatures, usage, incomplete.

import t from 'tap';
import { toChatRequest } from '../../src/responses/request.ts';
import { decodeSignatures } from '../../src/responses/signatures.ts';
import { accumulate, checkSequence, codexAccepts, codexTurn1, deltasById, parseFrames, read, run, stream, typesAt } from './events.ts';

t.test('a text answer: the full event sequence, whatever the byte splits', async (t) => {
  const sse = read('gemini-text.sse');
  const reference = run(sse, sse.length).events;
  t.same(reference.map((e) => e.type), [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.delta',
    'response.output_text.delta',
    'response.output_text.delta',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ]);
  checkSequence(t, reference);
  for (const size of [1, 2, 3, 7, 64]) t.same(run(sse, size).events, reference, `pieces of ${size} bytes`);
  const final = accumulate(reference);
  t.equal(final.output_text, 'Héllo, wörld 🌍!', 'openai-node accumulates the text');
  t.match(reference.at(-1), {
    response: {
      status: 'completed',
      output: [{ type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Héllo, wörld 🌍!', annotations: [] }] }],
      // Vertex's 17 completion tokens leave out the 12 of thinking (42 + 17 + 12 = 71); Responses' output_tokens hold both.
      usage: { input_tokens: 42, input_tokens_details: { cached_tokens: 8 }, output_tokens: 29, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 71 },
    },
  });
  t.match(reference[0], { response: { id: 'resp_1', object: 'response', created_at: 1_767_225_600, status: 'in_progress', model: 'gemini-3-flash', output: [], usage: null } });
});

t.test('Codex tools: reasoning, text, a signed call, a namespaced call and a custom call', async (t) => {
  const signatures: string[] = [];
  const { events, s } = run(read('gemini-tool-calls.sse'), 5, codexTurn1, { onSignature: (id, sig) => signatures.push(`${id}=${sig}`) });
  checkSequence(t, events);
  t.same(typesAt(events), [
    'response.created',
    'response.in_progress',
    'response.output_item.added@0',
    'response.reasoning_summary_part.added@0',
    'response.reasoning_summary_text.delta@0',
    'response.reasoning_summary_text.done@0',
    'response.reasoning_summary_part.done@0',
    'response.output_item.done@0',
    'response.output_item.added@1',
    'response.content_part.added@1',
    'response.output_text.delta@1',
    'response.output_text.done@1',
    'response.content_part.done@1',
    'response.output_item.done@1',
    'response.output_item.added@2',
    'response.output_item.done@2',
    'response.output_item.added@3',
    'response.function_call_arguments.delta@3',
    'response.output_item.added@4',
    'response.function_call_arguments.delta@4',
    'response.output_item.added@5',
    'response.function_call_arguments.done@3',
    'response.output_item.done@3',
    'response.function_call_arguments.done@4',
    'response.output_item.done@4',
    'response.custom_tool_call_input.delta@5',
    'response.custom_tool_call_input.done@5',
    'response.output_item.done@5',
    'response.completed',
  ]);
  const final = accumulate(events);
  const completed = events.at(-1)?.['response'] as { output: Array<Record<string, unknown>> };
  t.same(final.output, completed.output, 'the deltas add up to the completed response');
  t.same(s.result(), completed, 'result() is the completed response');
  t.match(completed.output, [
    { type: 'reasoning', summary: [{ type: 'summary_text', text: '**Listing files**\n\nI should run ls.' }] },
    { type: 'message', content: [{ type: 'output_text', text: 'Let me look.' }] },
    { type: 'reasoning', summary: [] },
    { type: 'function_call', call_id: 'call_ls_1', name: 'exec_command', arguments: '{"cmd":"ls"}', status: 'completed' },
    { type: 'function_call', call_id: 'call_docs_2', name: 'search', namespace: 'mcp__docs__', arguments: '{"query":"layout"}', status: 'completed' },
    { type: 'custom_tool_call', call_id: 'call_patch_3', name: 'apply_patch', input: '*** Begin Patch\n*** Add File: NOTES.md\n+hello\n*** End Patch\n' },
  ]);
  t.same([...decodeSignatures(completed.output[2]?.['encrypted_content'])], [['call_ls_1', 'CpwBAdHtim8exampleSignature==']]);
  t.same(signatures, ['call_ls_1=CpwBAdHtim8exampleSignature==']);
  for (const e of events) {
    if (e.type === 'response.output_item.added' || e.type === 'response.output_item.done') {
      t.ok(codexAccepts(e['item'] as Record<string, unknown>), `Codex parses ${e.type} of ${(e['item'] as { type: string }).type}`);
    }
  }
});

t.test('the signature survives the round trip into the next request', async (t) => {
  const { s } = run(read('gemini-tool-calls.sse'), 64, codexTurn1);
  const output = s.result().output;
  const next = {
    ...codexTurn1,
    input: [
      ...(codexTurn1['input'] as unknown[]),
      ...output,
      { type: 'function_call_output', call_id: 'call_ls_1', output: 'a\nb' },
      { type: 'function_call_output', call_id: 'call_docs_2', output: 'found' },
      { type: 'custom_tool_call_output', call_id: 'call_patch_3', output: 'Done' },
    ],
  };
  const recalled: string[] = [];
  const { chat } = toChatRequest(next, { recallSignature: (id) => (recalled.push(id), undefined) });
  const assistant = chat.messages.find((m) => m.role === 'assistant' && 'tool_calls' in m && m.tool_calls !== undefined);
  t.same(assistant, {
    role: 'assistant',
    content: 'Let me look.',
    tool_calls: [
      { id: 'call_ls_1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' }, extra_content: { google: { thought_signature: 'CpwBAdHtim8exampleSignature==' } } },
      { id: 'call_docs_2', type: 'function', function: { name: 'mcp__docs__search', arguments: '{"query":"layout"}' } },
      { id: 'call_patch_3', type: 'function', function: { name: 'apply_patch', arguments: JSON.stringify({ input: '*** Begin Patch\n*** Add File: NOTES.md\n+hello\n*** End Patch\n' }) } },
    ],
  });
  t.same(recalled, ['call_docs_2', 'call_patch_3']);
});

t.test('tool call fragments interleaved by index land in their own items', async (t) => {
  const sse = read('interleaved-tool-calls.sse');
  const { events } = run(sse, 3);
  checkSequence(t, events);
  const final = accumulate(events);
  t.match(final.output, [
    { type: 'function_call', call_id: 'call_a', name: 'exec_command', arguments: '{"cmd":"pwd"}' },
    { type: 'function_call', call_id: 'call_b', name: 'update_plan', arguments: '{"plan":[]}' },
  ]);
  const sums = deltasById(events);
  t.same([...sums.values()], ['{"cmd":"pwd"}', '{"plan":[]}']);
  t.match(events.at(-1), { type: 'response.completed', response: { usage: { input_tokens: 5, output_tokens: 6, total_tokens: 11 } } });
});

t.test('finish_reason length ends with response.incomplete', async (t) => {
  const { events } = run(read('gemini-length.sse'), 4);
  t.match(events.at(-1), {
    type: 'response.incomplete',
    response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', status: 'incomplete', content: [{ text: 'The answer is long' }] }] },
  });
  t.match(events.find((e) => e.type === 'response.output_item.done'), { item: { status: 'incomplete' } });
  accumulate(events);
});

t.test('calls without an index, one per chunk, stay separate calls', async (t) => {
  const call = (id: string, name: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ id, type: 'function', function: { name, arguments: '{}' } }] } }] })}\n\n`;
  const s = stream({ model: 'm', input: 'x', stream: true });
  const events = parseFrames(s.start() + s.push(call('a', 'f') + call('b', 'g')) + s.push('data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\ndata: [DONE]\n\n') + s.end());
  t.match(accumulate(events).output, [
    { type: 'function_call', call_id: 'a', name: 'f' },
    { type: 'function_call', call_id: 'b', name: 'g' },
  ]);
});

t.test('a call whose name comes after its first fragment is announced once named', async (t) => {
  const frag = (tc: object, finish?: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [tc] }, ...(finish && { finish_reason: finish }) }] })}\n\n`;
  const s = stream();
  const events = parseFrames(
    s.start() +
      s.push(frag({ index: 0, id: 'c', extra_content: { google: { thought_signature: 'SIG' } } })) +
      s.push(frag({ index: 0, function: { arguments: '{"a":' } })) +
      s.push(frag({ index: 0, function: { name: 'f', arguments: '1}' } }, 'tool_calls')) +
      s.end(),
  );
  const final = accumulate(events);
  t.match(final.output, [{ type: 'reasoning' }, { type: 'function_call', call_id: 'c', name: 'f', arguments: '{"a":1}' }]);
  t.same([...decodeSignatures((final.output[0] as { encrypted_content?: string }).encrypted_content)], [['c', 'SIG']]);
});

t.test('a signature alone after parallel calls is carried for the first of them, as Gemini signs only the first', async (t) => {
  const frag = (tc: object, finish?: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [tc] }, ...(finish && { finish_reason: finish }) }] })}\n\n`;
  const s = stream();
  const events = parseFrames(
    s.start() +
      s.push(frag({ id: 'fc-a', type: 'function', function: { name: 'f', arguments: '{}' } })) +
      s.push(frag({ id: 'fc-b', type: 'function', function: { name: 'g', arguments: '{}' } })) +
      s.push(frag({ extra_content: { google: { thought_signature: 'SIG-A' } } }, 'tool_calls')) +
      s.end(),
  );
  const final = accumulate(events);
  const reasoning = final.output.find((item) => item.type === 'reasoning') as { encrypted_content?: string } | undefined;
  t.same([...decodeSignatures(reasoning?.encrypted_content)], [['fc-a', 'SIG-A']]);
  t.match(final.output.filter((item) => item.type === 'function_call'), [{ call_id: 'fc-a' }, { call_id: 'fc-b' }]);
});

t.test('refusals stream as a refusal part; reasoning after text opens a new item', async (t) => {
  const chunk = (delta: object, finish?: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, ...(finish && { finish_reason: finish }) }] })}\n\n`;
  const s = stream();
  const events = parseFrames(s.start() + s.push(chunk({ content: 'A' }) + chunk({ refusal: 'No' }) + chunk({ reasoning_content: 'hmm' }) + chunk({ content: 'B' }, 'stop')) + s.end());
  checkSequence(t, events);
  const final = accumulate(events);
  t.match(final.output, [
    { type: 'message', content: [{ type: 'output_text', text: 'A' }, { type: 'refusal', refusal: 'No' }] },
    { type: 'reasoning', summary: [{ text: 'hmm' }] },
    { type: 'message', content: [{ type: 'output_text', text: 'B' }] },
  ]);
  t.ok(events.some((e) => e.type === 'response.refusal.delta') && events.some((e) => e.type === 'response.refusal.done'));
});

t.test('result() mid-stream is the response so far; start() is idempotent', async (t) => {
  const s = stream();
  const first = s.start();
  t.equal(s.start(), '');
  t.equal(parseFrames(first).length, 2);
  s.push('data: {"choices":[{"index":0,"delta":{"content":"par"}}]}\n\n');
  t.match(s.result(), { status: 'in_progress', output: [{ type: 'message', content: [{ text: 'par' }] }] });
  t.notOk(s.finished);
});

t.test('push() before start() still begins with response.created', async (t) => {
  const s = stream();
  const events = parseFrames(s.push('data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\n') + s.end());
  t.equal(events[0]?.type, 'response.created');
  t.equal(events.at(-1)?.type, 'response.completed');
  checkSequence(t, events);
});

t.test('a call that never gets a name still gets an item, so its call_id is answered', async (t) => {
  const s = stream();
  const events = parseFrames(
    s.start() +
      s.push('data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"nameless","function":{"arguments":"{}"}}]}}]}\n\n') +
      s.push('data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"named","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}\n\n') +
      s.end(),
  );
  checkSequence(t, events);
  t.match(accumulate(events).output, [
    { type: 'function_call', call_id: 'named', name: 'f' },
    { type: 'function_call', call_id: 'nameless', name: '', arguments: '{}' },
  ]);
});
