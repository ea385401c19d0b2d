// Reading the Responses SSE the translator writes, and checking it the way
// its clients do: openai-node's own accumulator (strict about item ids,
// output and content indexes), and the fields Codex's serde structs require
// on `response.output_item.added/.done` (codex-rs protocol `ResponseItem`).

import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';

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
