// The subset of the OpenAI Responses API request the proxy translates.
// Field names follow openai-node's `resources/responses/responses.ts` and
// Codex's `codex-rs/protocol/src/models.rs`; clients send more than this,
// and anything not named here is ignored rather than forwarded.

export type Role = 'user' | 'assistant' | 'system' | 'developer';
export type ImageDetail = 'auto' | 'low' | 'high' | 'original';

export interface InputTextPart {
  type: 'input_text';
  text: string;
}
export interface InputImagePart {
  type: 'input_image';
  image_url?: string | null;
  file_id?: string | null;
  detail?: ImageDetail;
}
export interface InputFilePart {
  type: 'input_file';
  file_data?: string;
  file_id?: string | null;
  file_url?: string;
  filename?: string;
}
export interface OutputTextPart {
  type: 'output_text';
  text: string;
  annotations?: unknown[];
}
export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}
export type ContentPart = InputTextPart | InputImagePart | InputFilePart | OutputTextPart | RefusalPart;

/** `type` is optional on input: `{ role, content }` alone is a message (EasyInputMessage). */
export interface MessageItem {
  type?: 'message';
  id?: string;
  role: Role;
  content: string | ContentPart[];
  status?: string;
}

export interface FunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  /** Set when the tool came from a `namespace` tool (Codex MCP servers, for example). */
  namespace?: string;
  arguments: string;
  status?: string;
}

/** Tool output: a string, or content parts (Codex sends images this way). */
export type ToolOutput = string | Array<InputTextPart | InputImagePart | InputFilePart>;

export interface FunctionCallOutputItem {
  type: 'function_call_output';
  id?: string;
  call_id: string;
  output: ToolOutput;
}

export interface CustomToolCallItem {
  type: 'custom_tool_call';
  id?: string;
  call_id: string;
  name: string;
  namespace?: string;
  input: string;
  status?: string;
}

export interface CustomToolCallOutputItem {
  type: 'custom_tool_call_output';
  id?: string;
  call_id: string;
  output: ToolOutput;
}

export interface ReasoningItem {
  type: 'reasoning';
  id?: string;
  summary: Array<{ type: 'summary_text'; text: string }>;
  encrypted_content?: string | null;
  status?: string;
}

export interface ItemReference {
  type: 'item_reference';
  id: string;
}

/** Items the translation understands; any other `type` is dropped and reported. */
export type InputItem =
  | MessageItem
  | FunctionCallItem
  | FunctionCallOutputItem
  | CustomToolCallItem
  | CustomToolCallOutputItem
  | ReasoningItem
  | ItemReference;

export interface FunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export interface CustomToolFormat {
  type: 'text' | 'grammar';
  syntax?: string;
  definition?: string;
}

export interface CustomTool {
  type: 'custom';
  name: string;
  description?: string;
  format?: CustomToolFormat;
}

export interface NamespaceTool {
  type: 'namespace';
  name: string;
  description?: string;
  tools: Array<FunctionTool | CustomTool>;
}

/** Built-in tools (web_search, file_search, mcp, …) keep only their type: they are dropped. */
export interface BuiltInTool {
  type: string;
}

export type Tool = FunctionTool | CustomTool | NamespaceTool | BuiltInTool;

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function' | 'custom'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Array<{ type: string; name?: string }> }
  | { type: string };

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/** A validated `POST /v1/responses` body (only the fields the proxy reads). */
export interface ResponsesRequest {
  model: string;
  input: string | InputItem[];
  instructions?: string | null;
  tools?: Tool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean | null;
  text?: { format?: TextFormat; verbosity?: string | null } | null;
  reasoning?: { effort?: ReasoningEffort | null; summary?: string | null } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  user?: string;
  stream?: boolean | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  metadata?: Record<string, string> | null;
  truncation?: string | null;
  prompt_cache_key?: string | null;
  safety_identifier?: string | null;
  service_tier?: string | null;
  /** Echoed as sent; the proxy answers every request in the foreground (README). */
  background?: boolean | null;
}
