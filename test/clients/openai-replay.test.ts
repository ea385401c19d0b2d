// The `openai` SDK replaying a stored response through the proxy:
// `responses.stream({ response_id })` (which retrieves with `stream: true`
// and rebuilds the response from the events) finishes with the stored
// `output_text` and output, `starting_after` leaves out the events up to it,
// and `responses.retrieve(id, { stream: true })` yields the events themselves.

import t from 'tap';
import { NotFoundError } from 'openai';
import * as openai from './drive-openai.ts';
import { startProxy } from './proxy.ts';
import { FINAL_TEXT, TOOL_CALL, toolLoop } from './weather.ts';

t.test('responses.stream({ response_id }) finishes with the stored response', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const { first, second } = await openai.responsesPrevious(target());
  const client = openai.client(target());

  for (const stored of [first, second]) {
    const stream = client.responses.stream({ response_id: stored.id });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    const final = await stream.finalResponse();
    t.equal(final.id, stored.id);
    t.equal(final.status, 'completed');
    t.equal(final.output_text, stored.output_text);
    t.match(final.output, stored.output, 'the same output items (the helper adds its parsed fields)');
    t.equal(types[0], 'response.created');
    t.equal(types.at(-1), 'response.completed');
    t.equal(text, stored.output_text, 'the text deltas add up to it');
  }
  t.equal(second.output_text, FINAL_TEXT);
  t.match(first.output, [{ type: 'function_call', name: TOOL_CALL.name, arguments: TOOL_CALL.arguments }]);
});

t.test('responses.stream({ response_id, starting_after }) emits only the later events, and still ends whole', async (t) => {
  const { target } = await startProxy(t);
  const client = openai.client(target());
  const stored = await client.responses.create({ model: target().model, input: 'Say hello.' });
  const sequences: number[] = [];
  const stream = client.responses.stream({ response_id: stored.id, starting_after: 3 });
  for await (const event of stream) sequences.push(event.sequence_number);
  t.equal(sequences[0], 4);
  t.same(sequences, sequences.map((_, i) => i + 4), 'consecutive from there');
  const final = await stream.finalResponse();
  t.equal(final.output_text, stored.output_text);
});

t.test('responses.retrieve(id, { stream: true }) yields the events; starting_after is applied by the proxy', async (t) => {
  const { target } = await startProxy(t);
  const client = openai.client(target());
  const stored = await client.responses.create({ model: target().model, input: 'Say hello.' });
  const text = stored.output_text;
  t.equal(text, 'Hello from fake Vertex');

  const events = [];
  for await (const event of await client.responses.retrieve(stored.id, { stream: true })) events.push(event);
  t.same(events.map((e) => e.sequence_number), events.map((_, i) => i));
  t.match(events[0], { type: 'response.created', response: { id: stored.id, status: 'in_progress' } });
  t.match(events.find((e) => e.type === 'response.output_text.done'), { text });
  t.match(events.at(-1), { type: 'response.completed', response: { id: stored.id, status: 'completed' } });

  const later = [];
  for await (const event of await client.responses.retrieve(stored.id, { stream: true, starting_after: 5 })) later.push(event);
  t.same(later, events.slice(6));

  const json = await client.responses.retrieve(stored.id);
  t.equal(json.output_text, text, 'without stream: the response as JSON');

  const error = await client.responses.retrieve('resp_gone', { stream: true }).catch((e: unknown) => e);
  t.ok(error instanceof NotFoundError);
  t.equal((error as NotFoundError).code, 'response_not_found');
});
