// The Responses API objects the proxy writes back: the response object, its
// output items and the streaming events. Shapes follow openai-node's
// `resources/responses/responses.ts`; the fields Codex parses strictly
// (`role` and `content` on messages, `summary` on reasoning, `call_id`,
// `name`, `arguments` on function calls) are always present.

import type { ResponsesRequest, Tool, ToolChoice } from './types.ts';

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';
/** `queued` and `cancelled` only for background responses (`background: true`). */
export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
}
export interface OutputRefusal {
  type: 'refusal';
  refusal: string;
}

export interface OutputMessage {
  type: 'message';
  id: string;
  status: ItemStatus;
  role: 'assistant';
  content: Array<OutputText | OutputRefusal>;
}

export interface OutputFunctionCall {
  type: 'function_call';
  id: string;
  status: ItemStatus;
  call_id: string;
  name: string;
  namespace?: string;
  arguments: string;
}

export interface OutputCustomToolCall {
  type: 'custom_tool_call';
  id: string;
  status: ItemStatus;
  call_id: string;
  name: string;
  namespace?: string;
  input: string;
}

export interface OutputReasoning {
  type: 'reasoning';
  id: string;
  summary: Array<{ type: 'summary_text'; text: string }>;
  /** Carries Gemini thought signatures (see signatures.ts); absent when there are none. */
  encrypted_content?: string;
}

export type OutputItem = OutputMessage | OutputFunctionCall | OutputCustomToolCall | OutputReasoning;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseError {
  code: string;
  message: string;
}

/** The response object of `POST /v1/responses`, `response.*` events and `GET /v1/responses/{id}`. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  background: boolean;
  error: ResponseError | null;
  incomplete_details: { reason: string } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  reasoning: { effort: string | null; summary: string | null };
  safety_identifier: string | null;
  service_tier: string | null;
  store: boolean;
  temperature: number | null;
  text: NonNullable<ResponsesRequest['text']>;
  tool_choice: ToolChoice;
  tools: Tool[];
  top_p: number | null;
  truncation: string;
  usage: ResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
}

/**
 * A streaming event before its `sequence_number` is stamped. Events are kept
 * loose (type plus fields) because the stream writes them straight to JSON;
 * the tests check them against openai-node's own accumulator.
 */
export interface StreamEvent {
  type: string;
  [field: string]: unknown;
}
