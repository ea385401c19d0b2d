// The error catalogue: one line per code, the README's list of codes is
// exactly the catalogue, and every entry renders to the OpenAI shape.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { ERROR_CATALOGUE, SUPPORTED_PATHS, type ErrorCode } from '../src/errors/catalogue.ts';
import { clientErrorResponse } from '../src/errors/client-error.ts';
import { errorBody, ProxyError } from '../src/errors/proxy-error.ts';
import { OPERATIONS } from '../src/proxy/upstream-url.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

t.test("the README's list of codes is exactly the catalogue", async (t) => {
  const paragraph = /The `code` says which: ([^.]*)\./.exec(README)?.[1] ?? '';
  const listed = [...paragraph.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  t.equal(new Set(listed).size, listed.length, 'no code listed twice');
  t.same([...listed].sort(), Object.keys(ERROR_CATALOGUE).sort());
});

t.test('every code renders as an OpenAI error with its status and type', async (t) => {
  for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
    const [status, message] = ERROR_CATALOGUE[code];
    const error = new ProxyError(code as 'shutting_down', ...((typeof message === 'string' ? [] : ['DETAIL']) as []));
    t.equal(error.statusCode, status, `${code}: status`);
    t.ok(status >= 400 && status < 600, `${code}: an error status`);
    const body = errorBody(error);
    t.same(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type'], `${code}: the OpenAI shape`);
    t.equal(body.error.code, code);
    t.ok(body.error.message.length > 0, `${code}: a message`);
    if (typeof message !== 'string' && code !== 'invalid_request') t.match(body.error.message, 'DETAIL', `${code}: the detail is in the message`);
  }
  t.equal(new ProxyError('host_not_allowed', 'evil.example').type, 'permission_error');
  t.equal(new ProxyError('invalid_api_key').type, 'authentication_error');
  t.equal(new ProxyError('token_unavailable', 'x').type, 'api_error');
  t.equal(new ProxyError('invalid_json', '').message, 'Request body is empty; send a JSON object.');
});

t.test('raw parser errors use the catalogue too', async (t) => {
  t.match(clientErrorResponse('HPE_HEADER_OVERFLOW'), /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  t.match(clientErrorResponse('ERR_HTTP_REQUEST_TIMEOUT'), /^HTTP\/1\.1 408 Request Timeout\r\n/);
  const other = clientErrorResponse('HPE_INVALID_METHOD');
  t.match(other, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.match(other, '"code":"invalid_http_request"');
});

t.test('the 404 message names every path the proxy forwards', async (t) => {
  for (const path of OPERATIONS.keys()) if (path.startsWith('/v1/')) t.match(SUPPORTED_PATHS, path);
  t.match(SUPPORTED_PATHS, 'GET /v1/models');
});
