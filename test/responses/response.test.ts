// Non-streaming chat completion → Responses response object.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { counterIds } from '../../src/responses/ids.ts';
import { toChatRequest } from '../../src/responses/request.ts';
import { toResponse } from '../../src/responses/response.ts';
import { decodeSignatures } from '../../src/responses/signatures.ts';

const codexTurn1 = JSON.parse(readFileSync(new URL('../fixtures/responses/codex-turn1.request.json', import.meta.url), 'utf8'));
const toolAnswer = JSON.parse(readFileSync(new URL('../fixtures/responses/gemini-tool-calls.completion.json', import.meta.url), 'utf8'));

const now = () => 1_767_225_600_123;
function translate(body: Record<string, unknown>, completion: unknown, onSignature?: (id: string, sig: string) => void) {
  const { request, names } = toChatRequest(body);
  return toResponse(completion, { request, names, newId: counterIds(), now, ...(onSignature && { onSignature }) });
}

const completion = (message: Record<string, unknown>, finish_reason = 'stop', usage?: Record<string, unknown>) => ({
  id: 'x',
  object: 'chat.completion',
  model: 'google/gemini-3-flash-preview',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason }],
  ...(usage && { usage }),
});

t.test('a text answer: message item, usage, echoed request fields', async (t) => {
  const response = translate(
    { model: 'gemini-3-flash', input: 'hi', instructions: 'sys', temperature: 0.5, metadata: { k: 'v' }, store: false, max_output_tokens: 50 },
    completion({ content: 'Hello!' }, 'stop', { prompt_tokens: 10, completion_tokens: 3, total_tokens: 20, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 7 } }),
  );
  t.same(response, {
    id: 'resp_1',
    object: 'response',
    created_at: 1_767_225_600,
    status: 'completed',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: 'sys',
    max_output_tokens: 50,
    model: 'gemini-3-flash',
    output: [{ type: 'message', id: 'msg_2', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }] }],
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: false,
    temperature: 0.5,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 7 }, total_tokens: 20 },
    user: null,
    metadata: { k: 'v' },
  });
});

t.test('background is echoed as sent (the answer itself comes in the foreground)', async (t) => {
  t.equal(translate({ model: 'm', input: 'hi', background: true }, completion({ content: 'Hi' })).background, true);
  t.equal(translate({ model: 'm', input: 'hi' }, completion({ content: 'Hi' })).background, false);
  t.throws(() => translate({ model: 'm', input: 'hi', background: 'yes' }, completion({ content: 'Hi' })), { code: 'invalid_request_body', message: 'background must be a boolean.' });
});

t.test('finish_reason length → incomplete with max_output_tokens', async (t) => {
  const response = translate({ model: 'm', input: 'x' }, completion({ content: 'cut' }, 'length'));
  t.match(response, { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', status: 'incomplete' }] });
  t.match(translate({ model: 'm', input: 'x' }, completion({ content: '' }, 'content_filter')), { status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] });
});

t.test('no usage upstream → zero usage, which the AI SDK still requires', async (t) => {
  t.same(translate({ model: 'm', input: 'x' }, completion({ content: 'a' })).usage, {
    input_tokens: 0,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 0,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 0,
  });
});

t.test('a refusal becomes a refusal part', async (t) => {
  t.match(translate({ model: 'm', input: 'x' }, completion({ content: null, refusal: 'No.' })).output, [
    { type: 'message', content: [{ type: 'refusal', refusal: 'No.' }] },
  ]);
});

t.test('Codex tools: function, namespaced function and custom tool calls come back as declared', async (t) => {
  const signatures: Array<[string, string]> = [];
  const response = translate(codexTurn1, toolAnswer, (id, sig) => signatures.push([id, sig]));
  t.same(response.output, [
    {
      type: 'reasoning',
      id: 'rs_6',
      summary: [{ type: 'summary_text', text: '**Listing files**' }],
      encrypted_content: response.output[0]?.type === 'reasoning' ? response.output[0].encrypted_content : 'missing',
    },
    { type: 'message', id: 'msg_5', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }] },
    { type: 'function_call', id: 'fc_2', status: 'completed', call_id: 'call_ls_1', name: 'exec_command', arguments: '{"cmd":"ls"}' },
    { type: 'function_call', id: 'fc_3', status: 'completed', call_id: 'call_docs_2', name: 'search', namespace: 'mcp__docs__', arguments: '{"query":"layout"}' },
    { type: 'custom_tool_call', id: 'ctc_4', status: 'completed', call_id: 'call_patch_3', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' },
  ]);
  const reasoning = response.output[0];
  t.same(reasoning?.type === 'reasoning' ? [...decodeSignatures(reasoning.encrypted_content)] : [], [['call_ls_1', 'CpwBAdHtim8exampleSignature==']]);
  t.same(signatures, [['call_ls_1', 'CpwBAdHtim8exampleSignature==']], 'the signature memory hears of it too');
  t.same(response.usage?.output_tokens_details, { reasoning_tokens: 12 });
});

