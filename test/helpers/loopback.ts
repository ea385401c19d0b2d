// What every fake server shares: an HTTP(S) server on 127.0.0.1, a free port
// picked by the kernel, and a close that does not wait for idle keep-alive
// connections. The fakes extend it and add their protocol.

import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';

export class LoopbackServer {
  readonly server: Server;

  constructor(server: Server) {
    this.server = server;
  }

  /** The port it listens on (only once `listen()` has resolved). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Listens on 127.0.0.1; port 0 (the default) lets the kernel pick a free one. */
  async listen(port = 0): Promise<this> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  /** Stops listening and ends every connection, idle or busy. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A port free on loopback right now, for a process that must be told its port. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
