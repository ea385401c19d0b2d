// The one tool every client scenario uses, and the model's scripted side of a
// tool loop: ask for the weather in Paris, then answer with the result. The
// same script serves the recording server (Responses and Chat bodies) and the
// fake Vertex (Chat bodies), so a scenario runs unchanged against either.

import { z } from 'zod';
import type { ScriptedAnswer, ScriptedToolCall } from '../helpers/chat-answers.ts';

export const MODEL = 'google/gemini-2.5-flash';
export const GEMINI_3 = 'google/gemini-3-flash-preview';
export const CLIENT_KEY = 'sk-client-dummy-key';

export const TOOL_NAME = 'get_weather';
export const TOOL_DESCRIPTION = 'Current weather in a city';
export const TOOL_PARAMETERS = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
  additionalProperties: false,
} as const;
export const toolInput = z.object({ city: z.string().describe('City name') });

export const PROMPT = 'What is the weather in Paris? Use the tool.';
export const TOOL_CALL: ScriptedToolCall = { name: TOOL_NAME, arguments: '{"city":"Paris"}' };
export const TOOL_RESULT = 'sunny, 21 C';
export const FINAL_TEXT = 'It is sunny in Paris, 21 C.';
export const PLAIN_TEXT = 'Hello from the scripted model.';

export function weather({ city }: { city: string }): string {
  return city === 'Paris' ? TOOL_RESULT : 'unknown';
}

type Body = Record<string, unknown>;
type Message = { role?: string; content?: unknown };
type InputItem = { type?: string; role?: string };

/** True once the conversation holds a tool result after the last user turn. */
export function hasToolResult(body: Body): boolean {
  if (Array.isArray(body.messages)) {
    const messages = body.messages as Message[];
    const lastUser = messages.findLastIndex((m) => m.role === 'user');
    return messages.slice(lastUser + 1).some((m) => m.role === 'tool');
  }
  if (Array.isArray(body.input)) {
    const items = body.input as InputItem[];
    const lastUser = items.findLastIndex((item) => item.role === 'user');
    return items.slice(lastUser + 1).some((item) => item.type === 'function_call_output' || item.type === 'custom_tool_call_output');
  }
  return false;
}

function offersTools(body: Body): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0;
}

/** Tool call while tools are offered and no result is in, then `finalText`; plain text without tools. */
export function toolLoop(call: ScriptedToolCall = TOOL_CALL, finalText = FINAL_TEXT): (body: Body) => ScriptedAnswer {
  return (body) => {
    if (!offersTools(body)) return { text: PLAIN_TEXT };
    return hasToolResult(body) ? { text: finalText } : { toolCalls: [call] };
  };
}
