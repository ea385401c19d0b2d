// GET /v1/responses/{id}?stream=true through the whole app, against the
// strict fake Vertex: a stored response (made streamed or not) comes back as
// an event stream that openai-node rebuilds into the stored object,
// `starting_after` leaves out the first events, and a bad query is a 400
// naming its param.

import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { assertOpenAIError } from '../helpers/openai-error.ts';
import { call, createOk } from './calls.ts';
import { accumulate, checkSequence, parseFrames, TEXT_ANSWER_EVENTS } from './events.ts';

const MODEL = 'google/gemini-2.5-flash';

async function create(h: Harness, body: Record<string, unknown>): Promise<string> {
  const res = await createOk(h, { model: MODEL, input: 'hi', ...body });
  return /"id":"(resp_[0-9a-f]+)"/.exec(res.body)?.[1] ?? '';
}

const get = (h: Harness, id: string, query = '', prefix = '/v1') => call(h, 'GET', `${prefix}/responses/${id}${query}`);

t.test('stream=true replays a stored response as events that rebuild it', async (t) => {
  const h = await startHarness(t);
  for (const streamed of [false, true]) {
    const id = await create(h, { stream: streamed });
    const stored = (await get(h, id)).json();
    for (const prefix of ['/v1', '']) {
      const res = await get(h, id, '?stream=true', prefix);
      t.equal(res.statusCode, 200, `GET ${prefix}/responses/{id}?stream=true (made ${streamed ? 'streamed' : 'whole'})`);
      t.match(res.headers['content-type'], /^text\/event-stream/);
      t.equal(res.headers['cache-control'], 'no-cache');
      const events = parseFrames(res.body);
      checkSequence(t, events);
      t.same(events.map((e) => e.type), TEXT_ANSWER_EVENTS);
      t.match(events[0], { response: { id, status: 'in_progress', output: [] } });
      t.same(events.at(-1)?.['response'], stored, 'response.completed carries the stored object');
      const built = accumulate(events);
      t.equal(built.output_text, stored.output[0].content[0].text);
      t.equal(built.output_text, streamed ? 'part0 part1 part2 ' : 'Hello from fake Vertex', 'the fake’s answer');
      t.same(built.output, stored.output);
    }
  }
  const line = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.method === 'GET' && l.stream === true);
  t.match(line, { status: 200, route: '/v1/responses/:id' }, 'the log line says it streamed');
});

t.test('starting_after sends only the events numbered after it; stream=false or none is JSON', async (t) => {
  const h = await startHarness(t);
  const id = await create(h, {});
  const all = parseFrames((await get(h, id, '?stream=true')).body);
  const rest = parseFrames((await get(h, id, '?stream=true&starting_after=2')).body);
  t.same(rest, all.slice(3));
  t.equal(rest[0]?.sequence_number, 3);
  t.equal((await get(h, id, `?starting_after=${all.length - 1}&stream=true`)).body, '', 'after the last event: an empty stream');
  for (const query of ['', '?stream=false', '?stream=false&starting_after=4', '?include[]=message.output_text.logprobs']) {
    const res = await get(h, id, query);
    t.equal(res.statusCode, 200, query);
    t.match(res.headers['content-type'], /^application\/json/);
    t.match(res.json(), { id, object: 'response', status: 'completed' });
  }
});

t.test('a bad stream or starting_after is a 400 naming it; an unknown id stays a 404', async (t) => {
  const h = await startHarness(t);
  const id = await create(h, {});
  const bad: [string, string, string][] = [
    ['?stream=yes', 'invalid_stream', 'stream'],
    ['?stream=', 'invalid_stream', 'stream'],
    ['?stream=true&stream=true', 'invalid_stream', 'stream'],
    ['?stream=true&starting_after=-1', 'invalid_starting_after', 'starting_after'],
    ['?stream=true&starting_after=1.5', 'invalid_starting_after', 'starting_after'],
    ['?stream=true&starting_after=first', 'invalid_starting_after', 'starting_after'],
    ['?stream=true&starting_after=99999999999999999999', 'invalid_starting_after', 'starting_after'],
    [`?stream=${'x'.repeat(500)}`, 'invalid_stream', 'stream'],
  ];
  for (const [query, code, param] of bad) {
    const res = await get(h, id, query);
    t.equal(res.statusCode, 400, query.slice(0, 60));
    assertOpenAIError(t, res.body, { code, param, type: 'invalid_request_error' });
    t.ok(res.json().error.message.length < 200, 'the value is cut short in the message');
  }
  for (const prefix of ['/v1', '']) {
    const res = await get(h, 'resp_gone', '?stream=true', prefix);
    t.equal(res.statusCode, 404);
    assertOpenAIError(t, res.body, { code: 'response_not_found', type: 'not_found_error' });
  }
  t.equal(h.vertex.requests.length, 1, 'a replay never reaches Vertex');
});
