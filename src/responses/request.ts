// `POST /v1/responses` body → Chat Completions body.
//
// Only keys Vertex documents for chat are ever written; everything else a
// Responses client sends (store, include, metadata, prompt_cache_key,
// client_metadata, safety_identifier, truncation, service_tier, background,
// …) stays behind, because Vertex rejects fields it does not know. Context kept
// on OpenAI's side (a conversation, a stored prompt) is refused instead: the
// model would answer without it.

import type { ChatCompletionRequest, ChatMessage, ChatResponseFormat } from './chat-types.ts';
import { invalidBody, unsupportedInput } from './errors.ts';
import { resolveReferences, translateInput, turnItems } from './input.ts';
import type { ToolNames } from './tool-names.ts';
import { translateToolChoice, translateTools } from './tools.ts';
import type { InputItem, ReasoningEffort, ResponsesRequest, TextFormat } from './types.ts';
import {
  isRecord,
  optionalBoolean,
  optionalNumber,
  optionalPositiveInt,
  optionalRecord,
  optionalString,
} from './validate.ts';

export interface DroppedFeature {
  /** `tool`: a built-in tool or a tool_choice forcing one; `item`: an input item with no chat form. */
  kind: 'tool' | 'item';
  type: string;
}

export interface RequestOptions {
  /** Items of the stored conversation named by `previous_response_id`, oldest first. */
  history?: readonly InputItem[];
  /** The stored item with this id, for `item_reference` input items. */
  resolveItem?: (id: string) => InputItem | undefined;
  /** The remembered thought signature of a tool call id (the proxy's signature memory). */
  recallSignature?: (callId: string) => string | undefined;
  /** Called once per dropped tool or item: the route logs it at debug level and counts it. */
  onDropped?: (dropped: DroppedFeature) => void;
}

export interface TranslatedRequest {
  /** The body to send upstream (the route may still rewrite `model` for aliases). */
  chat: ChatCompletionRequest;
  /** The validated request, echoed in the response object. */
  request: ResponsesRequest;
  /** This turn's input items (references resolved), for the store. */
  input: InputItem[];
  /** Chat function names → declared Responses tools, for translating the answer. */
  names: ToolNames;
}

const EFFORTS = new Map([
  ['none', 'none'],
  ['minimal', 'minimal'],
  ['low', 'low'],
  ['medium', 'medium'],
  ['high', 'high'],
  // Vertex documents low/medium/high; the highest OpenAI level asks for the most there is.
  ['xhigh', 'high'],
]);

export function toChatRequest(body: unknown, options: RequestOptions = {}): TranslatedRequest {
  if (!isRecord(body)) throw invalidBody('The request body must be a JSON object.');
  const request = validate(body);
  const onDropped = options.onDropped ?? (() => {});
  const { tools, names } = translateTools(body['tools'], (type) => onDropped({ kind: 'tool', type }));
  const choice = translateToolChoice(body['tool_choice'], names, (type) => onDropped({ kind: 'tool', type }));

  const placed = typeof request.input === 'string' ? request.input : resolveReferences(request.input, 'input', options.resolveItem);
  const inputCtx = { names, recallSignature: options.recallSignature, onDroppedItem: (type: string) => onDropped({ kind: 'item', type }) };
  const messages: ChatMessage[] = [];
  if (request.instructions != null && request.instructions !== '') messages.push({ role: 'system', content: request.instructions });
  // History and this turn in one pass: a call in one may take its signature from a reasoning item in the other.
  const history = resolveReferences(options.history ?? [], 'previous_response.history', undefined);
  messages.push(...translateInput(typeof placed === 'string' ? history : [...history, ...placed], inputCtx));
  if (typeof placed === 'string') messages.push({ role: 'user', content: placed });

  // Nothing for the model to answer (`input: []`, or only items that are dropped): Vertex would refuse it.
  if (!messages.some((message) => message.role !== 'system')) throw invalidBody('input has no item the model can be sent; send a message.');
  const chat: ChatCompletionRequest = { model: request.model, messages };
  const offered = choice.allowed === undefined ? tools : tools.filter((t) => choice.allowed?.has(t.function.name));
  // No tools left (all built-in, say): no tool keys at all, which Vertex may refuse alone.
  if (offered.length > 0) {
    chat.tools = offered;
    if (choice.toolChoice !== undefined) chat.tool_choice = choice.toolChoice;
    // parallel_tool_calls is not among the parameters Google lists for its OpenAI
    // endpoint (a field Vertex does not know fails the request); Gemini decides
    // on parallel calls itself. It is still echoed in the response object.
  }
  const format = responseFormat(request.text?.format);
  if (format !== undefined) chat.response_format = format;
  if (request.max_output_tokens != null) chat.max_tokens = request.max_output_tokens;
  const effort = request.reasoning?.effort;
  if (effort != null) chat.reasoning_effort = EFFORTS.get(effort) ?? effort;
  if (request.temperature != null) chat.temperature = request.temperature;
  if (request.top_p != null) chat.top_p = request.top_p;
  if (request.user !== undefined) chat.user = request.user;
  if (request.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, request, input: turnItems(placed), names };
}

