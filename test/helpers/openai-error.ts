// What every error the proxy writes must look like, so OpenAI SDKs surface it.

import type { Test } from 'tap';

export interface OpenAIErrorShape {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/** Parses `body` and checks it is exactly `{"error":{message,type,code,param}}`, `param` null unless `expected` names one. */
export function assertOpenAIError(t: Test, body: string, expected: { code?: string | null; type?: string; param?: string } = {}): OpenAIErrorShape {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    t.fail(`error body is not JSON: ${body.slice(0, 200)}`);
    return { error: { message: '', type: '', code: null, param: null } };
  }
  const shaped = parsed as OpenAIErrorShape;
  t.same(Object.keys(shaped ?? {}), ['error'], 'body has only `error`');
  const error = shaped?.error ?? ({} as OpenAIErrorShape['error']);
  t.same(Object.keys(error).sort(), ['code', 'message', 'param', 'type'], 'error has message, type, code, param');
  t.type(error.message, 'string', 'message is a string');
  t.ok(error.message.length > 0, 'message is not empty');
  t.type(error.type, 'string', 'type is a string');
  t.ok(error.code === null || typeof error.code === 'string', 'code is a string or null');
  t.equal(error.param, expected.param ?? null, `param is ${expected.param ?? null}`);
  if (expected.code !== undefined) t.equal(error.code, expected.code, `code is ${expected.code}`);
  if (expected.type !== undefined) t.equal(error.type, expected.type, `type is ${expected.type}`);
  return shaped;
}
