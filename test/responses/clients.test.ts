// Bodies shaped like the SDK clients send them (openai-node, the AI SDK's
// default provider with `store` on, the Agents SDK), translated both ways
// and read back with openai-node's own parser.

import t from 'tap';
import { parseResponse } from 'openai/lib/ResponsesParser';
import type { Response, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { counterIds } from '../../src/responses/ids.ts';
import { toChatRequest } from '../../src/responses/request.ts';
import { toResponse } from '../../src/responses/response.ts';
import { historyAfter, ResponseStore } from '../../src/responses/store.ts';

const ids = counterIds();

t.test('openai-node responses.parse reads a json_schema answer', async (t) => {
  const params = {
    model: 'gemini-3-flash',
    input: [{ role: 'user', content: 'Alice and Bob meet on Friday.' }],
    text: {
      format: {
        type: 'json_schema',
        name: 'event',
        strict: true,
        schema: { type: 'object', properties: { name: { type: 'string' }, participants: { type: 'array', items: { type: 'string' } } }, required: ['name', 'participants'], additionalProperties: false },
      },
    },
  } as const;
  const translated = toChatRequest(params);
  t.match(translated.chat.response_format, { type: 'json_schema', json_schema: { name: 'event', strict: true } });
  const response = toResponse(
    { choices: [{ message: { content: '{"name":"meeting","participants":["Alice","Bob"]}' }, finish_reason: 'stop' }] },
    { ...translated, newId: ids },
  );
  const parsed = parseResponse(response as unknown as Response, params as unknown as ResponseCreateParamsNonStreaming);
  t.same(parsed.output_parsed, { name: 'meeting', participants: ['Alice', 'Bob'] });
  t.equal(parsed.output_text, '{"name":"meeting","participants":["Alice","Bob"]}');
});

t.test('openai-node function tools over two turns', async (t) => {
  const tools = [{ type: 'function', name: 'get_weather', description: 'Weather by city.', strict: true, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } }];
  const first = toChatRequest({ model: 'm', instructions: 'Use tools.', input: 'Weather in Paris?', tools });
  const r1 = toResponse(
    { choices: [{ message: { tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'SIG-W' } } }] }, finish_reason: 'tool_calls' }] },
    { ...first, newId: ids },
  );
  const parsed = parseResponse(r1 as unknown as Response, { model: 'm', input: 'x', tools } as unknown as ResponseCreateParamsNonStreaming);
  t.match(parsed.output.find((o) => o.type === 'function_call'), { name: 'get_weather', parsed_arguments: { city: 'Paris' } });
  // The SDK user appends the output items and the tool result, as the docs show.
  const second = toChatRequest({ model: 'm', instructions: 'Use tools.', tools, input: ['Weather in Paris?', ...r1.output, { type: 'function_call_output', call_id: 'call_w', output: '18°C' }].map((x) => (typeof x === 'string' ? { role: 'user', content: x } : x)) });
  t.same(second.chat.messages.slice(1), [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'SIG-W' } } }] },
    { role: 'tool', tool_call_id: 'call_w', content: '18°C' },
  ]);
});

t.test('AI SDK with store on: item references resolve, and bring the signature back', async (t) => {
  const store = new ResponseStore({ maxEntries: 10, maxBytes: 1_000_000, ttlMs: 60_000 });
  const tools = [{ type: 'function', name: 'weather', description: 'Get the weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];
  const first = toChatRequest({ model: 'm', input: [{ role: 'system', content: 'Be helpful.' }, { role: 'user', content: [{ type: 'input_text', text: 'Weather in Rome?' }] }], tools, tool_choice: 'auto' });
  const r1 = toResponse(
    {
      choices: [
        {
          message: { content: 'Checking.', tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' }, extra_content: { google: { thought_signature: 'SIG-R' } } }] },
          finish_reason: 'tool_calls',
        },
      ],
    },
    { ...first, newId: ids },
  );
  store.put(r1, historyAfter([], first.input, r1));
  const [reasoning, message, call] = r1.output;
  // What @ai-sdk/openai sends next: references for reasoning and text, the call in full.
  const second = toChatRequest(
    {
      model: 'm',
      tools,
      tool_choice: 'auto',
      input: [
        { role: 'system', content: 'Be helpful.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Weather in Rome?' }] },
        { type: 'item_reference', id: reasoning?.id },
        { type: 'item_reference', id: message?.id },
        { type: 'function_call', call_id: 'call_r', name: 'weather', arguments: '{"city":"Rome"}', id: call?.id },
        { type: 'function_call_output', call_id: 'call_r', output: 'Sunny' },
      ],
    },
    { resolveItem: (id) => store.findItem(id) },
  );
  t.same(second.chat.messages.slice(2), [
    {
      role: 'assistant',
      content: 'Checking.',
      tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' }, extra_content: { google: { thought_signature: 'SIG-R' } } }],
    },
    { role: 'tool', tool_call_id: 'call_r', content: 'Sunny' },
  ]);
});

t.test('Agents SDK items: function calls with status and ids, string outputs', async (t) => {
  const { chat } = toChatRequest({
    model: 'm',
    instructions: 'You are an agent.',
    input: [
      { role: 'user', content: 'What is 3+4?' },
      { type: 'function_call', id: 'fc_1', call_id: 'call_add', name: 'add', arguments: '{"a":3,"b":4}', status: 'completed' },
      { type: 'function_call_output', call_id: 'call_add', output: '7' },
    ],
    tools: [{ type: 'function', name: 'add', description: 'Adds', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'], additionalProperties: false }, strict: true }],
    include: [],
    store: true,
    parallel_tool_calls: false,
    stream: true,
  }, { recallSignature: (id) => (id === 'call_add' ? 'SIG-MEM' : undefined) });
  t.same(chat.messages, [
    { role: 'system', content: 'You are an agent.' },
    { role: 'user', content: 'What is 3+4?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_add', type: 'function', function: { name: 'add', arguments: '{"a":3,"b":4}' }, extra_content: { google: { thought_signature: 'SIG-MEM' } } }] },
    { role: 'tool', tool_call_id: 'call_add', content: '7' },
  ]);
  t.notOk('parallel_tool_calls' in chat, 'not sent to Vertex');
});
