// The body scanner against JSON.parse: the same model and stream for every
// valid body, a 400 for every invalid one, and no object graph built.

import t from 'tap';
import { scanJsonBody } from '../src/proxy/json-scan.ts';
import { ProxyError } from '../src/errors/proxy-error.ts';

const VALID = [
  '{}',
  ' \n\t{ } \r\n',
  '{"model":"google/gemini-2.5-flash","messages":[]}',
  '{"messages":[{"role":"user","content":"{\\"model\\":\\"inner\\"}"}],"model":"outer"}',
  '{"a":{"model":"nested"},"model":"top"}',
  '{"model":"mod\\u0065l\\n\\"x\\""}',
  '{"mod\\u0065l":"escaped-key"}',
  '{"stream":"true"}',
  '{"stream": true , "model" : "spaced" }',
  '{"x":[1,-0,0.5,-1.25e+10,3E-2,1e5,[],{},[[[]]],{"a":{"b":[true,false,null]}}],"model":"numbers"}',
  '{"model":"ünïcødé 🚀","y":"\\ud83d\\ude80"}',
  '{"x":"' + '\\\\'.repeat(10) + '","model":"backslashes"}',
  '{"big":' + '1'.repeat(2000) + ',"model":"long number"}',
  '{"deep":' + '['.repeat(5000) + ']'.repeat(5000) + ',"model":"deep"}',
  '{"model":"a","modelx":"b","xmodel":"c"}',
];

const INVALID = [
  '',
  '   ',
  '{',
  '{"model":"x"',
  '{"model":"x",}',
  '{"model" "x"}',
  '{model:"x"}',
  "{'model':'x'}",
  '{"model":"x"} trailing',
  '{"model":"x"}{}',
  '{"a":[1,2,]}',
  '{"a":[1 2]}',
  '{"a":01}',
  '{"a":1.}',
  '{"a":.5}',
  '{"a":-}',
  '{"a":1e}',
  '{"a":+1}',
  '{"a":tru}',
  '{"a":nulls}',
  '{"a":"unterminated}',
  '{"a":"bad \\x escape"}',
  '{"a":"bad \\u12g4"}',
  '{"a":"raw\ncontrol"}',
  '{"a":{"b":1]}',
  '{"a":[}',
  '{"a":NaN}',
  '{"a":Infinity}',
];

const NOT_OBJECTS = ['[]', '"model"', '42', 'null', 'true', '[{"model":"x"}]'];

t.test('valid bodies: the same model and stream as JSON.parse', async (t) => {
  for (const text of VALID) {
    const json = JSON.parse(text) as Record<string, unknown>;
    const scanned = scanJsonBody(Buffer.from(text));
    t.same(
      scanned,
      { model: typeof json.model === 'string' ? json.model : undefined, stream: json.stream === true, keys: Object.keys(json) },
      text.slice(0, 60),
    );
  }
});

t.test('a model that is not a string: valid JSON, but 400 before it could take the default route', async (t) => {
  for (const text of ['{"model":null}', '{"model":42,"stream":true}', '{"model":{"not":"a string"},"stream":false}', '{"model":["x"]}', '{"model":true}']) {
    t.throws(() => scanJsonBody(Buffer.from(text)), { statusCode: 400, code: 'invalid_request_body', message: 'model must be a string naming the model.' }, text);
  }
});

t.test('bytes that are not UTF-8: 400 invalid_json, whatever JSON.parse would make of them', async (t) => {
  for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
    const raw = Buffer.concat([Buffer.from('{"model":"m","x":"'), Buffer.from(bytes), Buffer.from('"}')]);
    t.throws(() => scanJsonBody(raw), { statusCode: 400, code: 'invalid_json', message: 'Request body is not valid JSON: its bytes are not valid UTF-8' }, JSON.stringify(bytes));
  }
});

t.test('invalid JSON: JSON.parse rejects it and the scanner answers 400 invalid_json', async (t) => {
  for (const text of INVALID) {
    t.throws(() => JSON.parse(text), text);
    t.throws(() => scanJsonBody(Buffer.from(text)), { statusCode: 400, code: 'invalid_json' }, text);
  }
});

t.test('JSON that is not an object gets 400 invalid_request_body', async (t) => {
  for (const text of NOT_OBJECTS) {
    t.throws(() => scanJsonBody(Buffer.from(text)), { statusCode: 400, code: 'invalid_request_body' }, text);
  }
});

t.test('duplicate top-level model keys are refused; nested ones are not', async (t) => {
  t.throws(() => scanJsonBody(Buffer.from('{"model":"a","messages":[],"model":"b"}')), { statusCode: 400, code: 'invalid_request_body', message: /more than one top-level "model"/ });
  t.throws(() => scanJsonBody(Buffer.from('{"model":"a","mod\\u0065l":"b"}')), ProxyError, 'an escaped duplicate too');
  t.same(scanJsonBody(Buffer.from('{"model":"a","x":{"model":"b","model":"c"}}')).model, 'a');
});

t.test('top-level keys: in body order, decoded, nested ones left out, repeats kept', async (t) => {
  t.same(scanJsonBody(Buffer.from('{"st\\u006fre":true,"a":{"metadata":1},"store":false}')).keys, ['store', 'a', 'store']);
});

t.test('a body of many small objects is scanned without building them', async (t) => {
  const text = '{"model":"m","x":[' + '{},'.repeat(2_000_000) + '{}]}';
  const before = process.memoryUsage().heapUsed;
  const scanned = scanJsonBody(Buffer.from(text));
  t.equal(scanned.model, 'm');
  t.ok(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024, 'heap grew by less than the body would take as objects');
});
