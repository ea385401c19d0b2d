// Plain Node with no framework: node:http in, an undici Pool out, the body read
// whole and the answer written back, a static token. Not a proxy anyone should
// ship (no errors, no limits, no streaming decisions); the ceiling for any
// single Node process on this machine, to read the stack's figures against.
//
// Forked by bench/floor-process.ts with a FloorSpec in argv; says "ready" over IPC.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import type { FloorSpec } from './spec.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as FloorSpec;
const pool = new Pool(spec.upstreamOrigin, { connections: 256 });

async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const upstream = await pool.request({
    method: 'POST',
    path: spec.upstreamBasePath + (req.url ?? '').slice('/v1'.length),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.token}` },
    body: Buffer.concat(chunks),
  });
  res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type']) });
  for await (const chunk of upstream.body) res.write(chunk);
  res.end();
}

const server = createServer((req, res) => {
  forward(req, res).catch(() => res.destroy());
});
server.listen(spec.port, '127.0.0.1', () => process.send?.('ready'));
process.once('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
});
