// Chat Completions tool loops of real clients through the proxy (issue 13):
// the `openai` SDK's runTools (streaming), the AI SDK's `.chat()` provider,
// LangChain's bindTools + ToolMessage, the Agents SDK in chat_completions mode
// (streaming). On Gemini 2.5 the byte-for-byte proxy already carries them; on
// Gemini 3 the fake refuses a follow-up whose tool call lost its thought
// signature, as Vertex does: each of these clients drops it, and the proxy
// puts back the one it noted while relaying the answer.

import t from 'tap';
import * as aiSdk from './drive-ai-sdk.ts';
import * as agents from './drive-agents.ts';
import * as langchain from './drive-langchain.ts';
import * as openai from './drive-openai.ts';
import type { Target } from './drive-openai.ts';
import { assertSignaturesCarried, assertVertexAccepted, chatRequests, startProxy, textOf } from './proxy.ts';
import { FINAL_TEXT, GEMINI_3, MODEL, TOOL_NAME, TOOL_RESULT, toolLoop } from './weather.ts';

interface Loop {
  readonly name: string;
  readonly run: (target: Target) => Promise<{ text: string | null }>;
}

const LOOPS: readonly Loop[] = [
  { name: 'openai SDK runTools, streaming', run: openai.chatRunTools },
  { name: 'AI SDK openai.chat() generateText', run: aiSdk.chatGenerateTextTools },
  { name: 'LangChain ChatOpenAI bindTools + ToolMessage', run: langchain.chatBindTools },
  { name: "Agents SDK setOpenAIAPI('chat_completions'), streamed run", run: agents.chatStreamTool },
];

for (const loop of LOOPS) {
  t.test(`${loop.name}: tool loop on Gemini 2.5`, async (t) => {
    const { h, target } = await startProxy(t);
    h.vertex.chat.script = toolLoop();
    const result = await loop.run(target(MODEL));
    t.equal(result.text, FINAL_TEXT, 'the final text arrives');
    const [first, second] = chatRequests(h.vertex);
    t.equal(chatRequests(h.vertex).length, 2, 'two chat requests: the question, then the tool result');
    t.same(
      (first?.tools as { function: { name: string } }[] | undefined)?.map((tool) => tool.function.name),
      [TOOL_NAME],
    );
    const assistant = second?.messages?.find((m) => m.role === 'assistant');
    const tool = second?.messages?.find((m) => m.role === 'tool');
    t.equal(assistant?.tool_calls?.[0]?.function.name, TOOL_NAME);
    t.equal(tool?.tool_call_id, assistant?.tool_calls?.[0]?.id, 'the tool result answers that call');
    t.equal(textOf(tool?.content), TOOL_RESULT);
    assertVertexAccepted(t, h.vertex);
  });

  t.test(`${loop.name}: tool loop on Gemini 3 keeps the thought signature`, async (t) => {
    const { h, target } = await startProxy(t);
    h.vertex.chat.script = toolLoop();
    const result = await loop.run(target(GEMINI_3));
    t.equal(result.text, FINAL_TEXT, 'the final text arrives');
    assertSignaturesCarried(t, h.vertex);
    assertVertexAccepted(t, h.vertex);
  });
}
