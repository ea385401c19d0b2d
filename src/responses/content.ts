// Responses content parts → chat content.
//
// User content keeps its structure (text, images, files); system, developer
// and assistant content is text only on the chat side, so it is joined.
// Content the upstream has no way to receive (a `file_id` of OpenAI's Files
// API, audio) is refused with a 400 rather than silently dropped: losing a
// part of the user's prompt would give a wrong answer with no sign why.

import type { ChatContentPart } from './chat-types.ts';
import { invalidBody, unsupportedInput } from './errors.ts';
import { isRecord } from './validate.ts';

const CHAT_DETAILS = new Set(['auto', 'low', 'high']);

/** One content part → one chat part. `where` names it in errors (`input[2].content[0]`). */
export function chatPart(part: unknown, where: string): ChatContentPart {
  if (!isRecord(part) || typeof part['type'] !== 'string') throw invalidBody(`${where} must be an object with a string type.`);
  switch (part['type']) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: textOf(part['text'], `${where}.text`) };
    case 'refusal':
      return { type: 'text', text: textOf(part['refusal'], `${where}.refusal`) };
    case 'input_image':
      return imagePart(part, where);
    case 'input_file':
      return filePart(part, where);
    default:
      throw unsupportedInput(`${where} has type '${part['type']}', which cannot be sent to this model.`);
  }
}

function imagePart(part: Record<string, unknown>, where: string): ChatContentPart {
  const url = part['image_url'];
  if (typeof url !== 'string' || url === '') {
    if (part['file_id'] != null) throw unsupportedInput(`${where}: images by file_id are not supported; send image_url (a URL or data URL).`);
    throw invalidBody(`${where}.image_url must be a string.`);
  }
  // Chat knows auto/low/high; Codex's `original` has no chat equivalent.
  const detail = part['detail'];
  return {
    type: 'image_url',
    image_url: { url, ...(typeof detail === 'string' && CHAT_DETAILS.has(detail) && { detail }) },
  };
}

function filePart(part: Record<string, unknown>, where: string): ChatContentPart {
  const data = part['file_data'];
  if (typeof data === 'string' && data !== '') {
    const filename = part['filename'];
    return { type: 'file', file: { file_data: data, ...(typeof filename === 'string' && { filename }) } };
  }
  if (part['file_id'] != null) throw unsupportedInput(`${where}: files by file_id are not supported; send file_data.`);
  if (part['file_url'] != null) throw unsupportedInput(`${where}: files by file_url are not supported; send file_data.`);
  throw invalidBody(`${where}.file_data must be a string.`);
}

function textOf(value: unknown, where: string): string {
  if (typeof value !== 'string') throw invalidBody(`${where} must be a string.`);
  return value;
}

/** User content: a string stays a string; parts are mapped one by one. */
export function userContent(content: unknown, where: string): string | ChatContentPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidBody(`${where} must be a string or an array of content parts.`);
  return content.map((part: unknown, i) => chatPart(part, `${where}[${i}]`));
}

/** System, developer and assistant content: text parts joined, anything else refused. */
export function textContent(content: unknown, where: string, separator: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidBody(`${where} must be a string or an array of content parts.`);
  return content
    .map((part: unknown, i) => {
      const mapped = chatPart(part, `${where}[${i}]`);
      if (mapped.type !== 'text') throw unsupportedInput(`${where}[${i}]: only text is supported in this message role.`);
      return mapped.text;
    })
    .join(separator);
}

/**
 * A tool's output. Chat tool messages carry text only, so images and files
 * a tool returned (Codex's view_image) travel in a user message right after
 * the tool messages of the same turn.
 */
export function toolOutput(output: unknown, where: string): { text: string; media: ChatContentPart[] } {
  if (typeof output === 'string') return { text: output, media: [] };
  if (!Array.isArray(output)) throw invalidBody(`${where} must be a string or an array of content parts.`);
  const texts: string[] = [];
  const media: ChatContentPart[] = [];
  output.forEach((part: unknown, i) => {
    const mapped = chatPart(part, `${where}[${i}]`);
    if (mapped.type === 'text') texts.push(mapped.text);
    else media.push(mapped);
  });
  const text = texts.join('\n');
  return { text: text === '' && media.length > 0 ? '(the tool returned the attachment in the next message)' : text, media };
}
