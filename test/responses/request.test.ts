// Responses request → chat request: each mapping as a table row.

import t from 'tap';
import { ProxyError } from '../../src/errors/proxy-error.ts';
import { toChatRequest, type DroppedFeature, type RequestOptions } from '../../src/responses/request.ts';

const base = { model: 'gemini-3-flash' };
const chat = (body: Record<string, unknown>, options?: RequestOptions) => toChatRequest({ ...base, ...body }, options).chat;

t.test('maps each request field', async (t) => {
  const rows: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['string input → one user message', { input: 'hi' }, { model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] }],
    [
      'instructions → a leading system message',
      { input: 'hi', instructions: 'Be brief.' },
      { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] },
    ],
    ['max_output_tokens → max_tokens', { input: 'x', max_output_tokens: 100 }, { max_tokens: 100 }],
    ['reasoning.effort → reasoning_effort', { input: 'x', reasoning: { effort: 'low', summary: 'auto' } }, { reasoning_effort: 'low' }],
    ['xhigh effort → high', { input: 'x', reasoning: { effort: 'xhigh' } }, { reasoning_effort: 'high' }],
    ['temperature, top_p, user', { input: 'x', temperature: 0.2, top_p: 0.9, user: 'u1' }, { temperature: 0.2, top_p: 0.9, user: 'u1' }],
    ['stream → stream + include_usage', { input: 'x', stream: true }, { stream: true, stream_options: { include_usage: true } }],
    ['stream:false adds nothing', { input: 'x', stream: false }, { stream: undefined, stream_options: undefined }],
    [
      'json_schema format → response_format',
      { input: 'x', text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true }, verbosity: 'low' } },
      { response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } } },
    ],
    ['json_object format', { input: 'x', text: { format: { type: 'json_object' } } }, { response_format: { type: 'json_object' } }],
    ['text format adds nothing', { input: 'x', text: { format: { type: 'text' } } }, { response_format: undefined }],
  ];
  for (const [name, body, expected] of rows) t.match(chat(body), expected, name);
});

t.test('keys Vertex would reject never reach the chat body', async (t) => {
  const body = chat({
    input: 'x',
    store: false,
    include: ['reasoning.encrypted_content'],
    metadata: { a: 'b' },
    prompt_cache_key: 'k',
    client_metadata: { c: 'd' },
    safety_identifier: 's',
    truncation: 'auto',
    service_tier: 'flex',
    background: false,
    previous_response_id: 'resp_1',
    stream_options: { include_obfuscation: false },
    text: { verbosity: 'high' },
    max_tool_calls: 3,
    top_logprobs: 2,
  });
  t.same(Object.keys(body).sort(), ['messages', 'model']);
});

t.test('message items map to chat messages and content parts', async (t) => {
  const { messages } = chat({
    input: [
      { role: 'developer', content: 'dev rules' },
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] },
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'look' },
          { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'original' },
          { type: 'input_file', file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' },
        ],
      },
      { role: 'assistant', content: [{ type: 'output_text', text: 'one ' }, { type: 'refusal', refusal: 'two' }] },
    ],
  });
  t.same(messages, [
    { role: 'system', content: 'dev rules' },
    { role: 'system', content: 'a\nb' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' } },
      ],
    },
    { role: 'assistant', content: 'one two' },
  ]);
});

t.test('function calls group into one assistant message, outputs become tool messages', async (t) => {
  const { messages } = chat({
    input: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Working.' }] },
      { type: 'reasoning', id: 'rs_x', summary: [] },
      { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
      { type: 'function_call', call_id: 'c2', name: 'b', arguments: '{"x":1}' },
      { type: 'function_call_output', call_id: 'c1', output: 'A' },
      { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'B' }, { type: 'input_image', image_url: 'data:image/png;base64,QQ' }] },
      { type: 'function_call', call_id: 'c3', name: 'a', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c3', output: [{ type: 'input_image', image_url: 'data:image/png;base64,Qg' }] },
    ],
  });
  t.same(messages, [
    { role: 'user', content: 'go' },
    {
      role: 'assistant',
      content: 'Working.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } },
        { id: 'c2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'A' },
    { role: 'tool', tool_call_id: 'c2', content: 'B' },
    { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,QQ' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c3', type: 'function', function: { name: 'a', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c3', content: '(the tool returned the attachment in the next message)' },
    { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,Qg' } }] },
  ]);
});

t.test('history from previous_response_id comes before this turn, after instructions', async (t) => {
  const { messages } = chat(
    { input: 'second', instructions: 'sys' },
    { history: [{ type: 'message', role: 'user', content: 'first' }, { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'ok', annotations: [] }] }] },
  );
  t.same(messages, [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'first' },
    { role: 'assistant', content: 'ok' },
    { role: 'user', content: 'second' },
  ]);
});

t.test('item_reference resolves through the store, unknown ids are a 404', async (t) => {
  const stored = { type: 'message' as const, id: 'msg_9', role: 'assistant' as const, content: [{ type: 'output_text' as const, text: 'earlier' }] };
  const resolveItem = (id: string) => (id === 'msg_9' ? stored : undefined);
  const out = toChatRequest({ ...base, input: [{ role: 'user', content: 'q' }, { type: 'item_reference', id: 'msg_9' }] }, { resolveItem });
  t.same(out.chat.messages[1], { role: 'assistant', content: 'earlier' });
  t.same(out.input[1], stored, 'the store keeps the resolved item, not the reference');
  t.throws(() => chat({ input: [{ type: 'item_reference', id: 'msg_gone' }] }, { resolveItem }), { statusCode: 400, code: 'item_not_found' });
});

t.test('built-in tools and items are dropped and reported, never an error', async (t) => {
  const dropped: DroppedFeature[] = [];
  const out = chat(
    {
      input: [{ role: 'user', content: 'x' }, { type: 'web_search_call', status: 'completed' }, { type: 'computer_call_output', call_id: 'z' }],
      tools: [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: [] }, { type: 'mcp', server_label: 's' }, { type: 'image_generation' }],
      tool_choice: { type: 'file_search' },
      parallel_tool_calls: true,
    },
    { onDropped: (d) => dropped.push(d) },
  );
  t.same(dropped.map((d) => `${d.kind}:${d.type}`), ['tool:web_search', 'tool:file_search', 'tool:mcp', 'tool:image_generation', 'tool:file_search', 'item:web_search_call', 'item:computer_call_output']);
  t.notOk('tools' in out || 'tool_choice' in out || 'parallel_tool_calls' in out, 'no tool keys when no tool is left');
});

