// The `openai` SDK used the way its README shows, against any base URL: the
// Responses API (create, stream, parse) and the Chat Completions tool runner.
// Each function returns what a test asserts on.

import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { z } from 'zod';
import { CLIENT_KEY, PROMPT, TOOL_DESCRIPTION, TOOL_NAME, TOOL_PARAMETERS, weather } from './weather.ts';

export interface Target {
  /** Ends in /v1. */
  readonly baseURL: string;
  readonly model: string;
}

export function client(target: Target): OpenAI {
  return new OpenAI({ baseURL: target.baseURL, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 20_000 });
}

const WEATHER_TOOL = {
  type: 'function' as const,
  name: TOOL_NAME,
  description: TOOL_DESCRIPTION,
  parameters: TOOL_PARAMETERS as unknown as Record<string, unknown>,
  strict: true,
};

export async function responsesPlain(target: Target) {
  const response = await client(target).responses.create({ model: target.model, input: 'Say hello.' });
  return { response, text: response.output_text };
}

export async function responsesInstructions(target: Target) {
  const response = await client(target).responses.create({
    model: target.model,
    instructions: 'Answer in one short sentence.',
    input: 'Say hello.',
  });
  return { response, text: response.output_text };
}

/** Two turns: the model calls the tool, the client sends the output items back with the tool's result. */
export async function responsesTools(target: Target) {
  const openai = client(target);
  const input: ResponseInputItem[] = [{ role: 'user', content: PROMPT }];
  const first = await openai.responses.create({ model: target.model, input, tools: [WEATHER_TOOL] });
  const calls = first.output.filter((item) => item.type === 'function_call');
  input.push(...(first.output as ResponseInputItem[]));
  for (const call of calls) {
    const args = JSON.parse(call.arguments) as { city: string };
    input.push({ type: 'function_call_output', call_id: call.call_id, output: weather(args) });
  }
  const second = await openai.responses.create({ model: target.model, input, tools: [WEATHER_TOOL] });
  return { first, calls, second, text: second.output_text };
}

/** Two turns chained by `previous_response_id`: the second sends only the tool's result. */
export async function responsesPrevious(target: Target) {
  const openai = client(target);
  const first = await openai.responses.create({ model: target.model, input: PROMPT, tools: [WEATHER_TOOL] });
  const call = first.output.find((item) => item.type === 'function_call');
  if (!call) throw new Error(`no function_call in ${JSON.stringify(first.output)}`);
  const second = await openai.responses.create({
    model: target.model,
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: weather(JSON.parse(call.arguments)) }],
    tools: [WEATHER_TOOL],
  });
  const third = await openai.responses.create({ model: target.model, previous_response_id: second.id, input: 'Thanks!' });
  return { first, second, third, text: second.output_text };
}

export async function responsesStream(target: Target) {
  const stream = client(target).responses.stream({ model: target.model, input: 'Say hello.' });
  const events: { type: string; sequence: number }[] = [];
  let text = '';
  for await (const event of stream) {
    events.push({ type: event.type, sequence: event.sequence_number });
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  const final = await stream.finalResponse();
  return { events, text, final };
}

export const Forecast = z.object({ city: z.string(), temperature: z.number() });
export const FORECAST_JSON = '{"city":"Paris","temperature":21}';

export async function responsesParse(target: Target) {
  const response = await client(target).responses.parse({
    model: target.model,
    input: 'Weather in Paris as JSON.',
    text: { format: zodTextFormat(Forecast, 'forecast') },
  });
  return { response, parsed: response.output_parsed };
}

/** The Chat Completions tool runner, streaming: it runs the tool and sends the result back by itself. */
export async function chatRunTools(target: Target) {
  const runner = client(target).chat.completions.runTools({
    model: target.model,
    stream: true,
    messages: [{ role: 'user', content: PROMPT }],
    tools: [
      {
        type: 'function',
        function: {
          name: TOOL_NAME,
          description: TOOL_DESCRIPTION,
          parameters: TOOL_PARAMETERS as unknown as Record<string, unknown>,
          parse: (args: string) => JSON.parse(args) as { city: string },
          function: (args: { city: string }) => weather(args),
        },
      },
    ],
  });
  const text = await runner.finalContent();
  return { text, messages: runner.messages };
}
