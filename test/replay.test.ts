// An upstream 401 means Google rejected the token: the proxy drops it, fetches
// a new one and sends the same bytes once more. A second 401 goes back to the
// client, OpenAI-shaped. A token received moments ago is not dropped: its 401
// says the principal is refused, and goes back to the client at once.

import t from 'tap';
import { FRESH_TOKEN_MS } from '../src/credentials/token-cache.ts';
import { googleError } from './helpers/fake-vertex.ts';
import { startHarness, type Harness } from './helpers/harness.ts';
import { fetchPost } from './helpers/requests.ts';

// Odd spacing, escapes and non-ASCII: any re-serialisation would change these bytes.
const RAW_BODY = '{ "model":"google/gemini-2.5-flash",\n  "messages":[{"role":"user","content":"h\\u00e9llo ✓ 🚀"}], "temperature" : 0.50 }';


function bearers(h: Harness): (string | undefined)[] {
  return h.vertex.requests.map((r) => r.headers.authorization?.replace(/^Bearer /, ''));
}

function unauthorizedOnce(h: Harness): void {
  h.vertex.next((_req, _body, res) => googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
}

t.test('one upstream 401: new token, same bytes replayed once, client gets 200', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  t.equal((await fetchPost(url, RAW_BODY)).status, 200, 'a first request warms the cache');
  await h.ageToken();
  const rejected = h.metadata.latestToken;
  h.vertex.requests.length = 0;

  unauthorizedOnce(h);
  const res = await fetchPost(url, RAW_BODY);
  t.equal(res.status, 200);
  t.equal(JSON.parse(res.text).choices[0].message.content, 'Hello from fake Vertex');
  t.equal(h.vertex.requests.length, 2, 'two upstream attempts');
  const [first, replay] = h.vertex.requests;
  t.ok(first?.body.equals(Buffer.from(RAW_BODY)), 'the first attempt carried the client bytes');
  t.ok(replay?.body.equals(Buffer.from(RAW_BODY)), 'the replay is byte-identical');
  t.equal(replay?.url, first?.url);
  t.same(bearers(h), [rejected, h.metadata.latestToken], 'the replay carries a freshly fetched token');
  t.not(h.metadata.latestToken, rejected);
  t.equal(h.metadata.tokenFetches, 2, 'exactly one new fetch');

  t.equal((await fetchPost(url, RAW_BODY)).status, 200);
  t.equal(bearers(h).at(-1), h.metadata.latestToken, 'later requests keep the new token');
  t.equal(h.metadata.tokenFetches, 2);
});

t.test('a second 401 goes to the client, OpenAI-shaped, after exactly two attempts', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  await h.ageToken();
  unauthorizedOnce(h);
  unauthorizedOnce(h);
  const res = await fetchPost(url, RAW_BODY);
  t.equal(res.status, 401);
  t.match(res.headers.get('content-type'), /application\/json/);
  const body = JSON.parse(res.text);
  t.same(Object.keys(body), ['error']);
  t.match(body.error, { type: 'authentication_error', code: 'UNAUTHENTICATED', message: /invalid authentication credentials/, param: null });
  t.equal(h.vertex.requests.length, 2, 'exactly two upstream attempts');
  t.ok(h.vertex.requests.every((r) => r.body.equals(Buffer.from(RAW_BODY))), 'both byte-identical');
  const [first, second] = bearers(h);
  t.not(first, second, 'the second attempt had a new token');
  for (const token of h.metadata.issued) t.notOk(res.text.includes(token), 'no token in the answer');
});

t.test('a streaming request is replayed too', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  await h.ageToken();
  unauthorizedOnce(h);
  const body = JSON.stringify({ model: 'google/gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const res = await fetchPost(url, body);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/event-stream/);
  t.match(res.text, /part0 [\s\S]*part2 [\s\S]*data: \[DONE\]/, 'the whole stream arrives');
  t.notMatch(res.text, /UNAUTHENTICATED/, 'nothing of the rejected attempt leaks into it');
  t.equal(h.vertex.requests.length, 2);
});

t.test('credentials failing during the replay: 503 that says how to fix it', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  await h.ageToken();
  h.vertex.next((_req, _body, res) => {
    h.metadata.failWith = 503;
    googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
  });
  const res = await fetchPost(url, RAW_BODY);
  t.equal(res.status, 503);
  const body = JSON.parse(res.text);
  t.match(body.error, { code: 'token_unavailable', type: 'api_error', message: /gcloud auth application-default login/, param: null });
  t.equal(h.vertex.requests.length, 1, 'nothing is replayed without a token');
});

t.test('a 401 on a token received moments ago stands: not replayed, nothing fetched, once per FRESH_TOKEN_MS at most', async (t) => {
  const h = await startHarness(t);
  const url = await h.listen();
  // Google refuses the principal, not the token: every token it is given.
  h.vertex.isValidToken = () => false;
  const first = await fetchPost(url, RAW_BODY);
  t.equal(first.status, 401, 'the token fetched for this very request');
  t.match(JSON.parse(first.text).error, { type: 'authentication_error', code: 'UNAUTHENTICATED', param: null });
  t.equal(h.vertex.requests.length, 1, 'not replayed with the token just rejected');
  for (let i = 0; i < 5; i++) t.equal((await fetchPost(url, RAW_BODY)).status, 401);
  t.equal(h.vertex.requests.length, 6, 'one attempt per request');
  t.equal(h.metadata.tokenFetches, 1, 'a persistent 401 costs no fetch per request');

  h.skewMs += FRESH_TOKEN_MS;
  t.equal((await fetchPost(url, RAW_BODY)).status, 401);
  t.equal(h.metadata.tokenFetches, 2, 'past FRESH_TOKEN_MS: one new token');
  t.equal(h.vertex.requests.length, 8, 'and the one replay, with it');
  t.same(new Set(bearers(h).slice(-2)).size, 2, 'never sent again with the rejected token');
  t.equal((await fetchPost(url, RAW_BODY)).status, 401);
  t.equal(h.metadata.tokenFetches, 2, 'the new token is fresh in turn');
  t.equal(h.vertex.requests.length, 9);
});
