// The input items of a stored response: ids given to items sent without one,
// the list query (defaults, bounds, the param a bad key names), the page
// (order, limit, after, has_more) and items shown as OpenAI lists them.

import t from 'tap';
import { ProxyError } from '../../src/errors/proxy-error.ts';
import { counterIds } from '../../src/responses/ids.ts';
import { DEFAULT_LIST_QUERY, inputItemsPage, parseListQuery, withItemIds, type ListQuery } from '../../src/responses/input-items.ts';
import type { InputItem } from '../../src/responses/types.ts';

const sent: InputItem[] = [
  { role: 'user', content: 'weather in Paris?' },
  { type: 'message', id: 'msg_client', role: 'developer', content: [{ type: 'input_text', text: 'Be terse.' }] },
  { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
  { type: 'custom_tool_call', call_id: 'call_2', name: 'shell', input: 'ls' },
  { type: 'custom_tool_call_output', call_id: 'call_2', output: 'a.txt' },
  { type: 'reasoning', summary: [] },
  { type: 'web_search_call', status: 'completed' } as unknown as InputItem,
];

const idsOf = (items: readonly unknown[]) => items.map((item) => (item as { id?: string }).id);

t.test('withItemIds: a new id with the type’s prefix where none was sent; the client’s objects untouched', async (t) => {
  const before = structuredClone(sent);
  const stored = withItemIds(sent, counterIds());
  t.same(idsOf(stored), ['msg_1', 'msg_client', 'fc_2', 'fco_3', 'ctc_4', 'ctco_5', 'rs_6', 'item_7']);
  t.same(sent, before, 'the input array and its items are not changed');
  t.equal(stored[1], sent[1], 'an item with its id is kept as it is');
  t.same(idsOf(withItemIds([{ role: 'user', content: 'x', id: '' } as InputItem], counterIds())), ['msg_1'], 'an empty id is replaced');
});

t.test('parseListQuery: OpenAI’s defaults, and each bad key names its param', async (t) => {
  t.same(parseListQuery({}), { order: 'desc', limit: 20, after: undefined });
  t.same(parseListQuery(undefined), DEFAULT_LIST_QUERY);
  t.same(parseListQuery({ order: 'asc', limit: '100', after: 'msg_1', include: ['message.input_image.image_url'] }), {
    order: 'asc',
    limit: 100,
    after: 'msg_1',
  });
  t.same(parseListQuery({ limit: '1', 'include[]': 'x', before: 'y' }), { order: 'desc', limit: 1, after: undefined }, 'other keys ignored');
  const bad: [Record<string, unknown>, string, string][] = [
    [{ limit: '0' }, 'invalid_limit', 'limit'],
    [{ limit: '101' }, 'invalid_limit', 'limit'],
    [{ limit: '1.5' }, 'invalid_limit', 'limit'],
    [{ limit: '-1' }, 'invalid_limit', 'limit'],
    [{ limit: 'ten' }, 'invalid_limit', 'limit'],
    [{ limit: '' }, 'invalid_limit', 'limit'],
    [{ limit: ['1', '2'] }, 'invalid_limit', 'limit'],
    [{ order: 'newest' }, 'invalid_order', 'order'],
    [{ order: 'ASC' }, 'invalid_order', 'order'],
    [{ after: ['a', 'b'] }, 'invalid_after', 'after'],
  ];
  for (const [query, code, param] of bad) {
    const err = t.throws(() => parseListQuery(query), JSON.stringify(query)) as ProxyError;
    t.match(err, { statusCode: 400, code, param, type: 'invalid_request_error' }, `${JSON.stringify(query)}: ${code}`);
  }
  t.match(t.throws(() => parseListQuery({ order: 'up' })), { message: "Invalid 'order': 'up'. Supported values are 'asc' and 'desc'." });
  t.match(t.throws(() => parseListQuery({ after: ['a', 'b'] })), { message: "Invalid 'after': given more than once." });
  t.match(t.throws(() => parseListQuery({ order: 'x'.repeat(15_000) })), { message: `Invalid 'order': '${'x'.repeat(64)}…'. Supported values are 'asc' and 'desc'.` }, 'a long value is quoted only in part');
});

t.test('inputItemsPage: newest first by default, limit and after page through, has_more says when to stop', async (t) => {
  const items = withItemIds(sent, counterIds());
  const page = (q: Partial<ListQuery>) => inputItemsPage(items, { ...DEFAULT_LIST_QUERY, ...q });

  const all = page({});
  t.match(all, { object: 'list', first_id: 'item_7', last_id: 'msg_1', has_more: false });
  t.same(idsOf(all.data), idsOf(items).reverse());
  t.same(idsOf(page({ order: 'asc' }).data), idsOf(items));

  const first = page({ order: 'asc', limit: 3 });
  t.same(idsOf(first.data), ['msg_1', 'msg_client', 'fc_2']);
  t.match(first, { first_id: 'msg_1', last_id: 'fc_2', has_more: true });
  const second = page({ order: 'asc', limit: 3, after: 'fc_2' });
  t.same(idsOf(second.data), ['fco_3', 'ctc_4', 'ctco_5']);
  t.equal(second.has_more, true);
  const third = page({ order: 'asc', limit: 3, after: 'ctco_5' });
  t.same(idsOf(third.data), ['rs_6', 'item_7']);
  t.equal(third.has_more, false);
  t.same(idsOf(page({ limit: 2, after: 'fco_3' }).data), ['fc_2', 'msg_client'], 'after follows the listed order');

  t.same(page({ order: 'asc', after: 'item_7' }), { object: 'list', data: [], first_id: null, last_id: null, has_more: false }, 'after the last: empty');
  t.same(inputItemsPage([], DEFAULT_LIST_QUERY).data, []);
  const err = t.throws(() => page({ after: 'msg_elsewhere' })) as ProxyError;
  t.match(err, { statusCode: 400, code: 'invalid_after', param: 'after' });
});

t.test('items are shown as OpenAI lists them: id and type first, text as parts, a status', async (t) => {
  const stored = withItemIds(
    [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 's' }], status: 'incomplete' },
      ...sent.slice(2, 4),
      { type: 'reasoning', id: 'rs_model', summary: [], encrypted_content: 'opaque' },
    ],
    counterIds(),
  );
  const data = inputItemsPage(stored, { ...DEFAULT_LIST_QUERY, order: 'asc' }).data;
  t.same(data[0], { id: 'msg_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }], status: 'completed' });
  t.same(data[1], { id: 'msg_2', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello', annotations: [] }], status: 'completed' });
  t.equal(data[2]?.['status'], 'incomplete', 'a status sent is kept');
  t.same(data[3], { id: 'fc_4', type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
  t.same(data[4], { id: 'fco_5', type: 'function_call_output', call_id: 'call_1', output: 'sunny', status: 'completed' });
  t.same(data[5], { id: 'rs_model', type: 'reasoning', summary: [], encrypted_content: 'opaque' }, 'reasoning gets no status');
  for (const item of data) t.same(Object.keys(item).slice(0, 2), ['id', 'type']);
  t.same(stored[0], { role: 'user', content: 'hi', id: 'msg_1' }, 'the stored item keeps its own form');
});
