// Aliases rewrite the model value and not one other byte.

import t from 'tap';
import { replaceTopLevelModel, topLevelValueRanges } from '../src/proxy/model-rewrite.ts';

const rewrite = (text: string, model: string) => replaceTopLevelModel(Buffer.from(text, 'utf8'), model).toString('utf8');

t.test('replaces only the top-level model value, keeping every other byte', async (t) => {
  const body = '{ "messages":[{"role":"user","content":"model: \\"x\\" ünïcödé 🚀","model":"nested"}],\n  "model" :  "gpt-4o" ,"extra_body":{"google":{"model":"keep"}},"stream":true}';
  t.equal(
    rewrite(body, 'google/gemini-2.5-flash'),
    body.replace('"gpt-4o"', '"google/gemini-2.5-flash"'),
  );
});

t.test('handles model first, last, escaped keys and odd whitespace', async (t) => {
  t.equal(rewrite('{"model":"a"}', 'b'), '{"model":"b"}');
  t.equal(rewrite('{"x":[1,{"model":"n"}],"model":"a"}', 'b'), '{"x":[1,{"model":"n"}],"model":"b"}');
  t.equal(rewrite('{"mod\\u0065l":"a","y":1}', 'b'), '{"mod\\u0065l":"b","y":1}');
  t.equal(rewrite('\t{\r\n"model"\t:\n"a"\n}\n', 'b'), '\t{\r\n"model"\t:\n"b"\n}\n');
  t.equal(rewrite('{"a":"}\\"{","model":null}', 'b'), '{"a":"}\\"{","model":"b"}');
  t.equal(rewrite('{"a":-1.5e3,"b":true,"c":null,"model":"m"}', 'z'), '{"a":-1.5e3,"b":true,"c":null,"model":"z"}');
});

t.test('JSON-escapes the new model name', async (t) => {
  const out = rewrite('{"model":"a"}', 'we"ird\\name');
  t.same(JSON.parse(out), { model: 'we"ird\\name' });
});

t.test('leaves a body without a model untouched (same buffer)', async (t) => {
  const raw = Buffer.from('{"messages":[]}');
  t.equal(replaceTopLevelModel(raw, 'x'), raw);
  t.same(topLevelValueRanges(Buffer.from('{}'), 'model'), []);
});

t.test('rewrites every duplicate top-level model key', async (t) => {
  t.equal(rewrite('{"model":"a","model":"b"}', 'c'), '{"model":"c","model":"c"}');
});
