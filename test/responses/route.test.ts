// POST /v1/responses and GET/DELETE /v1/responses/{id} through the whole app,
// against the strict fake Vertex: the errors a client sees, the store
// (store:false, retrieve, delete), what reaches Vertex (only chat fields it
// knows; a leaked key fails), dropped built-in tools counted, aliases, the
// Gemini 3 sentinel, and routes that serve the Responses API natively.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FRESH_TOKEN_MS } from '../../src/credentials/token-cache.ts';
import { googleError, sendJson } from '../helpers/fake-vertex.ts';
import { startHarness, type Harness, type HarnessOptions } from '../helpers/harness.ts';
import { assertOpenAIError } from '../helpers/openai-error.ts';
import { unknownFields } from '../helpers/vertex-chat-fields.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';
import { call, create } from './calls.ts';

const MODEL = 'google/gemini-2.5-flash';
const GEMINI_3 = 'google/gemini-3-flash-preview';
const SENTINEL = 'skip_thought_signature_validator';

function configFile(content: unknown): string {
  const path = join(scratchDir('vop-responses-'), 'proxy.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

async function harness(t: Parameters<typeof startHarness>[0], options: HarnessOptions & { config?: unknown } = {}): Promise<Harness> {
  const env = { ...options.env, ...(options.config ? { PROXY_CONFIG: configFile(options.config) } : {}) };
  return startHarness(t, { ...options, env });
}

function chatBodies(h: Harness): Record<string, unknown>[] {
  return h.vertex.requests.filter((r) => r.url.endsWith('/chat/completions')).map((r) => JSON.parse(r.body.toString('utf8')));
}

t.test('a plain request: one chat request upstream, a Responses object back', async (t) => {
  const h = await harness(t);
  const res = await create(h, { model: MODEL, input: 'hi', instructions: 'Be brief.' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = res.json();
  t.match(body, { object: 'response', status: 'completed', model: MODEL, instructions: 'Be brief.' });
  t.match(body.output, [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello from fake Vertex' }] }]);
  t.match(body.usage, { input_tokens: 3, output_tokens: 4, total_tokens: 7 });
  t.equal(h.vertex.requests.length, 1);
  t.match(h.vertex.last?.url, /\/endpoints\/openapi\/chat\/completions$/);
  t.same(chatBodies(h)[0], { model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] });
  t.equal(h.vertex.last?.headers.authorization, `Bearer ${h.metadata.latestToken}`);

  t.equal((await create(h, { model: MODEL, input: 'hi' }, '/responses')).statusCode, 200, 'also without /v1');
  const line = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.route === '/v1/responses');
  t.match(line, { method: 'POST', model: MODEL, status: 200, upstreamStatus: 200 }, 'the log line names route and model');
});

t.test('errors are OpenAI-shaped, and bad requests never reach Vertex', async (t) => {
  const h = await harness(t);
  const cases: [string, unknown, number, string, string?][] = [
    ['no input', { model: MODEL }, 400, 'invalid_request_body'],
    ['no model', { input: 'hi' }, 400, 'invalid_request_body'],
    ['not an object', '[1,2]', 400, 'invalid_request_body'],
    ['malformed JSON', '{"model":', 400, 'invalid_json'],
    ['conversation', { model: MODEL, input: 'hi', conversation: 'conv_1' }, 400, 'unsupported_input'],
    ['stored prompt', { model: MODEL, input: 'hi', prompt: { id: 'pmpt_1' } }, 400, 'unsupported_input'],
    // Nothing for the model to answer: Vertex would refuse an empty conversation.
    ['empty input', { model: MODEL, input: [] }, 400, 'invalid_request_body'],
    ['only an unknown item', { model: MODEL, input: [{ type: 'junk' }], stream: true }, 400, 'invalid_request_body'],
    ['instructions alone', { model: MODEL, instructions: 'be brief', input: [] }, 400, 'invalid_request_body'],
    ['max_output_tokens past a 32-bit integer', { model: MODEL, input: 'hi', max_output_tokens: 2 ** 31 }, 400, 'invalid_request_body'],
    ['unknown previous_response_id', { model: MODEL, input: 'hi', previous_response_id: 'resp_gone' }, 400, 'previous_response_not_found', 'previous_response_id'],
    ['unknown item_reference', { model: MODEL, input: [{ type: 'item_reference', id: 'msg_gone' }] }, 400, 'item_not_found', 'input'],
    // Parsed fine, but too deep to serialize back into the response and the store.
    ['nested 5000 levels deep', `{"model":"${MODEL}","stream":true,"input":"hi","metadata":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}`, 400, 'invalid_request_body'],
  ];
  for (const [name, body, status, code, param] of cases) {
    const res = await create(h, body);
    t.equal(res.statusCode, status, `${name}: ${status}`);
    assertOpenAIError(t, res.body, { code, ...(param && { param }) });
  }
  const text = await call(h, 'POST', '/v1/responses', 'hi', { 'content-type': 'text/plain' });
  t.equal(text.statusCode, 415, 'a text/plain body is refused');
  const foreign = await call(h, 'POST', '/v1/responses', { model: MODEL, input: 'hi' }, { host: 'evil.example' });
  t.equal(foreign.statusCode, 403, 'local safety applies');
  t.equal(h.vertex.requests.length, 0, 'none of them reached Vertex');
  // As OpenAI answers it: SDKs raise a BadRequestError naming the field, which clients catch to start afresh.
  t.match((await create(h, { model: MODEL, input: 'hi', previous_response_id: 'resp_gone' })).json(), {
    error: { message: "Previous response with id 'resp_gone' not found.", type: 'invalid_request_error', param: 'previous_response_id' },
  });
  t.match((await create(h, { model: MODEL, input: [{ type: 'item_reference', id: 'msg_gone' }] })).json(), { error: { param: 'input' } });
});

t.test('upstream errors keep their status; an unreadable answer is a 502', async (t) => {
  const h = await harness(t);
  h.vertex.next((_req, _body, res) => googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', { 'retry-after': '7' }));
  const limited = await create(h, { model: MODEL, input: 'hi' });
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['retry-after'], '7');
  assertOpenAIError(t, limited.body, { code: 'RESOURCE_EXHAUSTED', type: 'rate_limit_error' });

  h.vertex.next((_req, _body, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>'));
  const garbled = await create(h, { model: MODEL, input: 'hi' });
  t.equal(garbled.statusCode, 502);
  assertOpenAIError(t, garbled.body, { code: 'upstream_invalid_response' });

  h.metadata.failWith = 500;
  h.skewMs = FRESH_TOKEN_MS;
  h.credentials.rejectToken(await h.credentials.getToken().catch(() => undefined as never));
  const noToken = await create(h, { model: MODEL, input: 'hi' });
  t.equal(noToken.statusCode, 503, 'no token: 503 as on the chat route');
});

t.test('stored responses: retrieve and delete; store:false is not kept', async (t) => {
  const h = await harness(t);
  const stored = (await create(h, { model: MODEL, input: 'hi' })).json();
  t.equal(stored.store, true);
  for (const prefix of ['/v1', '']) {
    const got = await call(h, 'GET', `${prefix}/responses/${stored.id}`);
    t.equal(got.statusCode, 200, `GET ${prefix}/responses/{id}`);
    t.same(got.json(), stored, 'the response as it was answered');
  }
  // With a JSON content type and an empty body, as some HTTP clients send every request.
  const emptyJson = { host: '127.0.0.1:8765', 'content-type': 'application/json', 'content-length': '0' };
  const deleted = await h.app.inject({ method: 'DELETE', url: `/v1/responses/${stored.id}`, headers: emptyJson });
  t.equal(deleted.statusCode, 200);
  t.same(deleted.json(), { id: stored.id, object: 'response', deleted: true });
  for (const method of ['GET', 'DELETE'] as const) {
    const gone = await call(h, method, `/responses/${stored.id}`);
    t.equal(gone.statusCode, 404, `${method} after delete`);
    assertOpenAIError(t, gone.body, { code: 'response_not_found' });
  }

  const unkept = (await create(h, { model: MODEL, input: 'hi', store: false })).json();
  t.equal(unkept.store, false, 'echoed');
  t.equal((await call(h, 'GET', `/v1/responses/${unkept.id}`)).statusCode, 404, 'store:false is not kept');
  t.equal((await create(h, { model: MODEL, input: 'again', previous_response_id: unkept.id })).statusCode, 400);
});

t.test('the store is bounded by PROXY_RESPONSES_STORE_ENTRIES', async (t) => {
  const h = await harness(t, { env: { PROXY_RESPONSES_STORE_ENTRIES: '2' } });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await create(h, { model: MODEL, input: `turn ${i}` })).json().id);
  t.equal((await call(h, 'GET', `/v1/responses/${ids[0]}`)).statusCode, 404, 'the oldest was evicted');
  t.equal((await call(h, 'GET', `/v1/responses/${ids[2]}`)).statusCode, 200);
});

t.test('Responses-only keys never reach Vertex; a key that leaks fails against the strict fake', async (t) => {
  const noisy = {
    model: MODEL,
    input: [{ role: 'developer', content: 'Rules.' }, { role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
    store: false,
    include: ['reasoning.encrypted_content'],
    metadata: { team: 'a' },
    prompt_cache_key: 'k',
    client_metadata: { x: 1 },
    safety_identifier: 'u1',
    truncation: 'auto',
    service_tier: 'auto',
    parallel_tool_calls: true,
    user: 'someone',
    reasoning: { effort: 'low', summary: 'auto' },
    text: { format: { type: 'text' }, verbosity: 'low' },
    max_output_tokens: 100,
    tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} } }],
  };
  const h = await harness(t);
  t.equal((await create(h, noisy)).statusCode, 200);
  t.same(h.vertex.chat.rejections, [], 'the fake refused nothing');
  const sent = chatBodies(h)[0] ?? {};
  t.same(unknownFields(sent), [], `only chat fields Vertex knows: ${Object.keys(sent).join(', ')}`);
  t.match(sent, { reasoning_effort: 'low', max_tokens: 100 });

  // With dropParams off for the route, `user` (not in Google's list) leaks: the fake refuses it, as Vertex would.
  const leaky = await harness(t, { config: { models: { [MODEL]: { dropParams: [] } } } });
  const res = await create(leaky, noisy);
  t.equal(res.statusCode, 400);
  assertOpenAIError(t, res.body, { code: 'INVALID_ARGUMENT' });
  t.match(res.json().error.message, 'Unknown name "user"');
});

t.test('built-in tools are dropped, logged at debug and counted', async (t) => {
  const h = await harness(t);
  const body = {
    model: MODEL,
    input: [{ role: 'user', content: 'hi' }, { type: 'web_search_call', id: 'ws_1', status: 'completed' }],
    tools: [{ type: 'web_search' }, { type: 'mcp', server_label: 'x' }, { type: 'frobnicate_9000' }, { type: 'function', name: 'f' }],
  };
  t.equal((await create(h, body)).statusCode, 200);
  t.same((chatBodies(h)[0]?.tools as { function: { name: string } }[]).map((tool) => tool.function.name), ['f'], 'only the function tool goes upstream');
  const debug = h.logs.map((l) => JSON.parse(l)).find((l) => Array.isArray(l.droppedTools));
  t.match(debug, { level: 20, droppedTools: ['web_search', 'mcp', 'frobnicate_9000'], droppedItems: ['web_search_call'] });
  const metrics = await h.metrics.registry.metrics();
  for (const [kind, type] of [['tool', 'web_search'], ['tool', 'mcp'], ['tool', 'other'], ['item', 'web_search_call']]) {
    t.match(metrics, `vertex_openai_proxy_responses_dropped_total{kind="${kind}",type="${type}"} 1`, `${kind} ${type} counted`);
  }
  t.notMatch(metrics, 'frobnicate', 'client-chosen types never become labels');
});

t.test('aliases: the upstream model is the target, the response echoes the name the client sent', async (t) => {
  const h = await harness(t, { config: { models: { 'gpt-5': { model: MODEL, location: 'europe-west4' } } } });
  const res = await create(h, { model: 'gpt-5', input: 'hi' });
  t.equal(res.json().model, 'gpt-5');
  t.equal(chatBodies(h)[0]?.model, MODEL);
  t.match(h.vertex.last?.url, '/locations/europe-west4/endpoints/openapi/chat/completions');
});

t.test('Gemini 3: a call nobody remembers gets the sentinel, unless the fallback is off', async (t) => {
  const input = [
    { role: 'user', content: 'weather?' },
    { type: 'function_call', call_id: 'call_elsewhere', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { type: 'function_call_output', call_id: 'call_elsewhere', output: 'sunny' },
  ];
  const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
  const h = await harness(t);
  t.equal((await create(h, { model: GEMINI_3, input, tools })).statusCode, 200);
  t.match(h.vertex.chat.followUps, [{ accepted: true, toolCalls: [{ id: 'call_elsewhere', signature: SENTINEL }] }]);

  const strict = await harness(t, { env: { PROXY_THOUGHT_SIGNATURE_FALLBACK: 'false' } });
  const refused = await create(strict, { model: GEMINI_3, input, tools });
  t.equal(refused.statusCode, 400, 'Gemini 3 refuses the call without a signature');
  t.match(refused.json().error.message, 'missing a thought_signature');
});

t.test('responsesApi: native forwards the bytes to the endpoint’s own /responses', async (t) => {
  const h = await harness(t, { config: { models: { grok: { model: 'xai/grok-4.1-fast-reasoning', responsesApi: 'native' } } } });
  const raw = '{"model":"grok","input":"hi",  "store":false,"include":["reasoning.encrypted_content"],"tools":[{"type":"web_search"}]}';
  const answer = { id: 'resp_xai_1', object: 'response', status: 'completed', output: [] };
  h.vertex.next((_req, _body, res) => sendJson(res, 200, answer));
  const res = await create(h, raw);
  t.equal(res.statusCode, 200);
  t.same(res.json(), answer, 'the answer as Vertex gave it');
  t.match(h.vertex.last?.url, /\/endpoints\/openapi\/responses$/);
  t.equal(h.vertex.last?.body.toString(), raw.replace('"model":"grok"', '"model":"xai/grok-4.1-fast-reasoning"'), 'only the model value changes');
  t.equal(h.vertex.last?.headers.authorization, `Bearer ${h.metadata.latestToken}`);

  h.vertex.next((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: response.created\ndata: {"type":"response.created"}\n\n');
  });
  const stream = await create(h, { model: 'grok', input: 'hi', stream: true });
  t.match(stream.headers['content-type'], 'text/event-stream');
  t.equal(stream.body, 'event: response.created\ndata: {"type":"response.created"}\n\n', 'streams pass through untouched');

  h.vertex.next((_req, _body, res) => googleError(res, 400, 'INVALID_ARGUMENT', 'bad input'));
  const failed = await create(h, { model: 'grok', input: 'hi' });
  t.equal(failed.statusCode, 400);
  assertOpenAIError(t, failed.body, { code: 'INVALID_ARGUMENT' });
  t.equal(h.vertex.chat.rejections.length, 0);
});
