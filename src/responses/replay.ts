// GET /v1/responses/{id}?stream=true: a stored response told again as the
// event stream a client would have read while it was made, as OpenAI replays
// one. Each item opens empty (`output_item.added`), gets its whole text as a
// single delta and closes with the same `.done` events the live stream
// writes (stream-items.ts), so an accumulator such as openai-node's builds
// the same output, `output_text` included, and a client that renders deltas
// shows the text. The numbering is the replay's own, from 0; `starting_after`
// leaves out the events up to that number.

import type { OutputItem, OutputMessage, OutputReasoning, ResponseObject, StreamEvent } from './response-types.ts';
import { callDoneEvent, partDoneEvents, startEvents, summaryDoneEvents, terminalEvent } from './event-builders.ts';
import { EventWriter } from './sse.ts';

/**
 * The replay's frames one event at a time, ready to write: those numbered
 * after `startingAfter` (all when undefined). One at a time, so a replay holds
 * about one frame beside the stored response, not the whole stream.
 */
export function* replayFrameStream(response: ResponseObject, startingAfter?: number): Generator<string> {
  const writer = new EventWriter(startingAfter);
  for (const event of replayEvents(response)) {
    writer.emit(event);
    const frame = writer.take();
    if (frame !== '') yield frame;
  }
}

/** The whole replay as one text. */
export function replayFrames(response: ResponseObject, startingAfter?: number): string {
  return [...replayFrameStream(response, startingAfter)].join('');
}

/** Every event of the replay, in order, before numbering. The stored object is not changed. */
export function replayEvents(response: ResponseObject): StreamEvent[] {
  const started: ResponseObject = { ...response, status: 'in_progress', output: [], usage: null, error: null, incomplete_details: null };
  const events = startEvents(started);
  // A background response began queued, as its live stream told it (then in_progress, as here).
  if (response.background) events[0] = { type: 'response.created', response: { ...started, status: 'queued' } };
  response.output.forEach((item, at) => {
    events.push({ type: 'response.output_item.added', output_index: at, item: opened(item) });
    events.push(...itemBody(item, at));
    events.push({ type: 'response.output_item.done', output_index: at, item });
  });
  // Only finished responses are stored; each has its ending to tell.
  const terminal = terminalEvent(response);
  if (terminal !== undefined) events.push(terminal);
  return events;
}

/** An item as `output_item.added` announces it: nothing generated yet. */
function opened(item: OutputItem): OutputItem {
  switch (item.type) {
    case 'message':
      return { ...item, status: 'in_progress', content: [] };
    case 'reasoning':
      return { ...item, summary: [] };
    case 'function_call':
      return { ...item, status: 'in_progress', arguments: '' };
    case 'custom_tool_call':
      return { ...item, status: 'in_progress', input: '' };
  }
}

/** The events between an item's `added` and `done`: its content, each piece as one delta. */
function itemBody(item: OutputItem, at: number): StreamEvent[] {
  const where = { item_id: item.id, output_index: at };
  switch (item.type) {
    case 'message':
      return messageParts(item, at);
    case 'reasoning':
      return summaryParts(item, at);
    case 'function_call':
      return [...(item.arguments === '' ? [] : [{ type: 'response.function_call_arguments.delta', ...where, delta: item.arguments }]), callDoneEvent(item, at)];
    case 'custom_tool_call':
      return [...(item.input === '' ? [] : [{ type: 'response.custom_tool_call_input.delta', ...where, delta: item.input }]), callDoneEvent(item, at)];
  }
}

function messageParts(item: OutputMessage, at: number): StreamEvent[] {
  return item.content.flatMap((part, index): StreamEvent[] => {
    const where = { item_id: item.id, output_index: at, content_index: index };
    if (part.type === 'output_text') {
      return [
        { type: 'response.content_part.added', ...where, part: { ...part, text: '' } },
        ...(part.text === '' ? [] : [{ type: 'response.output_text.delta', ...where, delta: part.text, logprobs: [] }]),
        ...partDoneEvents(where, part),
      ];
    }
    return [
      { type: 'response.content_part.added', ...where, part: { ...part, refusal: '' } },
      ...(part.refusal === '' ? [] : [{ type: 'response.refusal.delta', ...where, delta: part.refusal }]),
      ...partDoneEvents(where, part),
    ];
  });
}

function summaryParts(item: OutputReasoning, at: number): StreamEvent[] {
  return item.summary.flatMap((part, index) => {
    const where = { item_id: item.id, output_index: at, summary_index: index };
    return [
      { type: 'response.reasoning_summary_part.added', ...where, part: { ...part, text: '' } },
      ...(part.text === '' ? [] : [{ type: 'response.reasoning_summary_text.delta', ...where, delta: part.text }]),
      ...summaryDoneEvents(where, part),
    ];
  });
}
