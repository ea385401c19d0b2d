// How a translated stream ends when the upstream does not end well: a
// break-off, an early end, an error event, garbage, an oversized event.

import t from 'tap';
import { ProxyError } from '../../src/errors/proxy-error.ts';
import type { ResponseStreamOptions } from '../../src/responses/stream.ts';
import { accumulate, checkSequence, parseFrames, read, stream } from './events.ts';

t.test('a break-off mid-stream ends with response.failed and leaks nothing', async (t) => {
  const sse = read('gemini-text.sse');
  const s = stream();
  const cut = sse.indexOf('\n\n') + 10;
  let text = s.start() + s.push(sse.subarray(0, cut));
  text += s.fail(new Error('socket hang up at 10.0.0.1'));
  t.equal(s.push(sse.subarray(cut)), '', 'nothing after the end');
  t.equal(s.end(), '');
  t.equal(s.fail(), '');
  const events = parseFrames(text);
  checkSequence(t, events);
  const last = events.at(-1);
  t.match(last, { type: 'response.failed', response: { status: 'failed', error: { code: 'server_error' }, output: [{ type: 'message' }] } });
  t.notMatch(JSON.stringify(last), /socket hang up|10\.0\.0\.1/);
  t.ok(s.finished);
  t.equal(s.result().status, 'failed');
  const ours = stream();
  const timeout = new ProxyError('upstream_timeout');
  t.match(parseFrames(ours.fail(timeout)).at(-1), {
    response: { error: { message: timeout.message } },
  });
});

t.test('upstream endings: no finish, finish without [DONE], [DONE] without a blank line, data after [DONE]', async (t) => {
  const chunk = (delta: object, finish?: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, ...(finish && { finish_reason: finish }) }] })}\n\n`;
  const endWith = (body: string) => {
    const s = stream();
    const text = s.start() + s.push(body) + s.end();
    return parseFrames(text).at(-1);
  };
  t.match(endWith(chunk({ content: 'half' })), { type: 'response.failed', response: { error: { message: /ended before the answer was complete/ } } });
  t.match(endWith(chunk({ content: 'all' }, 'stop')), { type: 'response.completed' });
  t.match(endWith(`${chunk({ content: 'all' })}data: [DONE]`), { type: 'response.completed' });
  const s = stream();
  const text = s.start() + s.push(`${chunk({ content: 'a' })}data: [DONE]\n\n${chunk({ content: 'ignored' })}`) + s.end();
  const events = parseFrames(text);
  t.equal(events.filter((e) => e.type === 'response.completed').length, 1);
  t.equal(accumulate(events).output_text, 'a');
});

t.test('upstream errors and garbage mid-stream fail the response', async (t) => {
  const failWith = (body: string, extra?: Partial<ResponseStreamOptions>) => {
    const s = stream(undefined, extra);
    return parseFrames(s.start() + s.push(body) + s.end()).at(-1);
  };
  t.match(failWith('data: {"error":{"code":429,"message":"Resource exhausted.","status":"RESOURCE_EXHAUSTED"}}\n\n'), {
    type: 'response.failed',
    response: { error: { code: 'rate_limit_exceeded', message: 'Resource exhausted.' } },
  });
  t.match(failWith('data: [{"error":{"code":500,"message":"Internal error."}}]\n\n'), { response: { error: { code: 'server_error', message: 'Internal error.' } } });
  t.match(failWith('data: {not json\n\n'), { type: 'response.failed', response: { error: { message: /not JSON/ } } });
  t.match(failWith(`data: ${'x'.repeat(100)}`, { maxEventSize: 50 }), { type: 'response.failed', response: { error: { message: /larger than 50/ } } });
});

