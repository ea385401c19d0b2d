// What the streaming and the non-streaming translation of an answer share:
// the context they run in, the response object around the output, usage,
// the final status and the output item of a chat tool call.

import type { ChatUsage } from './chat-types.ts';
import { randomId, type IdSource } from './ids.ts';
import type {
  ItemStatus,
  OutputCustomToolCall,
  OutputFunctionCall,
  OutputItem,
  OutputReasoning,
  ResponseObject,
  ResponseStatus,
  ResponseUsage,
} from './response-types.ts';
import { encodeSignatures } from './signatures.ts';
import type { ToolNames } from './tool-names.ts';
import type { ResponsesRequest } from './types.ts';

export interface AnswerContext {
  /** The validated request (`TranslatedRequest.request`), echoed in the response object. */
  request: ResponsesRequest;
  /** `TranslatedRequest.names`: chat function names back to the declared tools. */
  names: ToolNames;
  /** The response id; a new `resp_…` by default. The route may pick it to log it early. */
  responseId?: string;
  /** Clock in milliseconds, for `created_at`. */
  now?: () => number;
  newId?: IdSource;
  /** Each thought signature the answer hands out, for the proxy's signature memory. */
  onSignature?: (callId: string, signature: string) => void;
}

/** The context with its defaults filled in. */
export interface Resolved {
  request: ResponsesRequest;
  names: ToolNames;
  responseId: string;
  createdAt: number;
  newId: IdSource;
  onSignature: (callId: string, signature: string) => void;
}

export function resolveContext(ctx: AnswerContext): Resolved {
  const newId = ctx.newId ?? randomId;
  return {
    request: ctx.request,
    names: ctx.names,
    responseId: ctx.responseId ?? newId('resp'),
    createdAt: Math.floor((ctx.now ?? Date.now)() / 1000),
    newId,
    onSignature: ctx.onSignature ?? (() => {}),
  };
}

/** The response object, echoing the request fields SDKs read back. */
export function responseObject(
  ctx: Resolved,
  status: ResponseStatus,
  output: OutputItem[],
  extra: { usage?: ResponseUsage | null; incompleteReason?: string | undefined; error?: ResponseObject['error'] } = {},
): ResponseObject {
  const r = ctx.request;
  return {
    id: ctx.responseId,
    object: 'response',
    created_at: ctx.createdAt,
    status,
    background: r.background ?? false,
    error: extra.error ?? null,
    incomplete_details: extra.incompleteReason === undefined ? null : { reason: extra.incompleteReason },
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model: r.model,
    output,
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    prompt_cache_key: r.prompt_cache_key ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: r.reasoning?.summary ?? null },
    safety_identifier: r.safety_identifier ?? null,
    service_tier: 'default',
    store: r.store ?? true,
    temperature: r.temperature ?? null,
    text: r.text ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? null,
    truncation: r.truncation ?? 'disabled',
    usage: extra.usage ?? null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
  };
}

/** Usage in Responses terms; zeros when the upstream sent none (the AI SDK requires the object). */
export function responseUsage(usage: ChatUsage | null | undefined): ResponseUsage {
  if (usage == null) usage = {};
  const input = usage.prompt_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const total = usage.total_tokens ?? input + completion;
  // Responses' output_tokens include the reasoning tokens (clients subtract them to count text).
  // Vertex counts Gemini's thinking beside completion_tokens: the three then add up to the total.
  const output = reasoning > 0 && input + completion + reasoning <= total ? completion + reasoning : completion;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: total,
  };
}

/** `length` → incomplete (max_output_tokens), `content_filter` → incomplete (content_filter). */
export function finalStatus(finishReason: string | null | undefined): { status: ResponseStatus; incompleteReason?: string } {
  if (finishReason === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (finishReason === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed' };
}

/** A reasoning item that carries thought signatures to the next turn (see signatures.ts). */
export function signatureItem(ctx: Resolved, signatures: ReadonlyMap<string, string>, summary = ''): OutputReasoning {
  return {
    type: 'reasoning',
    id: ctx.newId('rs'),
    summary: summary === '' ? [] : [{ type: 'summary_text', text: summary }],
    ...(signatures.size > 0 && { encrypted_content: encodeSignatures(signatures) }),
  };
}

/**
 * The output item of a chat tool call: a `function_call` with the declared
 * (un-flattened) name and namespace, or a `custom_tool_call` whose input is
 * the `input` string the model passed.
 */
export function toolCallItem(
  ctx: Resolved,
  call: { callId: string; chatName: string; arguments: string },
  status: ItemStatus,
  itemId?: string,
): OutputFunctionCall | OutputCustomToolCall {
  const target = ctx.names.fromChat(call.chatName);
  const ns = target?.namespace !== undefined ? { namespace: target.namespace } : {};
  if (target?.kind === 'custom') {
    return {
      type: 'custom_tool_call',
      id: itemId ?? ctx.newId('ctc'),
      // Clients accept only `completed` here (the AI SDK's schema); a call cut short shows in the response's incomplete_details.
      status: 'completed',
      call_id: call.callId,
      name: target.name,
      ...ns,
      input: customInput(call.arguments),
    };
  }
  return {
    type: 'function_call',
    id: itemId ?? ctx.newId('fc'),
    status,
    call_id: call.callId,
    name: target?.name ?? call.chatName,
    ...ns,
    arguments: call.arguments,
  };
}

const INPUT_START = /^\s*\{\s*"input"\s*:\s*"/;

/** `{"input": "…"}` → `…`; cut short, as much of the string as arrived; anything else as the model wrote it. */
export function customInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { input?: unknown }).input === 'string') {
      return (parsed as { input: string }).input;
    }
  } catch {
    const start = INPUT_START.exec(args);
    if (start) return partialString(args.slice(start[0].length));
  }
  return args;
}

/** The start of a JSON string, unescaped: what follows its end, or an escape cut in half, is dropped. */
function partialString(fragment: string): string {
  const close = /(?<!\\)(?:\\\\)*"/.exec(fragment);
  const body = close ? fragment.slice(0, close.index + close[0].length - 1) : fragment;
  for (let end = body.length; end >= Math.max(0, body.length - 6); end--) {
    try {
      return JSON.parse(`"${body.slice(0, end)}"`) as string;
    } catch {
      // an escape cut in half: try a shorter piece
    }
  }
  return body;
}
