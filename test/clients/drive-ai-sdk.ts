// The Vercel AI SDK with its OpenAI provider: `openai(model)` is the Responses
// API (the provider's default), `openai.chat(model)` is Chat Completions. Each
// call lets the SDK run the tool loop itself (stopWhen: a few steps).

import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import type { Target } from './drive-openai.ts';
import { CLIENT_KEY, PROMPT, TOOL_DESCRIPTION, toolInput, weather } from './weather.ts';

function provider(target: Target) {
  return createOpenAI({ baseURL: target.baseURL, apiKey: CLIENT_KEY });
}

const tools = {
  get_weather: tool({ description: TOOL_DESCRIPTION, inputSchema: toolInput, execute: async (input) => weather(input) }),
};

export async function generateTextTools(target: Target) {
  const result = await generateText({
    model: provider(target)(target.model),
    prompt: PROMPT,
    tools,
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });
  return { text: result.text, steps: result.steps.length };
}

export async function streamTextTools(target: Target) {
  const result = streamText({
    model: provider(target)(target.model),
    prompt: PROMPT,
    tools,
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });
  const parts: string[] = [];
  for await (const part of result.fullStream) {
    if (part.type === 'error') throw part.error;
    parts.push(part.type);
  }
  return { text: await result.text, parts, steps: (await result.steps).length };
}

export async function chatGenerateTextTools(target: Target) {
  const result = await generateText({
    model: provider(target).chat(target.model),
    prompt: PROMPT,
    tools,
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });
  return { text: result.text, steps: result.steps.length };
}
