// The `openai` SDK's Responses API through the proxy (issue 10): create (plain,
// with instructions, with a tool over two turns, chained by
// previous_response_id), retrieve and delete, stream (event order and text),
// parse with a zod format, and errors. Upstream it must be Chat Completions
// that the strict fake Vertex accepts; Gemini 3 runs check the thought
// signature makes the round trip.

import t from 'tap';
import { APIError, BadRequestError } from 'openai';
import type { ServerResponse } from 'node:http';
import { USAGE } from '../helpers/chat-answers.ts';
import { TEXT_ANSWER_EVENTS } from '../responses/events.ts';
import * as openai from './drive-openai.ts';
import { assertSignaturesCarried, assertVertexAccepted, chatRequests, startProxy, textOf } from './proxy.ts';
import { FINAL_TEXT, GEMINI_3, MODEL, PLAIN_TEXT, PROMPT, TOOL_NAME, TOOL_RESULT, toolLoop } from './weather.ts';

/** The HTTP status a call failed with (0 if it did not fail). */
function failedWith(promise: Promise<unknown>): Promise<number | undefined> {
  return promise.then(
    () => 0,
    (error: unknown) => (error as { status?: number }).status,
  );
}

t.test('responses.create: plain text', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const { response, text } = await openai.responsesPlain(target());
  t.equal(text, PLAIN_TEXT);
  t.match(response, { object: 'response', status: 'completed', model: MODEL });
  t.match(response.id, /^resp_/);
  t.match(response.usage, { input_tokens: USAGE.prompt_tokens, output_tokens: USAGE.completion_tokens, total_tokens: USAGE.total_tokens });
  const message = response.output.find((item) => item.type === 'message');
  t.match(message, { role: 'assistant', content: [{ type: 'output_text', text: PLAIN_TEXT, annotations: [] }] });
  const requests = chatRequests(h.vertex);
  t.equal(requests.length, 1, 'one Chat Completions request upstream');
  t.equal(requests[0]?.model, MODEL);
  t.same(requests[0]?.messages?.map((m) => [m.role, textOf(m.content)]), [['user', 'Say hello.']]);
  assertVertexAccepted(t, h.vertex);
});

t.test('responses.create: instructions become the system message', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  t.equal((await openai.responsesInstructions(target())).text, PLAIN_TEXT);
  const messages = chatRequests(h.vertex)[0]?.messages ?? [];
  t.same(
    messages.map((m) => [m.role, textOf(m.content)]),
    [
      ['system', 'Answer in one short sentence.'],
      ['user', 'Say hello.'],
    ],
  );
  assertVertexAccepted(t, h.vertex);
});

for (const model of [MODEL, GEMINI_3]) {
  t.test(`responses.create: a function tool over two turns (${model})`, async (t) => {
    const { h, target } = await startProxy(t);
    h.vertex.chat.script = toolLoop();
    const { calls, second, text } = await openai.responsesTools(target(model));
    t.match(calls, [{ type: 'function_call', name: TOOL_NAME, status: 'completed' }]);
    t.same(JSON.parse(calls[0]?.arguments ?? '{}'), { city: 'Paris' });
    t.equal(text, FINAL_TEXT);
    t.equal(second.status, 'completed');
    const [first, followUp] = chatRequests(h.vertex);
    t.same(
      (first?.tools as { type: string; function: { name: string } }[]).map((tool) => [tool.type, tool.function.name]),
      [['function', TOOL_NAME]],
    );
    const assistant = followUp?.messages?.find((m) => m.role === 'assistant');
    const tool = followUp?.messages?.find((m) => m.role === 'tool');
    t.match(assistant?.tool_calls, [{ function: { name: TOOL_NAME, arguments: calls[0]?.arguments } }]);
    t.equal(tool?.tool_call_id, assistant?.tool_calls?.[0]?.id, 'the tool result answers that call');
    t.equal(textOf(tool?.content), TOOL_RESULT);
    if (model === GEMINI_3) assertSignaturesCarried(t, h.vertex);
    assertVertexAccepted(t, h.vertex);
  });
}

