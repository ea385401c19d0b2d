// Responses API clients other than the `openai` SDK, through the proxy (issue
// 10): the AI SDK's default provider (generateText and streamText with a tool
// loop), the Agents SDK's default (a run with a tool, a streamed run),
// LangChain with useResponsesApi. Tool loops run on Gemini 3, so the thought
// signature must make the Responses round trip too.

import t, { type Test } from 'tap';
import * as aiSdk from './drive-ai-sdk.ts';
import * as agents from './drive-agents.ts';
import * as langchain from './drive-langchain.ts';
import { assertSignaturesCarried, assertVertexAccepted, chatRequests, startProxy, textOf } from './proxy.ts';
import { FINAL_TEXT, GEMINI_3, PLAIN_TEXT, TOOL_NAME, TOOL_RESULT, toolLoop } from './weather.ts';

/** The second upstream request answers the first one's tool call with the tool's result. */
function assertToolRoundTrip(t: Test, requests: ReturnType<typeof chatRequests>): void {
  const followUp = requests.find((body) => body.messages?.some((m) => m.role === 'tool'));
  const assistant = followUp?.messages?.find((m) => m.role === 'assistant' && m.tool_calls?.length);
  const tool = followUp?.messages?.find((m) => m.role === 'tool');
  t.equal(assistant?.tool_calls?.[0]?.function.name, TOOL_NAME);
  t.equal(tool?.tool_call_id, assistant?.tool_calls?.[0]?.id);
  t.equal(textOf(tool?.content), TOOL_RESULT);
}

t.test('AI SDK openai(model) generateText: tool loop', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const result = await aiSdk.generateTextTools(target(GEMINI_3));
  t.equal(result.text, FINAL_TEXT);
  t.equal(result.steps, 2);
  assertToolRoundTrip(t, chatRequests(h.vertex));
  assertSignaturesCarried(t, h.vertex);
  assertVertexAccepted(t, h.vertex);
});

t.test('AI SDK openai(model) streamText: tool loop', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const result = await aiSdk.streamTextTools(target(GEMINI_3));
  t.equal(result.text, FINAL_TEXT);
  t.equal(result.steps, 2);
  for (const part of ['tool-call', 'tool-result', 'text-delta', 'finish']) t.ok(result.parts.includes(part), `streams a ${part} part`);
  t.ok(chatRequests(h.vertex).every((body) => body.stream === true), 'streamed upstream too');
  assertToolRoundTrip(t, chatRequests(h.vertex));
  assertSignaturesCarried(t, h.vertex);
  assertVertexAccepted(t, h.vertex);
});

t.test('Agents SDK (Responses by default): a run with a tool', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  t.equal((await agents.runWithTool(target(GEMINI_3))).text, FINAL_TEXT);
  const system = chatRequests(h.vertex)[0]?.messages?.[0];
  t.same([system?.role, textOf(system?.content)], ['system', 'You answer weather questions.'], 'the agent instructions lead');
  assertToolRoundTrip(t, chatRequests(h.vertex));
  assertSignaturesCarried(t, h.vertex);
  assertVertexAccepted(t, h.vertex);
});

t.test('Agents SDK (Responses by default): a streamed run', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const { text, events } = await agents.runStreamed(target(GEMINI_3));
  t.equal(text, FINAL_TEXT);
  const items = events.filter((event) => event.startsWith('item:'));
  // On Gemini 3 a reasoning item leads: it carries the call's thought signature to the next turn.
  t.same(
    items,
    ['item:reasoning_item_created', 'item:tool_called', 'item:tool_output', 'item:message_output_created'],
    'the signature, the tool call, its output, then the answer',
  );
  assertToolRoundTrip(t, chatRequests(h.vertex));
  assertSignaturesCarried(t, h.vertex);
  assertVertexAccepted(t, h.vertex);
});

t.test('LangChain ChatOpenAI({ useResponsesApi: true }): invoke, then bindTools and a ToolMessage', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const result = await langchain.responsesApi(target(GEMINI_3));
  t.equal(result.plain, PLAIN_TEXT);
  t.match(result.toolCalls, [{ name: TOOL_NAME, args: { city: 'Paris' } }]);
  t.equal(result.text, FINAL_TEXT);
  assertToolRoundTrip(t, chatRequests(h.vertex));
  assertSignaturesCarried(t, h.vertex);
  assertVertexAccepted(t, h.vertex);
});
