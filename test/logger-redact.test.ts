// The logger's own redaction (replacing pino's slow wildcard paths): same
// places covered, and what the caller logged is never altered.

import t from 'tap';
import { createLogger, redactCredentials } from '../src/observability/logger.ts';
import { LogCapture } from './helpers/harness.ts';

t.test('credentials are censored at the top level and one object down, without touching the input', async (t) => {
  const headers = { authorization: 'Bearer ya29.A', accept: '*/*' };
  const logged = { req: { headers }, credentials: { refresh_token: 'k1' }, token: 'ya29.B', model: 'm' };
  const out = redactCredentials(logged);
  t.same(out, { req: { headers: { authorization: '[redacted]', accept: '*/*' } }, credentials: { refresh_token: '[redacted]' }, token: '[redacted]', model: 'm' });
  t.equal(headers.authorization, 'Bearer ya29.A', 'the caller’s headers are unchanged');
  t.equal(logged.token, 'ya29.B', 'the caller’s object is unchanged');
});

t.test('a line without credentials is passed through as is', async (t) => {
  const line = { reqId: 'r', status: 200, nested: { ok: true } };
  t.equal(redactCredentials(line), line);
});

t.test('errors stay errors, so their serializer still applies; child bindings are censored at the top level', async (t) => {
  const capture = new LogCapture();
  const logger = createLogger('info', capture);
  const err = Object.assign(new Error('boom'), { token: 'ya29.C', headers: { 'x-goog-api-key': 'k2' } });
  logger.child({ token: 'ya29.D' }).error({ err }, 'failed');
  const text = capture.lines.join('\n');
  t.notMatch(text, /ya29|k2/);
  t.match(text, '"message":"boom"');
  t.equal(err.token, 'ya29.C', 'the error itself is unchanged');
});

t.test('an AbortError logged at warn (a client that left) is logged at debug; other warnings stay warnings', async (t) => {
  const capture = new LogCapture();
  const logger = createLogger('debug', capture).child({ reqId: 'r1' });
  logger.warn(new DOMException('This operation was aborted', 'AbortError'), 'response errored');
  logger.warn(new Error('socket hang up'), 'response errored');
  logger.warn({ event: 'x' }, 'failing over');
  const lines = capture.lines.map((line) => JSON.parse(line) as { level: number; msg: string; reqId: string; err?: { type: string } });
  t.match(lines, [
    { level: 20, msg: 'response errored', reqId: 'r1', err: { type: 'AbortError' } },
    { level: 40, msg: 'response errored', err: { type: 'Error' } },
    { level: 40, msg: 'failing over' },
  ]);

  const quiet = new LogCapture();
  createLogger('info', quiet).warn(new DOMException('aborted', 'AbortError'), 'response errored');
  t.same(quiet.lines, [], 'nothing at the default level');
});
