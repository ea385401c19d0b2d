// The bodies Codex sends (test/fixtures/responses/codex-*.json) → chat
// requests: its messages, function, custom, namespace and web_search tools,
// and the follow-up turn with calls, outputs and the thought signature.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { toChatRequest, type DroppedFeature } from '../../src/responses/request.ts';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/responses/${name}`, import.meta.url), 'utf8'));

t.test('Codex first turn: developer and user messages, its tools, nothing Vertex rejects', async (t) => {
  const dropped: DroppedFeature[] = [];
  const { chat: body, names, input } = toChatRequest(fixture('codex-turn1.request.json'), { onDropped: (d) => dropped.push(d) });
  t.same(Object.keys(body).sort(), ['messages', 'model', 'reasoning_effort', 'stream', 'stream_options', 'tool_choice', 'tools']);
  t.same(body.messages.map((m) => m.role), ['system', 'system', 'user', 'user']);
  t.match(body.messages[0], { content: /^You are Codex/ });
  t.match(body.messages[1], { content: /<permissions instructions>/ });
  t.same(body.tools?.map((tool) => tool.function.name), ['exec_command', 'update_plan', 'apply_patch', 'mcp__docs__search']);
  t.match(body.tools?.[2]?.function, { description: /FREEFORM[\s\S]*lark grammar:\nstart: begin_patch/, parameters: { required: ['input'] } });
  t.match(body.tools?.[3]?.function.description, /^Tools in the mcp__docs__ namespace\.\n\nSearch the project documentation\.$/);
  t.same(names.fromChat('mcp__docs__search'), { kind: 'function', name: 'search', namespace: 'mcp__docs__' });
  t.same(names.fromChat('apply_patch'), { kind: 'custom', name: 'apply_patch' });
  t.same(dropped, [{ kind: 'tool', type: 'web_search' }]);
  t.equal(input.length, 3);
});

t.test('Codex follow-up: calls, outputs, custom tool and the signature from the reasoning item', async (t) => {
  const recalled: string[] = [];
  const { chat: body } = toChatRequest(fixture('codex-turn2.request.json'), {
    recallSignature: (id) => {
      recalled.push(id);
      return id === 'call_patch_3' ? 'remembered-sig' : undefined;
    },
  });
  const tail = body.messages.slice(4);
  t.same(tail, [
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_ls_1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' }, extra_content: { google: { thought_signature: 'CpwBAdHtim8exampleSignature==' } } },
        { id: 'call_docs_2', type: 'function', function: { name: 'mcp__docs__search', arguments: '{"query":"layout"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_ls_1', content: 'README.md\nsrc\n' },
    { role: 'tool', tool_call_id: 'call_docs_2', content: 'docs say: src holds the code' },
    {
      role: 'assistant',
      content: "I'll add a note to the README.",
      tool_calls: [
        {
          id: 'call_patch_3',
          type: 'function',
          function: { name: 'apply_patch', arguments: JSON.stringify({ input: '*** Begin Patch\n*** Add File: NOTES.md\n+hello\n*** End Patch\n' }) },
          extra_content: { google: { thought_signature: 'remembered-sig' } },
        },
      ],
    },
    { role: 'tool', tool_call_id: 'call_patch_3', content: 'Success. Updated the following files:\nA NOTES.md\n' },
  ]);
  t.same(recalled, ['call_docs_2', 'call_patch_3'], 'the memory is asked only when no reasoning item carries the signature');
});
