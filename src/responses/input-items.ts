// GET /v1/responses/{id}/input_items: the input items of a stored response,
// one cursor page at a time, as openai-node's `responses.inputItems.list`
// reads them (`{ object: 'list', data, first_id, last_id, has_more }`).
//
// Listed are the items of the response's own turn (references resolved,
// string input as a user message), not the earlier turns a
// previous_response_id chain carried: each of those is listed under its own
// response. Items are shown as OpenAI returns them: every one with an id
// (given when the response was stored, so pages and `after` stay stable), a
// message's text as content parts, a status where the SDK types require one.

import { echoed, MAX_LIST_LIMIT } from '../errors/catalogue.ts';
import { invalidAfter, invalidListQuery } from './errors.ts';
import { queryFields, queryInteger } from './validate.ts';
import { randomId, type IdPrefix, type IdSource } from './ids.ts';
import type { InputItem } from './types.ts';

export interface ListQuery {
  order: 'asc' | 'desc';
  limit: number;
  /** The id of the item the page starts after, in the listed order. */
  after: string | undefined;
}

export interface InputItemList {
  object: 'list';
  data: Array<Record<string, unknown>>;
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** As OpenAI's defaults: newest first, 20 a page. */
export const DEFAULT_LIST_QUERY: ListQuery = { order: 'desc', limit: 20, after: undefined };

const PREFIXES: Readonly<Record<string, IdPrefix>> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  custom_tool_call: 'ctc',
  custom_tool_call_output: 'ctco',
  reasoning: 'rs',
};

// Types whose item the SDK types give a required status.
const WITH_STATUS = new Set(['message', 'function_call', 'function_call_output', 'custom_tool_call', 'custom_tool_call_output']);

/**
 * This turn's items as they are stored: one a client sent without an id (or
 * with an empty one) is copied with a new id; the client's objects stay as they were.
 */
export function withItemIds(items: readonly InputItem[], newId: IdSource = randomId): InputItem[] {
  return items.map((item) => {
    const id = (item as { id?: unknown }).id;
    if (typeof id === 'string' && id !== '') return item;
    return { ...item, id: newId(PREFIXES[typeOf(item)] ?? 'item') } as InputItem;
  });
}

/** The query keys of the list; `include` and any other key are accepted and ignored. */
export function parseListQuery(query: unknown): ListQuery {
  const { limit, order, after } = queryFields(query);
  const parsed = { ...DEFAULT_LIST_QUERY };
  if (limit !== undefined) {
    const n = queryInteger(limit);
    if (!(n >= 1 && n <= MAX_LIST_LIMIT)) throw invalidListQuery('limit', String(limit));
    parsed.limit = n;
  }
  if (order !== undefined) {
    if (order !== 'asc' && order !== 'desc') throw invalidListQuery('order', String(order));
    parsed.order = order;
  }
  if (after !== undefined) {
    if (typeof after !== 'string') throw invalidAfter('given more than once');
    parsed.after = after;
  }
  return parsed;
}

/** One page of a response's input items (stored oldest first); an `after` not among them is a 400. */
export function inputItemsPage(input: readonly InputItem[], query: ListQuery): InputItemList {
  const ordered = query.order === 'asc' ? [...input] : [...input].reverse();
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => idOf(item) === query.after);
    if (at < 0) throw invalidAfter(`the response has no input item with id '${echoed(query.after)}'`);
    start = at + 1;
  }
  const data = ordered.slice(start, start + query.limit).map(listed);
  return {
    object: 'list',
    data,
    first_id: (data[0]?.['id'] as string | undefined) ?? null,
    last_id: (data.at(-1)?.['id'] as string | undefined) ?? null,
    has_more: start + query.limit < ordered.length,
  };
}

/** An item as OpenAI lists it: id and type first, a message's text as parts, a status. */
function listed(item: InputItem): Record<string, unknown> {
  const type = typeOf(item);
  const shown: Record<string, unknown> = { id: idOf(item), type, ...(item as unknown as Record<string, unknown>) };
  shown['type'] = type;
  if (type === 'message') shown['content'] = contentParts(shown['role'], shown['content']);
  if (WITH_STATUS.has(type) && shown['status'] == null) shown['status'] = 'completed';
  return shown;
}

/** `content: "text"` (EasyInputMessage) as the one part OpenAI stores it as. */
function contentParts(role: unknown, content: unknown): unknown {
  if (typeof content !== 'string') return content;
  return role === 'assistant' ? [{ type: 'output_text', text: content, annotations: [] }] : [{ type: 'input_text', text: content }];
}

/** `{ role, content }` without a type is a message. */
function typeOf(item: InputItem): string {
  const type = (item as { type?: unknown }).type;
  return typeof type === 'string' ? type : 'message';
}

function idOf(item: InputItem): string | undefined {
  const id = (item as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
