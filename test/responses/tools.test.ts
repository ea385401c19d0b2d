// Tools, tool names and tool_choice.

import t from 'tap';
import { toChatRequest } from '../../src/responses/request.ts';
import { joinNamespace, ToolNames } from '../../src/responses/tool-names.ts';

const fn = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'function', name, parameters: { type: 'object', properties: {} }, ...extra });
const chat = (tools: unknown[], tool_choice?: unknown) => toChatRequest({ model: 'm', input: 'x', tools, ...(tool_choice !== undefined && { tool_choice }) }).chat;

t.test('function tools map one to one; missing parameters and description are filled or left out', async (t) => {
  const body = chat([fn('a', { description: 'Does A.', strict: true }), { type: 'function', name: 'b', parameters: null }]);
  t.same(body.tools, [
    { type: 'function', function: { name: 'a', description: 'Does A.', parameters: { type: 'object', properties: {} } } },
    { type: 'function', function: { name: 'b', parameters: { type: 'object', properties: {} } } },
  ]);
});

t.test('tool_choice in every form', async (t) => {
  const tools = [fn('a'), fn('b'), { type: 'custom', name: 'patch' }, { type: 'namespace', name: 'crm', description: '', tools: [fn('find')] }];
  const rows: Array<[unknown, unknown, string[]]> = [
    ['none', 'none', ['a', 'b', 'patch', 'crm__find']],
    ['auto', 'auto', ['a', 'b', 'patch', 'crm__find']],
    ['required', 'required', ['a', 'b', 'patch', 'crm__find']],
    [{ type: 'function', name: 'b' }, { type: 'function', function: { name: 'b' } }, ['a', 'b', 'patch', 'crm__find']],
    [{ type: 'function', name: 'find' }, { type: 'function', function: { name: 'crm__find' } }, ['a', 'b', 'patch', 'crm__find']],
    [{ type: 'custom', name: 'patch' }, { type: 'function', function: { name: 'patch' } }, ['a', 'b', 'patch', 'crm__find']],
    [
      { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }, { type: 'custom', name: 'patch' }, { type: 'web_search' }] },
      'required',
      ['b', 'patch'],
    ],
    [{ type: 'web_search_preview' }, 'auto', ['a', 'b', 'patch', 'crm__find']],
  ];
  for (const [choice, expected, names] of rows) {
    const body = chat(tools, choice);
    t.same(body.tool_choice, expected, JSON.stringify(choice));
    t.same(body.tools?.map((tool) => tool.function.name), names);
  }
  t.throws(() => chat(tools, 'sometimes'), { code: 'invalid_request_body' });
  t.throws(() => chat(tools, { type: 'allowed_tools', mode: 'maybe', tools: [] }), { code: 'invalid_request_body' });
});

t.test('parallel_tool_calls never goes upstream (not in Google\'s list), but is echoed back', async (t) => {
  const withTools = toChatRequest({ model: 'm', input: 'x', tools: [fn('a')], parallel_tool_calls: false });
  t.notOk('parallel_tool_calls' in withTools.chat);
  t.equal(withTools.request.parallel_tool_calls, false);
  t.notOk('parallel_tool_calls' in toChatRequest({ model: 'm', input: 'x', parallel_tool_calls: false }).chat);
});

t.test('custom tools become a function of one string input', async (t) => {
  const body = chat([{ type: 'custom', name: 'sql', description: 'Write SQL.', format: { type: 'grammar', syntax: 'regex', definition: 'SELECT .+' } }, { type: 'custom', name: 'free' }]);
  t.same(body.tools?.[0], {
    type: 'function',
    function: {
      name: 'sql',
      description: 'Write SQL.\n\nPass the whole input as the string `input`; it must match this regex grammar:\nSELECT .+',
      parameters: {
        type: 'object',
        properties: { input: { type: 'string', description: 'The raw input for this freeform tool.' } },
        required: ['input'],
        additionalProperties: false,
      },
    },
  });
  t.notOk('description' in (body.tools?.[1]?.function ?? {}));
});

t.test('namespaces are flattened with names mapped back, unsupported inner tools dropped', async (t) => {
  const dropped: string[] = [];
  const { chat: body, names } = toChatRequest(
    {
      model: 'm',
      input: 'x',
      tools: [
        { type: 'namespace', name: 'mcp__fs__', description: 'Files.', tools: [fn('read', { description: 'Read one.' }), { type: 'custom', name: 'edit' }, { type: 'web_search' }] },
        { type: 'namespace', name: 'crm', tools: [fn('read')] },
      ],
    },
    { onDropped: (d) => dropped.push(d.type) },
  );
  t.same(body.tools?.map((tool) => [tool.function.name, tool.function.description]), [
    ['mcp__fs__read', 'Files.\n\nRead one.'],
    ['mcp__fs__edit', 'Files.'],
    ['crm__read', undefined],
  ]);
  t.same(names.fromChat('mcp__fs__edit'), { kind: 'custom', name: 'edit', namespace: 'mcp__fs__' });
  t.same(names.fromChat('crm__read'), { kind: 'function', name: 'read', namespace: 'crm' });
  t.same(dropped, ['web_search']);
});

t.test('chat names are valid for Gemini and unique', async (t) => {
  const names = new ToolNames();
  t.equal(names.declare({ kind: 'function', name: 'ok_name-1.x:y' }), 'ok_name-1.x:y');
  t.equal(names.declare({ kind: 'function', name: 'has space/and slash' }), 'has_space_and_slash');
  t.equal(names.declare({ kind: 'function', name: '9lives' }), '_9lives');
  t.equal(names.declare({ kind: 'function', name: 'has_space_and_slash' }), 'has_space_and_slash_2');
  const long = 'x'.repeat(80);
  t.equal(names.declare({ kind: 'function', name: long }), 'x'.repeat(64));
  t.equal(names.declare({ kind: 'function', name: `${long}y` }), `${'x'.repeat(62)}_2`);
  t.equal(names.declare({ kind: 'function', name: 'has space/and slash' }), 'has_space_and_slash', 'declaring twice gives the same name');
  t.same(names.fromChat('has_space_and_slash_2'), { kind: 'function', name: 'has_space_and_slash' });
  t.equal(names.fromChat('never_declared'), undefined);
  t.equal(names.toChat('gone', 'mcp__old__'), 'mcp__old__gone', 'undeclared history names are flattened the same way');
  t.equal(joinNamespace('crm', 'find'), 'crm__find');
  t.equal(joinNamespace('mcp__x__', 'find'), 'mcp__x__find');
  t.equal(joinNamespace(undefined, 'find'), 'find');
});
