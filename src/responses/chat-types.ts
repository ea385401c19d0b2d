// The Chat Completions subset the translation writes upstream and reads back,
// as Vertex's OpenAI-compatible endpoint speaks it. Gemini 3 adds
// `extra_content.google.thought_signature` to tool calls (Google's
// "Thought signatures" and "OpenAI compatibility" pages).

export interface ThoughtSignatureExtra {
  google?: { thought_signature?: string };
}

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'file'; file: { file_data: string; filename?: string } };

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: ThoughtSignatureExtra;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatFunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };
}

export type ChatToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ChatResponseFormat =
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; schema: Record<string, unknown>; description?: string; strict?: boolean };
    };

/** The upstream body. Only keys Vertex documents as supported are ever set. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatFunctionTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ChatResponseFormat;
  max_tokens?: number;
  reasoning_effort?: string;
  temperature?: number;
  top_p?: number;
  user?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** A tool call as it arrives: whole (non-streaming) or in fragments keyed by `index`. */
export interface ChatToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string | null; arguments?: string | null };
  extra_content?: ThoughtSignatureExtra;
}

export interface ChatAnswerMessage {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  /** Thought summaries, when the model sends them (Gemini with thoughts included, vLLM). */
  reasoning_content?: string | null;
  tool_calls?: ChatToolCallDelta[] | null;
  extra_content?: ThoughtSignatureExtra;
}

export interface ChatCompletion {
  id?: string;
  model?: string;
  created?: number;
  choices?: Array<{ index?: number; message?: ChatAnswerMessage; finish_reason?: string | null }>;
  usage?: ChatUsage | null;
}

export interface ChatCompletionChunk {
  id?: string;
  model?: string;
  choices?: Array<{ index?: number; delta?: ChatAnswerMessage; finish_reason?: string | null }>;
  usage?: ChatUsage | null;
  /** Vertex reports a failure that happens after the first byte as an `error` object. */
  error?: { code?: number | string; message?: string; status?: string };
}
