// The chosen stack with nothing of ours: Fastify 5 and @fastify/http-proxy
// (reply-from over undici) forwarding the chat path with a static token, no
// logging, no hooks. What the proxy could reach if all our work cost nothing.
//
// Forked by bench/floor-process.ts with a FloorSpec in argv; says "ready" over IPC.

import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import type { FloorSpec } from './spec.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as FloorSpec;
const app = Fastify({ logger: false });
await app.register(proxy, {
  upstream: spec.upstreamOrigin,
  prefix: '/v1',
  rewritePrefix: spec.upstreamBasePath,
  // reply-from's default pool opens at most 128 connections, which would queue
  // most of 1000 concurrent streams; the proxy sets no cap either.
  undici: { connections: null, pipelining: 1 },
  replyOptions: {
    rewriteRequestHeaders: (_request, headers) => ({ ...headers, authorization: `Bearer ${spec.token}` }),
  },
});
await app.listen({ host: '127.0.0.1', port: spec.port });
process.send?.('ready');
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
