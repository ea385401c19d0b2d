// A stored response replayed as events (GET /v1/responses/{id}?stream=true):
// the live stream's answers, told again, build the same response in
// openai-node's accumulator; the events are those the live stream writes,
// one delta per piece of text; `starting_after` only leaves events out.

import t from 'tap';
import { replayEvents, replayFrames } from '../../src/responses/replay.ts';
import type { ResponseObject } from '../../src/responses/response-types.ts';
import { accumulate, checkSequence, codexAccepts, codexTurn1, parseFrames, read, run, typesAt } from './events.ts';

const finalOf = (name: string, body?: Record<string, unknown>): ResponseObject => run(read(name), 64, body).s.result();

/** Event types, with consecutive deltas of one item as one (the live stream sends a delta per upstream chunk). */
const story = (events: { type: string; item_id?: unknown }[]) =>
  events.filter((e, i) => !(e.type.endsWith('.delta') && events[i + 1]?.type === e.type && events[i + 1]?.item_id === e.item_id)).map((e) => e.type);

t.test('a text answer: the live stream’s events, the same final response', async (t) => {
  const live = run(read('gemini-text.sse'), 64).events;
  const response = finalOf('gemini-text.sse');
  const events = parseFrames(replayFrames(response));
  checkSequence(t, events);
  t.same(story(events), story(live));
  t.same(events.find((e) => e.type === 'response.output_text.delta')?.['delta'], 'Héllo, wörld 🌍!', 'the whole text as one delta');
  t.match(events[0], { type: 'response.created', response: { id: response.id, status: 'in_progress', output: [], usage: null } });
  t.match(events[1], { type: 'response.in_progress', response: { status: 'in_progress', output: [] } });
  t.same(events.at(-1), { type: 'response.completed', sequence_number: events.length - 1, response });
  const built = accumulate(events);
  t.equal(built.output_text, 'Héllo, wörld 🌍!', 'openai-node builds output_text');
  t.same(built.output, response.output);
});

t.test('reasoning, text, a signature item, function calls and a custom call: each item in turn', async (t) => {
  const response = finalOf('gemini-tool-calls.sse', codexTurn1);
  const before = JSON.stringify(response);
  const events = parseFrames(replayFrames(response));
  checkSequence(t, events);
  t.same(typesAt(events), [
    'response.created',
    'response.in_progress',
    'response.output_item.added@0',
    'response.reasoning_summary_part.added@0',
    'response.reasoning_summary_text.delta@0',
    'response.reasoning_summary_text.done@0',
    'response.reasoning_summary_part.done@0',
    'response.output_item.done@0',
    'response.output_item.added@1',
    'response.content_part.added@1',
    'response.output_text.delta@1',
    'response.output_text.done@1',
    'response.content_part.done@1',
    'response.output_item.done@1',
    'response.output_item.added@2',
    'response.output_item.done@2',
    'response.output_item.added@3',
    'response.function_call_arguments.delta@3',
    'response.function_call_arguments.done@3',
    'response.output_item.done@3',
    'response.output_item.added@4',
    'response.function_call_arguments.delta@4',
    'response.function_call_arguments.done@4',
    'response.output_item.done@4',
    'response.output_item.added@5',
    'response.custom_tool_call_input.delta@5',
    'response.custom_tool_call_input.done@5',
    'response.output_item.done@5',
    'response.completed',
  ]);
  t.same(accumulate(events).output, response.output, 'openai-node rebuilds every item');
  for (const e of events.filter((e) => e.type.startsWith('response.output_item.'))) t.ok(codexAccepts(e['item'] as Record<string, unknown>), `${e.type}: Codex reads the item`);
  t.match(events[2], { item: { type: 'reasoning', summary: [] } }, 'items open empty');
  t.match(events[8], { item: { type: 'message', status: 'in_progress', content: [] } });
  t.match(events[16], { item: { type: 'function_call', status: 'in_progress', arguments: '' } });
  t.equal(JSON.stringify(response), before, 'the stored response is not changed');
});

t.test('an incomplete response ends with response.incomplete; an unfinished one without an ending', async (t) => {
  const response = finalOf('gemini-length.sse');
  t.equal(response.status, 'incomplete');
  const events = parseFrames(replayFrames(response));
  t.match(events.at(-1), { type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
  t.equal(accumulate(events).status, 'incomplete');
  const failed = { ...response, status: 'failed' as const, error: { code: 'server_error', message: 'broke' } };
  t.match(replayEvents(failed).at(-1), { type: 'response.failed', response: { error: { code: 'server_error' } } });
  t.equal(replayEvents({ ...response, status: 'in_progress' }).at(-1)?.type, 'response.output_item.done');
});

t.test('starting_after: only the events numbered after it, with their numbers', async (t) => {
  const response = finalOf('gemini-text.sse');
  const all = parseFrames(replayFrames(response));
  for (const after of [0, 3, all.length - 2]) {
    t.same(parseFrames(replayFrames(response, after)), all.slice(after + 1), `starting_after=${after}`);
  }
  t.equal(replayFrames(response, all.length - 1), '', 'after the last event: nothing');
  t.equal(replayFrames(response, 1_000_000), '');
});

t.test('a background response is told as its live stream began: created queued, then in_progress', async (t) => {
  const response: ResponseObject = { ...finalOf('gemini-text.sse'), background: true };
  const events = parseFrames(replayFrames(response));
  checkSequence(t, events);
  t.match(events[0], { type: 'response.created', response: { id: response.id, status: 'queued', output: [] } });
  t.match(events[1], { type: 'response.in_progress', response: { status: 'in_progress' } });
  t.same(events.at(-1), { type: 'response.completed', sequence_number: events.length - 1, response });
});
