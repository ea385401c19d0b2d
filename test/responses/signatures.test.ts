// The reasoning-item envelope for Gemini thought signatures.

import t from 'tap';
import { decodeSignatures, encodeSignatures, signatureExtra, signatureOf } from '../../src/responses/signatures.ts';

t.test('round trip, and nothing from blobs that are not ours', async (t) => {
  const sigs = new Map([['call_1', 'CpwB/+=='], ['call_2', 'ünï']]);
  const blob = encodeSignatures(sigs);
  t.match(blob, /^gemini-ts\.v1\.[A-Za-z0-9_-]+$/);
  t.same(decodeSignatures(blob), sigs);
  for (const foreign of [undefined, null, 42, '', 'gAAAAABpPDIU…openai-blob', 'gemini-ts.v1.!!!', `gemini-ts.v1.${Buffer.from('[1]').toString('base64url')}`]) {
    t.same(decodeSignatures(foreign), new Map(), String(foreign));
  }
  t.same(decodeSignatures(`gemini-ts.v1.${Buffer.from('{"a":"x","b":3,"c":""}').toString('base64url')}`), new Map([['a', 'x']]));
});

t.test('reading and writing extra_content', async (t) => {
  t.equal(signatureOf({ extra_content: signatureExtra('S') }), 'S');
  t.equal(signatureOf({ extra_content: { google: {} } }), undefined);
  t.equal(signatureOf({ extra_content: { google: { thought_signature: '' } } }), undefined);
  t.equal(signatureOf(undefined), undefined);
});
