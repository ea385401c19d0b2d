// The recording server plays OpenAI well enough for the real clients to finish
// their scenarios (which is how the fixtures are captured), and what it records
// is what they sent, minus credentials. Also checks a real `codex exec` against
// it: the tool loop completes and Codex reaches nothing beyond loopback.

import t from 'tap';
import { CODEX_COMMAND, CODEX_FINAL_TEXT, codexExec, codexScript } from './drive-codex.ts';
import * as openai from './drive-openai.ts';
import { CREDENTIAL, startRecorder } from './recorder.ts';
import { CLIENT_KEY, FINAL_TEXT, MODEL, PLAIN_TEXT } from './weather.ts';

t.test('openai SDK: responses.stream gets the whole event sequence; credentials are not recorded', async (t) => {
  const recorder = await startRecorder();
  t.teardown(() => recorder.close());
  const { events, text, final } = await openai.responsesStream({ baseURL: recorder.baseURL, model: MODEL });
  t.equal(text, PLAIN_TEXT);
  t.equal(final.status, 'completed');
  t.same(events.map((e) => e.sequence), events.map((_, i) => i));
  t.equal(events.at(-1)?.type, 'response.completed');
  const [call] = recorder.calls;
  t.match(call, { method: 'POST', path: '/v1/responses', body: { model: MODEL, input: 'Say hello.', stream: true } });
  t.equal(call?.headers.authorization, `Bearer ${CREDENTIAL}`);
  t.notOk(JSON.stringify(recorder.calls).includes(CLIENT_KEY), 'the client key is never recorded');
});

t.test('openai SDK: previous_response_id chains and tool calls over Chat Completions', async (t) => {
  const recorder = await startRecorder();
  t.teardown(() => recorder.close());
  const target = { baseURL: recorder.baseURL, model: MODEL };
  t.equal((await openai.responsesPrevious(target)).text, FINAL_TEXT);
  t.equal((await openai.chatRunTools(target)).text, FINAL_TEXT);
  const previous = recorder.calls.map((call) => (call.body as { previous_response_id?: string }).previous_response_id);
  t.same(previous.slice(0, 3), [undefined, 'resp_0002', 'resp_0004']);
});

t.test('codex exec: runs the scripted command and reports it, loopback only', { timeout: 55_000 }, async (t) => {
  const recorder = await startRecorder();
  t.teardown(() => recorder.close());
  recorder.script = codexScript;
  const run = await codexExec({ baseURL: recorder.baseURL, model: MODEL }, { timeoutMs: 45_000 });
  t.equal(run.code, 0, 'codex exec succeeds', { stderr: run.stderr.slice(-2000) });
  t.same(run.escaped, [], 'nothing beyond loopback');
  t.equal(run.lastMessage.trim(), CODEX_FINAL_TEXT);
  t.equal(recorder.calls.length, 2);
  const input = (recorder.calls[1]?.body as { input: { type: string; arguments?: string; output?: string }[] }).input;
  t.match(input.find((item) => item.type === 'function_call'), { arguments: JSON.stringify({ cmd: CODEX_COMMAND }) });
  t.match(input.find((item) => item.type === 'function_call_output')?.output, /Output:\nhi\n/, 'the command ran and its output came back');
});
