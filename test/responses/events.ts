// Running the stream translator on fixtures, reading the Responses SSE it
// writes, and checking it the way its clients do: openai-node's own
// accumulator (strict about item ids, output and content indexes), and the
// fields Codex's serde structs require on `response.output_item.added/.done`
// (codex-rs protocol `ResponseItem`).

import { readFileSync } from 'node:fs';
import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { Test } from 'tap';
import { counterIds } from '../../src/responses/ids.ts';
import { toChatRequest } from '../../src/responses/request.ts';
import { createResponseStream, type ResponseStreamOptions } from '../../src/responses/stream.ts';

/** A text answer's events, its deltas taken as one: live (deltas merged) or replayed. */
export const TEXT_ANSWER_EVENTS: readonly string[] = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.completed',
];

export interface Event {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

/** Splits SSE text into events, checking that each `event:` line names its data's type. */
export function parseFrames(text: string): Event[] {
  return text
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      const [eventLine, dataLine, ...rest] = frame.split('\n');
      if (rest.length > 0 || !eventLine?.startsWith('event: ') || !dataLine?.startsWith('data: ')) {
        throw new Error(`malformed frame: ${JSON.stringify(frame)}`);
      }
      const event = JSON.parse(dataLine.slice('data: '.length)) as Event;
      if (event.type !== eventLine.slice('event: '.length)) throw new Error(`event line ${eventLine} for ${event.type}`);
      return event;
    });
}

/** Feeds every event to openai-node's accumulator; throws where a client would. */
export function accumulate(events: Event[]): Response {
  let snapshot: Response | undefined;
  for (const event of events) snapshot = accumulateResponse(event as unknown as ResponseStreamEvent, snapshot);
  if (snapshot === undefined) throw new Error('no events');
  return snapshot;
}

const str = (v: unknown): boolean => typeof v === 'string';

/** The fields without which Codex's parser drops an output item. */
export function codexAccepts(item: Record<string, unknown>): boolean {
  switch (item['type']) {
    case 'message':
      return str(item['role']) && Array.isArray(item['content']) && (item['content'] as Array<{ type: string }>).every((p) => ['output_text', 'input_text'].includes(p.type));
    case 'reasoning':
      return Array.isArray(item['summary']) && (item['encrypted_content'] === undefined || str(item['encrypted_content']));
    case 'function_call':
      return str(item['name']) && str(item['arguments']) && str(item['call_id']);
    case 'custom_tool_call':
      return str(item['call_id']) && str(item['name']) && str(item['input']);
    default:
      return false;
  }
}

/** Splits a buffer into pieces of `size` bytes (1 splits inside every UTF-8 character). */
export function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export const read = (name: string) => readFileSync(new URL(`../fixtures/responses/${name}`, import.meta.url));
export const codexTurn1: Record<string, unknown> = JSON.parse(read('codex-turn1.request.json').toString('utf8'));

export function stream(body: Record<string, unknown> = { model: 'gemini-3-flash', input: 'hi', stream: true }, extra: Partial<ResponseStreamOptions> = {}) {
  const { request, names } = toChatRequest(body);
  return createResponseStream({ request, names, newId: counterIds(), now: () => 1_767_225_600_000, ...extra });
}

/** Runs a whole upstream body through a stream, in pieces of `size` bytes. */
export function run(sse: Buffer, size: number, body?: Record<string, unknown>, extra?: Partial<ResponseStreamOptions>) {
  const s = stream(body, extra);
  let text = s.start();
  for (const piece of pieces(sse, size)) text += s.push(piece);
  text += s.end();
  return { events: parseFrames(text), s };
}

/** Each event's type, with `@output_index` for those about an output item: a sequence to compare at a glance. */
export function typesAt(events: Event[]): string[] {
  return events.map((e) => `${e.type}${'output_index' in e ? `@${e['output_index']}` : ''}`);
}

export function checkSequence(t: Test, events: Event[]): void {
  t.same(events.map((e) => e.sequence_number), events.map((_, i) => i), 'sequence numbers count up from 0');
}

/** What the deltas of each item add up to, by item id. */
export function deltasById(events: Event[]): Map<string, string> {
  const sums = new Map<string, string>();
  for (const e of events) {
    if (typeof e['delta'] === 'string' && typeof e['item_id'] === 'string') sums.set(e['item_id'], (sums.get(e['item_id']) ?? '') + e['delta']);
  }
  return sums;
}
