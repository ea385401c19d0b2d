// The OpenAI Agents SDK set up the documented way for another endpoint: a
// default OpenAI client with our base URL, tracing off (it would otherwise post
// traces to OpenAI), and either the default Responses API or
// setOpenAIAPI('chat_completions'). Its settings are process-wide, so every
// function sets all of them before it runs.

import {
  Agent,
  OpenAIProvider,
  Runner,
  setDefaultModelProvider,
  setDefaultOpenAIClient,
  setOpenAIAPI,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import { client, type Target } from './drive-openai.ts';
import { PROMPT, TOOL_DESCRIPTION, TOOL_NAME, toolInput, weather } from './weather.ts';

function agent(target: Target, api: 'responses' | 'chat_completions'): Agent {
  setTracingDisabled(true);
  setDefaultOpenAIClient(client(target));
  setOpenAIAPI(api);
  // The default provider and `run()`'s default runner keep the first client they saw; a
  // fresh provider (as the SDK builds at import) and a fresh Runner read the defaults
  // above, so one process can target several servers in turn.
  setDefaultModelProvider(new OpenAIProvider({ cacheResponsesWebSocketModels: false }));
  const getWeather = tool({
    name: TOOL_NAME,
    description: TOOL_DESCRIPTION,
    parameters: toolInput,
    execute: async (input) => weather(input),
  });
  return new Agent({ name: 'Weather', instructions: 'You answer weather questions.', model: target.model, tools: [getWeather] });
}

export async function runWithTool(target: Target) {
  const result = await new Runner().run(agent(target, 'responses'), PROMPT);
  return { text: String(result.finalOutput ?? '') };
}

async function streamed(target: Target, api: 'responses' | 'chat_completions') {
  const result = await new Runner().run(agent(target, api), PROMPT, { stream: true });
  const events: string[] = [];
  for await (const event of result) events.push(event.type === 'run_item_stream_event' ? `item:${event.name}` : event.type);
  await result.completed;
  if (result.error) throw result.error;
  return { text: String(result.finalOutput ?? ''), events };
}

export function runStreamed(target: Target) {
  return streamed(target, 'responses');
}

export function chatStreamTool(target: Target) {
  return streamed(target, 'chat_completions');
}
