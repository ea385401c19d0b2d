// The `openai` SDK's `responses.inputItems.list` through the proxy: the items
// of a response's own turn come back typed as the SDK expects, one page or
// all of them by the SDK's own paging (`limit`, then `after` the last id), and
// an unknown response raises NotFoundError.

import t from 'tap';
import { NotFoundError } from 'openai';
import * as openai from './drive-openai.ts';
import { assertVertexAccepted, startProxy } from './proxy.ts';
import { PROMPT, TOOL_RESULT, toolLoop } from './weather.ts';

t.test('inputItems.list: a chained turn lists its own input', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const { first, second } = await openai.responsesPrevious(target());
  const client = openai.client(target());

  const firstItems = await client.responses.inputItems.list(first.id);
  t.equal(firstItems.data.length, 1);
  t.match(firstItems.data[0], { type: 'message', role: 'user', content: [{ type: 'input_text', text: PROMPT }] });
  t.match(firstItems.data[0]?.id, /^msg_/);

  const secondItems = await client.responses.inputItems.list(second.id);
  t.equal(secondItems.data.length, 1, 'only the tool result: the first turn is listed under its own response');
  const output = secondItems.data[0];
  t.match(output, { type: 'function_call_output', output: TOOL_RESULT, status: 'completed' });
  t.match(output?.id, /^fco_/);
  const again = await client.responses.inputItems.list(second.id);
  t.equal(again.data[0]?.id, output?.id, 'the same id on every call');
  assertVertexAccepted(t, h.vertex);
});

t.test('inputItems.list: limit and after page through; the SDK’s iterator follows them', async (t) => {
  const { target } = await startProxy(t);
  const client = openai.client(target());
  const words = ['one', 'two', 'three', 'four', 'five'];
  const response = await client.responses.create({ model: target().model, input: words.map((text) => ({ role: 'user' as const, content: text })) });
  const textOf = (item: unknown) => (item as { content: { text: string }[] }).content[0]?.text;

  const page = await client.responses.inputItems.list(response.id, { order: 'asc', limit: 2, include: ['message.input_image.image_url'] });
  t.same(page.data.map(textOf), ['one', 'two']);
  t.equal(page.has_more, true);
  t.ok(page.hasNextPage());
  const next = await page.getNextPage();
  t.same(next.data.map(textOf), ['three', 'four'], 'the next page starts after the last id');
  const after = await client.responses.inputItems.list(response.id, { order: 'asc', limit: 2, after: next.data.at(-1)?.id ?? '' });
  t.same(after.data.map(textOf), ['five']);
  t.equal(after.has_more, false);

  const all: (string | undefined)[] = [];
  for await (const item of client.responses.inputItems.list(response.id, { limit: 2 })) all.push(textOf(item));
  t.same(all, [...words].reverse(), 'every item, newest first by default, over three pages');
});

t.test('inputItems.list: an unknown response raises NotFoundError', async (t) => {
  const { target } = await startProxy(t);
  const error = await openai.client(target()).responses.inputItems.list('resp_gone').catch((e: unknown) => e);
  t.ok(error instanceof NotFoundError);
  t.equal((error as NotFoundError).code, 'response_not_found');
});
