// Responses input items → chat messages.
//
// A Responses conversation is a flat list of items; chat wants turns. So
// `function_call` items that follow each other (or follow an assistant
// message) become one assistant message with `tool_calls`, their outputs
// become `tool` messages, and reasoning items are dropped once the Gemini
// thought signatures they carry are taken out. Built-in tool items
// (web_search_call, computer_call, …) have no chat form and are dropped and
// reported, like the built-in tools themselves.

import type { ChatContentPart, ChatMessage, ChatToolCall } from './chat-types.ts';
import { textContent, toolOutput, userContent } from './content.ts';
import { invalidBody, itemNotFound } from './errors.ts';
import { decodeSignatures, signatureExtra } from './signatures.ts';
import type { ToolNames } from './tool-names.ts';
import type { InputItem } from './types.ts';
import { isRecord, requireString } from './validate.ts';

export interface InputContext {
  names: ToolNames;
  /** Thought signature the proxy remembers for a call id, when no reasoning item carries it. */
  recallSignature?: ((callId: string) => string | undefined) | undefined;
  onDroppedItem: (type: string) => void;
}

/** An item and where it came from, for error messages. */
export interface PlacedItem {
  item: Record<string, unknown>;
  where: string;
}

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);

/**
 * Replaces `item_reference` items with the stored items they name (the AI
 * SDK sends its earlier output this way when `store` is on). An unknown id
 * is a 404, as on OpenAI.
 */
export function resolveReferences(
  items: readonly unknown[],
  where: string,
  resolveItem: ((id: string) => unknown) | undefined,
): PlacedItem[] {
  return items.map((item, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(item)) throw invalidBody(`${at} must be an object.`);
    if (item['type'] !== 'item_reference') return { item, where: at };
    const id = requireString(item['id'], `${at}.id`);
    const found = resolveItem?.(id);
    if (!isRecord(found) || found['type'] === 'item_reference') throw itemNotFound(id);
    return { item: found, where: at };
  });
}

export function translateInput(items: readonly PlacedItem[], ctx: InputContext): ChatMessage[] {
  const signatures = new Map<string, string>();
  for (const { item } of items) {
    if (item['type'] === 'reasoning') for (const [id, sig] of decodeSignatures(item['encrypted_content'])) signatures.set(id, sig);
  }
  const messages: ChatMessage[] = [];
  let media: ChatContentPart[] = [];
  // The assistant message that following calls join; reset by anything but reasoning.
  let assistant: Extract<ChatMessage, { role: 'assistant' }> | undefined;
  const flushMedia = (): void => {
    if (media.length > 0) messages.push({ role: 'user', content: media });
    media = [];
  };

  for (const { item, where } of items) {
    const type = item['type'] ?? (typeof item['role'] === 'string' ? 'message' : undefined);
    if (type === 'reasoning') continue;
    if (type === 'function_call' || type === 'custom_tool_call') {
      flushMedia();
      const call = toolCall(item, where, type, ctx, signatures);
      if (assistant === undefined) {
        assistant = { role: 'assistant', content: null, tool_calls: [] };
        messages.push(assistant);
      }
      (assistant.tool_calls ??= []).push(call);
      continue;
    }
    assistant = undefined;
    if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      const callId = requireString(item['call_id'], `${where}.call_id`);
      const out = toolOutput(item['output'], `${where}.output`);
      messages.push({ role: 'tool', tool_call_id: callId, content: out.text });
      media.push(...out.media);
      continue;
    }
    flushMedia();
    if (type === 'message') {
      const message = chatMessage(item, where);
      messages.push(message);
      if (message.role === 'assistant') assistant = message;
      continue;
    }
    if (typeof type !== 'string') throw invalidBody(`${where} must have a type or a role.`);
    ctx.onDroppedItem(type);
  }
  flushMedia();
  return messages;
}

function chatMessage(item: Record<string, unknown>, where: string): ChatMessage {
  const role = item['role'];
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw invalidBody(`${where}.role must be one of 'user', 'assistant', 'system', 'developer'.`);
  }
  const content = item['content'];
  if (role === 'user') return { role, content: userContent(content, `${where}.content`) };
  if (role === 'assistant') return { role, content: textContent(content, `${where}.content`, '') };
  // Developer instructions are system instructions to a chat model.
  return { role: 'system', content: textContent(content, `${where}.content`, '\n') };
}

function toolCall(
  item: Record<string, unknown>,
  where: string,
  type: 'function_call' | 'custom_tool_call',
  ctx: InputContext,
  signatures: ReadonlyMap<string, string>,
): ChatToolCall {
  const callId = requireString(item['call_id'], `${where}.call_id`);
  const name = requireString(item['name'], `${where}.name`);
  const namespace = item['namespace'] == null ? undefined : requireString(item['namespace'], `${where}.namespace`);
  // A custom tool is a chat function taking { input }, so its input is wrapped the same way.
  const args =
    type === 'function_call'
      ? requireString(item['arguments'], `${where}.arguments`)
      : JSON.stringify({ input: requireString(item['input'], `${where}.input`) });
  const signature = signatures.get(callId) ?? ctx.recallSignature?.(callId);
  return {
    id: callId,
    type: 'function',
    function: { name: ctx.names.toChat(name, namespace), arguments: args },
    ...(signature !== undefined && { extra_content: signatureExtra(signature) }),
  };
}

/** The items of this turn as they go into the store: references resolved, string input as a message. */
export function turnItems(input: string | readonly PlacedItem[]): InputItem[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return input.map(({ item }) => item as unknown as InputItem);
}