t.test('tool calls: missing ids get one, unknown names pass as they are, non-JSON custom input stays raw', async (t) => {
  const body = { model: 'm', input: 'x', tools: [{ type: 'custom', name: 'free' }] };
  const response = translate(
    body,
    completion({ tool_calls: [{ type: 'function', function: { name: 'invented', arguments: '{}' } }, { id: 'c2', type: 'function', function: { name: 'free', arguments: 'raw text' } }] }, 'tool_calls'),
  );
  t.match(response.output, [
    { type: 'function_call', call_id: /^call_\d+$/, name: 'invented' },
    { type: 'custom_tool_call', call_id: 'c2', name: 'free', input: 'raw text' },
  ]);
});

t.test('a custom tool call cut short (length): status completed, as clients accept, and the input as far as it arrived', async (t) => {
  const body = { model: 'm', input: 'x', tools: [{ type: 'custom', name: 'apply_patch' }] };
  const cut = (args: string) =>
    translate(body, completion({ tool_calls: [{ id: 'c1', type: 'function', function: { name: 'apply_patch', arguments: args } }] }, 'length')).output[0];
  t.match(translate(body, completion({ tool_calls: [{ id: 'c1', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin' } }] }, 'length')), {
    status: 'incomplete',
    incomplete_details: { reason: 'max_output_tokens' },
    output: [{ type: 'custom_tool_call', status: 'completed', input: '*** Begin' }],
  });
  t.match(cut('{"input":"a\\nb\\'), { input: 'a\nb' }, 'an escape cut in half is dropped');
  t.match(cut('{"input":"x\\"y"'), { input: 'x"y' }, 'the closing quote arrived, the brace did not');
  t.match(cut('{"input":"p\\u00'), { input: 'p' });
});

t.test('usage: output_tokens hold the reasoning tokens, whether or not the upstream counted them in completion_tokens', async (t) => {
  const usage = (u: Record<string, unknown>) => translate({ model: 'm', input: 'x' }, completion({ content: 'a' }, 'stop', u)).usage;
  const vertex = usage({ prompt_tokens: 42, completion_tokens: 17, total_tokens: 71, completion_tokens_details: { reasoning_tokens: 12 } });
  t.match(vertex, { output_tokens: 29, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 71 }, 'Vertex: thinking beside completion_tokens');
  const openai = usage({ prompt_tokens: 42, completion_tokens: 29, total_tokens: 71, completion_tokens_details: { reasoning_tokens: 12 } });
  t.match(openai, { output_tokens: 29, total_tokens: 71 }, 'OpenAI: thinking inside completion_tokens');
  t.match(usage({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 }), { output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 } });
});

t.test('a message-level signature belongs to the first call', async (t) => {
  const seen: string[] = [];
  toResponse(
    completion({ extra_content: { google: { thought_signature: 'S' } }, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] }, 'tool_calls'),
    { ...toChatRequest({ model: 'm', input: 'x' }), onSignature: (id, sig) => seen.push(`${id}=${sig}`) },
  );
  t.same(seen, ['a=S']);
});

t.test('an answer that is not a chat completion is a 502', async (t) => {
  const ctx = toChatRequest({ model: 'm', input: 'x' });
  for (const bad of [null, {}, { choices: [] }, { choices: [{}] }, 'text']) {
    t.throws(() => toResponse(bad, ctx), { statusCode: 502, code: 'upstream_invalid_response' });
  }
});
