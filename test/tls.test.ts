// TLS: upstream certificates are always verified. An upstream with an
// untrusted (self-signed) certificate gets no request, and so never the token.

import t from 'tap';
import { createUpstreamAgent } from '../src/proxy/dispatcher.ts';
import { CHAT_BODY, JSON_HEADERS, startHarness } from './helpers/harness.ts';
import { assertOpenAIError } from './helpers/openai-error.ts';

const BODY = JSON.stringify(CHAT_BODY);

t.test('an untrusted upstream certificate: 502 upstream_tls_error and the fake never sees a request', async (t) => {
  const h = await startHarness(t, { vertex: { tls: true } });
  t.match(h.config.baseUrl, /^https:\/\/127\.0\.0\.1:/, 'VERTEX_BASE_URL points at the HTTPS fake');
  let handshakes = 0;
  h.vertex.server.on('secureConnection', () => handshakes++);
  let tlsErrors = 0;
  h.vertex.server.on('tlsClientError', () => tlsErrors++);

  for (const stream of [false, true]) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: JSON_HEADERS,
      payload: JSON.stringify({ ...CHAT_BODY, stream }),
    });
    t.equal(res.statusCode, 502, `stream=${stream}`);
    const { error } = assertOpenAIError(t, res.body, { code: 'upstream_tls_error', type: 'api_error' });
    t.match(error.message, /SELF_SIGNED|certificate/i);
    t.notMatch(res.body, /ya29\./, 'no token in the answer');
  }
  t.ok(h.metadata.issued.length > 0, 'a token existed to leak');
  t.equal(h.vertex.requests.length, 0, 'the impostor received no request, so no token');
  t.equal(handshakes, 0, 'no TLS session was ever completed');
  t.ok(tlsErrors > 0, 'the proxy aborted the handshake');
  for (const line of h.logs) t.notMatch(line, /ya29\./, 'no token in the logs');
});

t.test('our upstream agent verifies certificates even when reply-from would not', async (t) => {
  const agent = createUpstreamAgent({ headersTimeoutMs: 5000, bodyTimeoutMs: 5000 });
  t.teardown(() => agent.close());
  const h = await startHarness(t, { vertex: { tls: true } });
  const outcome = await agent
    .request({ origin: h.vertex.baseUrl, path: '/v1/x/chat/completions', method: 'POST', headers: { authorization: 'Bearer secret' }, body: BODY })
    .then(
      () => 'answered',
      (err: Error & { code?: string }) => err.code ?? err.message,
    );
  t.equal(outcome, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  t.equal(h.vertex.requests.length, 0);
});

t.test('a trusted certificate (fixture CA) works end to end', async (t) => {
  const h = await startHarness(t, { vertex: { tls: true }, trustFixtureCa: true });
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_HEADERS, payload: BODY });
  t.equal(res.statusCode, 200, res.body);
  t.equal(JSON.parse(res.body).choices[0].message.content, 'Hello from fake Vertex');
  t.equal(h.vertex.requests.length, 1);
  t.equal(h.vertex.last?.headers.authorization, `Bearer ${h.metadata.latestToken}`, 'the token went to the verified upstream');
});

t.test('the upstream gets its own Host and TLS server name, whatever Host the client sent', async (t) => {
  // A client that reaches the proxy by another name (compose's service name, allowed in PROXY_ALLOWED_HOSTS).
  const h = await startHarness(t, { vertex: { tls: true }, trustFixtureCa: true, env: { PROXY_ALLOWED_HOSTS: 'vertex-openai-proxy' } });
  const headers = { ...JSON_HEADERS, host: 'vertex-openai-proxy:8765' };
  const upstreamHost = new URL(h.vertex.baseUrl).host;
  const calls = [
    { url: '/v1/chat/completions', payload: BODY },
    { url: '/v1/responses', payload: JSON.stringify({ model: CHAT_BODY.model, input: 'hi' }) },
  ];
  for (const { url, payload } of calls) {
    const res = await h.app.inject({ method: 'POST', url, headers, payload });
    t.equal(res.statusCode, 200, `${url}: ${res.body}`);
    t.equal(h.vertex.last?.headers.host, upstreamHost, `${url}: Host names the upstream`);
  }
});
