// Dropped parameters leave by splicing: every other byte stays as it was sent.

import t from 'tap';
import { DEFAULT_DROP_PARAMS, dropTopLevelParams, effectiveDropParams } from '../../src/compat/drop-params.ts';

const drop = (text: string, names: readonly string[] = DEFAULT_DROP_PARAMS, withJson = false) => {
  const raw = Buffer.from(text, 'utf8');
  const result = dropTopLevelParams(raw, names, withJson ? (JSON.parse(text) as Record<string, unknown>) : undefined);
  return { raw, out: result.body.toString('utf8'), dropped: result.dropped, same: result.body === raw };
};

t.test('removes top-level members, keeping every other byte', async (t) => {
  const cases: Array<[string, string, string[]]> = [
    ['{"model":"m","store":false,"messages":[]}', '{"model":"m","messages":[]}', ['store']],
    ['{"store":false,"model":"m"}', '{"model":"m"}', ['store']],
    ['{"model":"m","store":false}', '{"model":"m"}', ['store']],
    ['{"store":false}', '{}', ['store']],
    ['{"store":true,"metadata":{"a":"b"},"model":"m"}', '{"model":"m"}', ['store', 'metadata']],
    ['{"store":true,"metadata":{"a":"b"}}', '{}', ['store', 'metadata']],
    ['{"model":"m","store":true,"metadata":{"a":[1,{"}":"{"}]},"stream":true}', '{"model":"m","stream":true}', ['store', 'metadata']],
    ['{"store":1,"a":2,"metadata":3,"b":4,"user":"u"}', '{"a":2,"b":4}', ['store', 'metadata', 'user']],
    ['{\n  "store" : false ,\n  "model": "m"\n}\n', '{\n  "model": "m"\n}\n', ['store']],
    ['{\n  "model": "m",\n  "store": false\n}', '{\n  "model": "m"\n}', ['store']],
    ['\t{ "prompt_cache_key":"k\\"ey" , "model":"m" }', '\t{ "model":"m" }', ['prompt_cache_key']],
    ['{"messages":[{"role":"user","content":"ünïcödé 🚀 \\"store\\": true"}],"service_tier":"auto","prediction":{"type":"content","content":"x"}}',
      '{"messages":[{"role":"user","content":"ünïcödé 🚀 \\"store\\": true"}]}', ['service_tier', 'prediction']],
    ['{"store":false,"store":true,"model":"m"}', '{"model":"m"}', ['store']],
    ['{"safety_identifier":"hash","prompt_cache_retention":"24h","model":"m"}', '{"model":"m"}', ['safety_identifier', 'prompt_cache_retention']],
  ];
  for (const [input, expected, dropped] of cases) {
    const result = drop(input);
    t.equal(result.out, expected, input);
    t.same(result.dropped, dropped, `dropped names for ${input}`);
    JSON.parse(result.out);
  }
});

t.test('nested keys of the same name are untouched', async (t) => {
  const body = '{"model":"m","tools":[{"type":"function","function":{"name":"store","parameters":{"properties":{"store":{"type":"boolean"},"metadata":{}}}}}],"extra_body":{"google":{"store":1}},"messages":[{"role":"user","content":"hi","metadata":{"x":1}}]}';
  const result = drop(body);
  t.ok(result.same, 'the same Buffer comes back');
  t.same(result.dropped, []);
});

t.test('bodies without such keys come back as the same Buffer', async (t) => {
  for (const body of ['{}', '{"model":"m","messages":[]}', '{"model":"m","storage":1,"users":[]}']) {
    t.ok(drop(body).same, body);
    t.ok(drop(body, DEFAULT_DROP_PARAMS, true).same, `${body} (with the parse)`);
  }
  t.ok(drop('{"store":true}', []).same, 'an empty list drops nothing');
});

t.test('with the parsed body, escaped key spellings are found too', async (t) => {
  const body = '{"st\\u006fre":true,"model":"m"}';
  t.ok(drop(body).same, 'the byte search alone does not see it');
  const result = drop(body, DEFAULT_DROP_PARAMS, true);
  t.equal(result.out, '{"model":"m"}');
  t.same(result.dropped, ['store']);
});

t.test('every subset of members, in several layouts, leaves valid JSON with the rest in order', async (t) => {
  const keys = ['store', 'a', 'metadata', 'b', 'user'];
  const layouts: Array<(k: string, v: string) => string> = [
    (k, v) => `"${k}":${v}`,
    (k, v) => `\n  "${k}" : ${v}`,
  ];
  const values: Record<string, string> = { store: 'true', a: '[1, "x,y"]', metadata: '{"k": "v"}', b: '"b"', user: 'null' };
  for (const layout of layouts) {
    const body = `{${keys.map((k) => layout(k, values[k] as string)).join(',')}\n}`;
    for (let mask = 0; mask < 1 << keys.length; mask++) {
      const names = keys.filter((_, i) => mask & (1 << i));
      const { out } = drop(body, names);
      const parsed = JSON.parse(out) as Record<string, unknown>;
      const expected = keys.filter((k) => !names.includes(k));
      if (JSON.stringify(Object.keys(parsed)) !== JSON.stringify(expected)) t.fail(`${names.join(',')}: ${out}`);
    }
  }
  t.pass('all subsets');
});

t.test('the default list and route lists', async (t) => {
  t.same([...DEFAULT_DROP_PARAMS], ['store', 'metadata', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'user', 'service_tier', 'prediction']);
  for (const kept of ['web_search_options', 'stream_options', 'parallel_tool_calls', 'reasoning_effort', 'modalities', 'logprobs', 'extra_body', 'model', 'messages']) {
    t.notOk(DEFAULT_DROP_PARAMS.includes(kept), `${kept} is kept`);
  }
  t.equal(effectiveDropParams(undefined, DEFAULT_DROP_PARAMS), DEFAULT_DROP_PARAMS);
  t.same(effectiveDropParams([], DEFAULT_DROP_PARAMS), []);
  t.same(effectiveDropParams(['logprobs'], DEFAULT_DROP_PARAMS), ['logprobs']);
});
