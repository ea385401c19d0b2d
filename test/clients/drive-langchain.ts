// LangChain's ChatOpenAI: with `useResponsesApi: true` it speaks the Responses
// API, by default Chat Completions. The tool round trip is the one its docs
// show: bindTools, invoke, run the tool, send a ToolMessage back.

import { HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import type { Target } from './drive-openai.ts';
import { CLIENT_KEY, PROMPT, TOOL_DESCRIPTION, TOOL_NAME, TOOL_PARAMETERS, weather } from './weather.ts';

function model(target: Target, useResponsesApi: boolean): ChatOpenAI {
  return new ChatOpenAI({
    model: target.model,
    apiKey: CLIENT_KEY,
    configuration: { baseURL: target.baseURL },
    useResponsesApi,
    maxRetries: 0,
  });
}

async function toolRoundTrip(chat: ChatOpenAI) {
  const withTools = chat.bindTools([
    { type: 'function', function: { name: TOOL_NAME, description: TOOL_DESCRIPTION, parameters: TOOL_PARAMETERS } },
  ]);
  const messages: BaseMessage[] = [new HumanMessage(PROMPT)];
  const first = await withTools.invoke(messages);
  messages.push(first);
  for (const call of first.tool_calls ?? []) {
    messages.push(new ToolMessage({ tool_call_id: call.id ?? '', content: weather(call.args as { city: string }) }));
  }
  const second = await withTools.invoke(messages);
  return { toolCalls: first.tool_calls ?? [], text: second.text };
}

/** Responses API: a plain invoke, then the tool round trip. */
export async function responsesApi(target: Target) {
  const chat = model(target, true);
  const plain = await chat.invoke('Say hello.');
  return { plain: plain.text, ...(await toolRoundTrip(chat)) };
}

export function chatBindTools(target: Target) {
  return toolRoundTrip(model(target, false));
}
