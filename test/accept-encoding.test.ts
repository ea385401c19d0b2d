// The Accept-Encoding a client offers reaches Google with only the codings the
// proxy can undo on its copy of the answer (the Gemini 3 signature tap, error
// messages): gzip, deflate and br. httpx offers zstd when its optional package
// is installed; an answer in it would pass to the client whole, but the tap and
// the error reader would read nothing.

import t from 'tap';
import { decodableAcceptEncoding } from '../src/proxy/headers.ts';
import { startHarness } from './helpers/harness.ts';
import { post } from './helpers/requests.ts';

t.test('offers the proxy cannot decode are left out; the usual ones pass as they are', async (t) => {
  const cases: Array<[string, string]> = [
    ['gzip, deflate', 'gzip, deflate'],
    ['br, gzip, deflate', 'br, gzip, deflate'],
    ['gzip;q=1.0, identity; q=0.5', 'gzip;q=1.0, identity; q=0.5'],
    ['gzip, deflate, br, zstd', 'gzip, deflate, br'],
    ['zstd;q=1, GZIP;q=0.5', 'GZIP;q=0.5'],
    ['*', 'identity'],
    ['zstd', 'identity'],
  ];
  for (const [offered, sent] of cases) t.equal(decodableAcceptEncoding(offered), sent, offered);
  const usual = 'gzip, deflate';
  t.equal(decodableAcceptEncoding(usual), usual, 'the same string: nothing rebuilt');
});

t.test('through the proxy: Google sees the filtered offer', async (t) => {
  const h = await startHarness(t);
  const res = await post(h, undefined, { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
  t.equal(res.statusCode, 200);
  t.equal(h.vertex.last?.headers['accept-encoding'], 'gzip, deflate, br');
});