t.test('previous_response_id rebuilds the conversation; retrieve and delete serve the stored response', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const { second, third, text } = await openai.responsesPrevious(target(GEMINI_3));
  t.equal(text, FINAL_TEXT);
  const last = chatRequests(h.vertex).at(-1)?.messages ?? [];
  t.same(
    last.map((m) => m.role),
    ['user', 'assistant', 'tool', 'assistant', 'user'],
    'the third turn carries the whole history',
  );
  t.equal(textOf(last[0]?.content), PROMPT);
  t.equal(textOf(last[3]?.content), FINAL_TEXT);
  t.equal(textOf(last[4]?.content), 'Thanks!');
  assertSignaturesCarried(t, h.vertex);
  assertVertexAccepted(t, h.vertex);

  const client = openai.client(target(GEMINI_3));
  t.equal((await client.responses.retrieve(second.id)).id, second.id);
  await client.responses.delete(second.id);
  t.equal(await failedWith(client.responses.retrieve(second.id)), 404, 'deleted');
  const error = await client.responses.create({ model: MODEL, previous_response_id: second.id, input: 'again' }).catch((e: unknown) => e);
  t.ok(error instanceof BadRequestError, 'an unknown previous_response_id is a 400: the SDK raises BadRequestError, as with OpenAI');
  t.equal((error as APIError).code, 'previous_response_not_found');
  t.equal((error as APIError).param, 'previous_response_id');
  t.ok(third.id);
});

t.test('store: false is not kept', async (t) => {
  const { target } = await startProxy(t);
  const client = openai.client(target());
  const response = await client.responses.create({ model: MODEL, input: 'hi', store: false });
  t.equal(await failedWith(client.responses.retrieve(response.id)), 404);
});

t.test('responses.stream: the event sequence, in order, and the text', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = toolLoop();
  const { events, text, final } = await openai.responsesStream(target());
  t.equal(text, PLAIN_TEXT);
  t.equal(final.output_text, PLAIN_TEXT);
  const types = events.map((event) => event.type).filter((type, i, all) => type !== all[i - 1] || type !== 'response.output_text.delta');
  t.same(types, TEXT_ANSWER_EVENTS);
  const sequence = events.map((event) => event.sequence);
  t.same(sequence, [...sequence].sort((a, b) => a - b), 'sequence_number increases');
  t.equal(new Set(sequence).size, sequence.length, 'sequence_number never repeats');
  const upstream = chatRequests(h.vertex)[0];
  t.equal(upstream?.stream, true);
  t.match(upstream?.stream_options, { include_usage: true });
  assertVertexAccepted(t, h.vertex);
});

t.test('responses.parse: a zod text format becomes response_format', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = () => ({ text: openai.FORECAST_JSON });
  const { parsed } = await openai.responsesParse(target());
  t.same(parsed, { city: 'Paris', temperature: 21 });
  t.match(chatRequests(h.vertex)[0]?.response_format, { type: 'json_schema', json_schema: { name: 'forecast' } });
  assertVertexAccepted(t, h.vertex);
});

t.test('a Vertex error before the stream is an OpenAI error with its status', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.next((_req, _body, res: ServerResponse) => {
    res.writeHead(429, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 429, message: 'Resource exhausted.', status: 'RESOURCE_EXHAUSTED' } }));
  });
  t.equal(await failedWith(openai.responsesStream(target())), 429);
});

t.test('an upstream that breaks off mid-stream ends with response.failed', async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.next((_req, _body, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] })}\n\n`);
    setTimeout(() => res.destroy(), 20);
  });
  const stream = await openai.client(target()).responses.create({ model: MODEL, input: 'hi', stream: true });
  const types: string[] = [];
  try {
    for await (const event of stream) types.push(event.type);
  } catch {
    // the SDK may throw on response.failed; the events seen so far are what counts
  }
  t.equal(types[0], 'response.created');
  t.ok(types.includes('response.output_text.delta'), 'the text that arrived was relayed');
  t.equal(types.at(-1), 'response.failed');
  t.notOk(types.includes('response.completed'));
});