t.test('invalid bodies are 400s naming the field', async (t) => {
  const rows: Array<[unknown, RegExp]> = [
    ['not an object', /JSON object/],
    [{ input: 'x' }, /model is required/],
    [{ model: '', input: 'x' }, /model is required/],
    [{ model: 'm' }, /input is required/],
    [{ model: 'm', input: 5 }, /input is required/],
    [{ model: 'm', input: 'x', temperature: 'hot' }, /temperature must be a number/],
    [{ model: 'm', input: 'x', max_output_tokens: 0 }, /max_output_tokens must be a positive integer/],
    [{ model: 'm', input: 'x', stream: 'yes' }, /stream must be a boolean/],
    [{ model: 'm', input: 'x', tools: {} }, /tools must be an array/],
    [{ model: 'm', input: 'x', tools: [{ type: 'function' }] }, /tools\[0\]\.name/],
    [{ model: 'm', input: 'x', reasoning: { effort: 'max' } }, /reasoning\.effort/],
    [{ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } }, /schema is required/],
    [{ model: 'm', input: [42] }, /input\[0\] must be an object/],
    [{ model: 'm', input: [{ content: 'no role' }] }, /input\[0\] must have a type or a role/],
    [{ model: 'm', input: [{ role: 'robot', content: 'x' }] }, /input\[0\]\.role/],
    [{ model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, /input\[0\]\.call_id/],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text' }] }] }, /input\[0\]\.content\[0\]\.text/],
    [{ model: 'm', input: 'x', tool_choice: { type: 'function', name: 'nope' } }, /not in tools/],
  ];
  for (const [body, message] of rows) {
    t.throws(() => toChatRequest(body), { statusCode: 400, code: 'invalid_request_body', message }, String(message));
  }
});

t.test('content with no chat form is refused, not dropped', async (t) => {
  const rows: Array<[unknown, RegExp]> = [
    [{ type: 'input_image', file_id: 'file_1' }, /file_id are not supported/],
    [{ type: 'input_file', file_id: 'file_1' }, /file_id are not supported/],
    [{ type: 'input_file', file_url: 'https://x/a.pdf' }, /file_url are not supported/],
    [{ type: 'input_audio', input_audio: {} }, /input_audio/],
  ];
  for (const [part, message] of rows) {
    const err = t.throws(() => chat({ input: [{ role: 'user', content: [part] }] })) as unknown;
    t.ok(err instanceof ProxyError);
    t.match(err, { statusCode: 400, code: 'unsupported_input', message });
  }
  t.throws(() => chat({ input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x' }] }] }), { code: 'unsupported_input' });
  t.throws(() => chat({ input: 'x', conversation: 'conv_1' }), { statusCode: 400, code: 'unsupported_input', message: /conversation is not supported/ });
  // The Agents SDK sends an agent's prompt option as is; without it the model would lose its instructions.
  t.throws(() => chat({ input: 'x', prompt: { id: 'pmpt_1', version: '2', variables: { city: 'Paris' } } }), { statusCode: 400, code: 'unsupported_input', message: /prompt/ });
  t.doesNotThrow(() => chat({ input: 'x', prompt: null }));
});

t.test('the echoed request keeps what the response object reads back', async (t) => {
  const { request } = toChatRequest({ ...base, input: 'x', store: false, metadata: { k: 'v' }, previous_response_id: 'resp_a', text: { verbosity: 'low' } });
  t.match(request, { model: 'gemini-3-flash', store: false, metadata: { k: 'v' }, previous_response_id: 'resp_a', text: { verbosity: 'low' } });
});