function responseFormat(format: TextFormat | undefined): ChatResponseFormat | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, schema, description, strict } = format;
  return {
    type: 'json_schema',
    json_schema: { name, schema, ...(description !== undefined && { description }), ...(strict != null && { strict }) },
  };
}

/** Checks the fields the translation reads and keeps them for the response echo. */
function validate(body: Record<string, unknown>): ResponsesRequest {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') throw invalidBody('model is required and must be a non-empty string.');
  // A server-side conversation would silently lose its context here: refuse it.
  if (body['conversation'] != null) throw unsupportedInput('conversation is not supported; send previous_response_id or the items instead.');
  // A stored prompt template carries instructions (and tools) the model would never see.
  if (body['prompt'] != null) throw unsupportedInput('prompt (a stored prompt template) is not supported; send instructions and tools instead.');
  const input = body['input'];
  if (typeof input !== 'string' && !Array.isArray(input)) throw invalidBody('input is required and must be a string or an array of items.');
  const text = optionalRecord(body['text'], 'text');
  const reasoning = optionalRecord(body['reasoning'], 'reasoning');
  const effort = optionalString(reasoning?.['effort'], 'reasoning.effort');
  if (effort !== undefined && !EFFORTS.has(effort)) throw invalidBody(`reasoning.effort '${effort}' is not one of ${[...EFFORTS.keys()].join(', ')}.`);
  const metadata = optionalRecord(body['metadata'], 'metadata');
  return {
    model,
    input: input as ResponsesRequest['input'],
    instructions: optionalString(body['instructions'], 'instructions') ?? null,
    ...(body['tools'] != null && { tools: body['tools'] as ResponsesRequest['tools'] }),
    ...(body['tool_choice'] != null && { tool_choice: body['tool_choice'] as ResponsesRequest['tool_choice'] }),
    parallel_tool_calls: optionalBoolean(body['parallel_tool_calls'], 'parallel_tool_calls') ?? null,
    text: text === undefined ? null : { ...text, ...(text['format'] != null && { format: textFormat(text['format']) }) },
    reasoning: reasoning === undefined ? null : { effort: (effort as ReasoningEffort | undefined) ?? null, summary: optionalString(reasoning['summary'], 'reasoning.summary') ?? null },
    max_output_tokens: optionalPositiveInt(body['max_output_tokens'], 'max_output_tokens') ?? null,
    temperature: optionalNumber(body['temperature'], 'temperature') ?? null,
    top_p: optionalNumber(body['top_p'], 'top_p') ?? null,
    ...(body['user'] != null && { user: optionalString(body['user'], 'user') }),
    stream: optionalBoolean(body['stream'], 'stream') ?? null,
    store: optionalBoolean(body['store'], 'store') ?? null,
    previous_response_id: optionalString(body['previous_response_id'], 'previous_response_id') ?? null,
    metadata: (metadata as Record<string, string> | undefined) ?? null,
    truncation: optionalString(body['truncation'], 'truncation') ?? null,
    prompt_cache_key: optionalString(body['prompt_cache_key'], 'prompt_cache_key') ?? null,
    safety_identifier: optionalString(body['safety_identifier'], 'safety_identifier') ?? null,
    service_tier: optionalString(body['service_tier'], 'service_tier') ?? null,
    background: optionalBoolean(body['background'], 'background') ?? null,
  };
}

function textFormat(format: unknown): TextFormat {
  if (!isRecord(format)) throw invalidBody('text.format must be an object.');
  if (format['type'] === 'text' || format['type'] === 'json_object') return { type: format['type'] };
  if (format['type'] !== 'json_schema') throw invalidBody("text.format.type must be 'text', 'json_object' or 'json_schema'.");
  const name = format['name'];
  if (typeof name !== 'string' || name === '') throw invalidBody('text.format.name must be a non-empty string.');
  const schema = optionalRecord(format['schema'], 'text.format.schema');
  if (schema === undefined) throw invalidBody('text.format.schema is required for json_schema.');
  return {
    type: 'json_schema',
    name,
    schema,
    ...(format['description'] != null && { description: optionalString(format['description'], 'text.format.description') as string }),
    ...(format['strict'] != null && { strict: optionalBoolean(format['strict'], 'text.format.strict') as boolean }),
  };
}
