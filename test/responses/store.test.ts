// The bounded response store: limits by count, bytes and age, LRU eviction,
// item lookup for item_reference, and a follow-up rebuilt from the history.

import t from 'tap';
import { counterIds } from '../../src/responses/ids.ts';
import { toChatRequest } from '../../src/responses/request.ts';
import type { ResponseObject } from '../../src/responses/response-types.ts';
import { toResponse } from '../../src/responses/response.ts';
import { historyAfter, ResponseStore } from '../../src/responses/store.ts';

const ids = counterIds();
function response(text = 'answer'): ResponseObject {
  const { request, names } = toChatRequest({ model: 'm', input: 'q' });
  return toResponse({ choices: [{ message: { content: text }, finish_reason: 'stop' }] }, { request, names, newId: ids });
}

function clock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

const roomy = { maxEntries: 100, maxBytes: 1_000_000, ttlMs: 60_000 };

t.test('put, get, delete', async (t) => {
  const store = new ResponseStore(roomy);
  const r = response();
  t.ok(store.put(r, [{ type: 'message', role: 'user', content: 'q' }]));
  t.same(store.get(r.id), { response: r, history: [{ type: 'message', role: 'user', content: 'q' }], input: [] });
  t.equal(store.size, 1);
  t.ok(store.bytes > 0);
  t.ok(store.delete(r.id));
  t.notOk(store.delete(r.id));
  t.equal(store.get(r.id), undefined);
  t.equal(store.bytes, 0);
});

t.test('over the count limit the least recently used goes first', async (t) => {
  const store = new ResponseStore({ ...roomy, maxEntries: 2 });
  const [a, b, c] = [response(), response(), response()];
  store.put(a, []);
  store.put(b, []);
  store.get(a.id); // a is now more recent than b
  store.put(c, []);
  t.ok(store.get(a.id));
  t.equal(store.get(b.id), undefined, 'b evicted');
  t.ok(store.get(c.id));
});

t.test('over the byte limit, oldest first; one response too big is not kept', async (t) => {
  const one = Buffer.byteLength(JSON.stringify({ response: response('x'.repeat(100)), history: [] }));
  const store = new ResponseStore({ ...roomy, maxBytes: one * 2 + 10 });
  const [a, b, c] = [response('x'.repeat(100)), response('y'.repeat(100)), response('z'.repeat(100))];
  store.put(a, []);
  store.put(b, []);
  store.put(c, []);
  t.equal(store.size, 2);
  t.equal(store.get(a.id), undefined);
  t.ok(store.bytes <= one * 2 + 10);
  t.notOk(store.put(response('w'.repeat(one * 3)), []), 'too big alone');
  t.equal(store.size, 2);
});

t.test('entries expire after the TTL, on get and on later puts', async (t) => {
  const c = clock();
  const store = new ResponseStore({ ...roomy, ttlMs: 1000, now: c.now });
  const a = response();
  store.put(a, []);
  c.advance(999);
  t.ok(store.get(a.id));
  c.advance(1);
  t.equal(store.get(a.id), undefined);
  const b = response();
  store.put(b, []);
  c.advance(1500);
  store.put(response(), []);
  t.equal(store.size, 1, 'the expired entry was swept by the put');
  t.equal(store.findItem(b.output[0]?.id ?? ''), undefined);
});

t.test('findItem serves item_reference from stored output', async (t) => {
  const store = new ResponseStore(roomy);
  const r = response('kept');
  store.put(r, []);
  const id = r.output[0]?.id ?? '';
  t.match(store.findItem(id), { type: 'message', role: 'assistant', content: [{ text: 'kept' }] });
  t.equal(store.findItem('msg_unknown'), undefined);
  store.delete(r.id);
  t.equal(store.findItem(id), undefined);
  t.throws(() => toChatRequest({ model: 'm', input: [{ type: 'item_reference', id }] }, { resolveItem: (x) => store.findItem(x) }), {
    statusCode: 400,
    code: 'item_not_found',
  });
});

t.test('a follow-up rebuilds the conversation from the stored history', async (t) => {
  const store = new ResponseStore(roomy);
  const first = toChatRequest({ model: 'm', input: 'What is 2+2?', instructions: 'Be terse.' });
  const r1 = toResponse({ choices: [{ message: { content: '4' }, finish_reason: 'stop' }] }, { ...first, newId: ids });
  store.put(r1, historyAfter([], first.input, r1));

  const prev = store.get(r1.id);
  const second = toChatRequest({ model: 'm', input: 'And times 3?', previous_response_id: r1.id }, { history: prev?.history ?? [] });
  t.same(second.chat.messages, [
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: '4' },
    { role: 'user', content: 'And times 3?' },
  ], 'instructions of the earlier turn are not carried over, as on OpenAI');
  const r2 = toResponse({ choices: [{ message: { content: '12' }, finish_reason: 'stop' }] }, { ...second, newId: ids });
  store.put(r2, historyAfter(prev?.history ?? [], second.input, r2));
  t.equal(store.get(r2.id)?.history.length, 4);
});
