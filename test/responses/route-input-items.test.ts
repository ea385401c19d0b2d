// GET /v1/responses/{id}/input_items through the whole app, against the
// strict fake Vertex: what is listed for a chained turn, stable ids and
// paging, streamed responses, and the errors a client sees.

import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { assertOpenAIError } from '../helpers/openai-error.ts';
import { call, createOk } from './calls.ts';

const MODEL = 'google/gemini-2.5-flash';

async function create(h: Harness, body: Record<string, unknown>): Promise<{ id: string }> {
  return (await createOk(h, { model: MODEL, ...body })).json();
}

const list = (h: Harness, id: string, query = '', prefix = '/v1') => call(h, 'GET', `${prefix}/responses/${id}/input_items${query}`);
const ids = (body: { data: { id: string }[] }) => body.data.map((item) => item.id);

t.test('a chained turn lists its own input, with ids that stay the same', async (t) => {
  const h = await startHarness(t);
  const first = await create(h, { input: 'What is 2+2?' });
  const firstItems = (await list(h, first.id)).json();
  t.match(firstItems, { object: 'list', has_more: false });
  t.same(firstItems.data, [{ id: firstItems.first_id, type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is 2+2?' }], status: 'completed' }]);
  t.match(firstItems.first_id, /^msg_[0-9a-f]{32}$/);
  t.equal(firstItems.last_id, firstItems.first_id);

  const input = [
    { type: 'message', id: 'msg_client', role: 'developer', content: 'Be terse.' },
    { role: 'user', content: [{ type: 'input_text', text: 'And times 3?' }] },
  ];
  const second = await create(h, { input, previous_response_id: first.id });
  for (const prefix of ['/v1', '']) {
    const res = await list(h, second.id, '?order=asc', prefix);
    t.equal(res.statusCode, 200, `GET ${prefix}/responses/{id}/input_items`);
    const body = res.json();
    t.match(body.data, [{ id: 'msg_client', role: 'developer', content: [{ type: 'input_text', text: 'Be terse.' }] }, { role: 'user', content: [{ text: 'And times 3?' }] }]);
    t.equal(body.data.length, 2, 'only this turn: not the first turn’s input or output');
  }
  const asc = ids((await list(h, second.id, '?order=asc')).json());
  t.same(ids((await list(h, second.id, '?order=asc')).json()), asc, 'the same ids on every call');
  t.same(ids((await list(h, second.id)).json()), [...asc].reverse(), 'newest first by default');
  t.equal(ids((await list(h, first.id)).json())[0], firstItems.first_id, 'the earlier response’s ids too');

  // The stored ids are not sent upstream when the chain goes on.
  const third = await call(h, 'POST', '/v1/responses', { model: MODEL, input: 'Thanks', previous_response_id: second.id });
  t.equal(third.statusCode, 200);
  t.same(h.vertex.chat.rejections, [], 'the strict fake refused nothing');
});

t.test('limit and after page through the items', async (t) => {
  const h = await startHarness(t);
  const input = ['one', 'two', 'three', 'four', 'five'].map((text) => ({ role: 'user', content: text }));
  const { id } = await create(h, { input });
  const seen: string[] = [];
  let after = '';
  for (let pages = 0; pages < 5; pages++) {
    const page = (await list(h, id, `?order=asc&limit=2${after && `&after=${after}`}`)).json();
    seen.push(...page.data.map((item: { content: { text: string }[] }) => item.content[0]?.text));
    t.equal(page.last_id, page.data.at(-1).id);
    if (!page.has_more) break;
    after = page.last_id;
  }
  t.same(seen, ['one', 'two', 'three', 'four', 'five']);
  const res = await list(h, id, '?limit=100&include[]=message.input_image.image_url&include=x');
  t.equal(res.statusCode, 200, 'include is accepted and ignored');
  t.equal(res.json().data.length, 5);
});

t.test('a streamed response is listed once its stream ends', async (t) => {
  const h = await startHarness(t);
  const res = await call(h, 'POST', '/v1/responses', { model: MODEL, input: 'hi', stream: true });
  t.equal(res.statusCode, 200);
  const id = /"id":"(resp_[0-9a-f]+)"/.exec(res.body)?.[1] ?? '';
  t.match((await list(h, id)).json(), { data: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] });
});

t.test('errors: an unknown response is a 404; a bad limit, order or after a 400 naming it', async (t) => {
  const h = await startHarness(t);
  const { id } = await create(h, { input: 'hi' });
  const bad: [string, string, string][] = [
    ['?limit=0', 'invalid_limit', 'limit'],
    ['?limit=101', 'invalid_limit', 'limit'],
    ['?limit=many', 'invalid_limit', 'limit'],
    ['?order=sideways', 'invalid_order', 'order'],
    ['?after=msg_elsewhere', 'invalid_after', 'after'],
  ];
  for (const [query, code, param] of bad) {
    const res = await list(h, id, query);
    t.equal(res.statusCode, 400, query);
    assertOpenAIError(t, res.body, { code, param, type: 'invalid_request_error' });
  }
  for (const prefix of ['/v1', '']) {
    const res = await list(h, 'resp_gone', '', prefix);
    t.equal(res.statusCode, 404);
    assertOpenAIError(t, res.body, { code: 'response_not_found', type: 'not_found_error' });
  }
  t.equal((await call(h, 'DELETE', `/v1/responses/${id}`)).statusCode, 200);
  t.equal((await list(h, id)).statusCode, 404, 'deleted');
  const unkept = await create(h, { input: 'hi', store: false });
  t.equal((await list(h, unkept.id)).statusCode, 404, 'store:false is not kept');
  t.equal(h.vertex.requests.length, 2, 'listing never reaches Vertex');
});
