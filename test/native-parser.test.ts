// Node's HTTP server feeds a client socket's bytes to its parser natively; a
// 'data' or 'readable' listener on that socket, from any plugin of ours,
// silently switches this off for the connection's whole life, and every
// request on it then pays for JavaScript streams (about a tenth of a proxied
// request's CPU). The proxy must add none beyond those Node adds itself.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { CHAT_BODY, startHarness } from './helpers/harness.ts';

type Counts = { data: number; readable: number };

const countsOn = (socket: Socket): Counts => ({ data: socket.listenerCount('data'), readable: socket.listenerCount('readable') });

/**
 * Listener counts on the server side of a request's socket: when every
 * 'connection' listener has run (a once-listener removes itself later, but the
 * switch has happened), and when the request has been answered.
 */
async function countsOf(server: Server): Promise<{ connected: Counts; answered: Counts }> {
  const connected = new Promise<Counts>((resolve) => server.once('connection', (socket: Socket) => resolve(countsOn(socket))));
  const answered = new Promise<Counts>((resolve) => {
    server.once('request', (req: IncomingMessage, res) => res.once('finish', () => resolve(countsOn(req.socket))));
  });
  return { connected: await connected, answered: await answered };
}

t.test("client sockets keep Node's native parsing: no 'data' or 'readable' listener of ours", async (t) => {
  const bare = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => bare.close(resolve)));
  const bareCounts = countsOf(bare);
  await (await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`, { method: 'POST', body: '{}' })).text();

  const h = await startHarness(t);
  await h.listen();
  const proxied = countsOf(h.app.server);
  const res = await fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CHAT_BODY) });
  t.equal(res.status, 200);
  await res.text();
  t.same(await proxied, await bareCounts, 'the same listeners as a bare node:http server');
});
