// Chat Completions answers a fake upstream sends back: plain text or tool
// calls, as one JSON body or as the SSE chunks a streamed answer is cut into.
// Shared by the fake Vertex and the clients' recording server, so both speak
// the same wire format. Gemini 3 puts a tool call's thought signature in
// `extra_content.google.thought_signature`, in the message and in the first
// delta of that tool call alike.

import type { ServerResponse } from 'node:http';

export interface ScriptedToolCall {
  readonly name: string;
  /** The JSON arguments, as the string the model writes. */
  readonly arguments: string;
  /** Default: `call_<n>`, unique within the server. */
  readonly id?: string;
  /** Gemini 3's opaque signature for this call, if any. */
  readonly signature?: string;
}

/** What the model "says": text, tool calls, or both. */
export interface ScriptedAnswer {
  readonly text?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  readonly finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
}

export const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

function toolCallJson(call: ScriptedToolCall, id: string) {
  return {
    id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
    ...(call.signature === undefined ? {} : { extra_content: { google: { thought_signature: call.signature } } }),
  };
}

/** Fills in the ids the script left out, so JSON and SSE answers carry the same ones. */
export function withIds(answer: ScriptedAnswer, nextId: () => string): ScriptedAnswer {
  if (!answer.toolCalls) return answer;
  return { ...answer, toolCalls: answer.toolCalls.map((call) => ({ ...call, id: call.id ?? nextId() })) };
}

function finishReason(answer: ScriptedAnswer): string {
  return answer.finishReason ?? (answer.toolCalls?.length ? 'tool_calls' : 'stop');
}

export function chatCompletion(model: string, answer: ScriptedAnswer, id = 'chatcmpl-scripted') {
  const calls = answer.toolCalls ?? [];
  return {
    id,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text ?? null,
          ...(calls.length ? { tool_calls: calls.map((call, i) => toolCallJson(call, call.id ?? `call_${i}`)) } : {}),
        },
        finish_reason: finishReason(answer),
      },
    ],
    usage: USAGE,
  };
}

/** The chunks of a streamed answer: role, text in two pieces, each tool call's name then its arguments in two pieces, finish, usage. */
export function chatChunks(model: string, answer: ScriptedAnswer, options: { includeUsage?: boolean; id?: string } = {}): unknown[] {
  const id = options.id ?? 'chatcmpl-scripted';
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  });
  const chunks: unknown[] = [chunk({ role: 'assistant', content: '' })];
  if (answer.text) {
    const half = Math.ceil(answer.text.length / 2);
    chunks.push(chunk({ content: answer.text.slice(0, half) }), chunk({ content: answer.text.slice(half) }));
  }
  (answer.toolCalls ?? []).forEach((call, index) => {
    const first = toolCallJson(call, call.id ?? `call_${index}`);
    chunks.push(chunk({ tool_calls: [{ index, ...first, function: { name: call.name, arguments: '' } }] }));
    const half = Math.ceil(call.arguments.length / 2);
    for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
      if (piece) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(chunk({}, finishReason(answer)));
  if (options.includeUsage) chunks.push({ ...(chunk({}) as object), choices: [], usage: USAGE });
  return chunks;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Writes `chunks` as `data:` events, `delayMs` apart, then `data: [DONE]`. */
export async function writeSse(res: ServerResponse, chunks: readonly unknown[], delayMs = 0): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const chunk of chunks) {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}
