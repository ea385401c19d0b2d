// Events written alike by the live stream (stream.ts, stream-items.ts) and
// the replay of a stored response (replay.ts): a client must not tell the two
// apart by how a response starts and ends, or how a part, a summary or a call
// ends.

import type { OutputCustomToolCall, OutputFunctionCall, OutputRefusal, OutputText, ResponseObject, ResponseStatus, StreamEvent } from './response-types.ts';

const TERMINAL_EVENT: Readonly<Record<ResponseStatus, string | undefined>> = {
  completed: 'response.completed',
  incomplete: 'response.incomplete',
  failed: 'response.failed',
  // Not an ending.
  queued: undefined,
  in_progress: undefined,
  // OpenAI defines no event for it: a cancelled background stream just ends.
  cancelled: undefined,
};

/** A response begins: `response.created`, then `response.in_progress`, both with it as it stands. */
export function startEvents(response: ResponseObject): StreamEvent[] {
  return [
    { type: 'response.created', response },
    { type: 'response.in_progress', response },
  ];
}

/** A response ends: the event its status calls for; undefined while it is in progress. */
export function terminalEvent(response: ResponseObject): StreamEvent | undefined {
  const type = TERMINAL_EVENT[response.status];
  return type === undefined ? undefined : { type, response };
}

interface PartPlace {
  readonly item_id: string;
  readonly output_index: number;
  readonly content_index: number;
}

interface SummaryPlace {
  readonly item_id: string;
  readonly output_index: number;
  readonly summary_index: number;
}

/** A message's text or refusal part, whole: its `.done` and `content_part.done`. */
export function partDoneEvents(where: PartPlace, part: OutputText | OutputRefusal): StreamEvent[] {
  const done: StreamEvent =
    part.type === 'output_text'
      ? { type: 'response.output_text.done', ...where, text: part.text, logprobs: [] }
      : { type: 'response.refusal.done', ...where, refusal: part.refusal };
  return [done, { type: 'response.content_part.done', ...where, part }];
}

/** A reasoning summary part, whole: its text's `.done` and `reasoning_summary_part.done`. */
export function summaryDoneEvents(where: SummaryPlace, part: { readonly type: 'summary_text'; readonly text: string }): StreamEvent[] {
  return [
    { type: 'response.reasoning_summary_text.done', ...where, text: part.text },
    { type: 'response.reasoning_summary_part.done', ...where, part },
  ];
}

/** A tool call's input, whole: the arguments' or the custom input's `.done`. */
export function callDoneEvent(item: OutputFunctionCall | OutputCustomToolCall, at: number): StreamEvent {
  const where = { item_id: item.id, output_index: at };
  return item.type === 'custom_tool_call'
    ? { type: 'response.custom_tool_call_input.done', ...where, input: item.input }
    : { type: 'response.function_call_arguments.done', ...where, arguments: item.arguments };
}
