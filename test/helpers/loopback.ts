// What every fake server shares: an HTTP(S) server on 127.0.0.1, a free port
// picked by the kernel, a close that does not wait for idle keep-alive
// connections, and a way to be down for a while and come back on the same
// port. The fakes extend it and add their protocol.

import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

export class LoopbackServer {
  readonly server: Server;
  #hold: PortHold | undefined;

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
    await this.#hold?.release();
    this.#hold = undefined;
  }

  /**
   * Down as after `close()`, connections to the port refused, but the port is
   * kept (holdPort) for `resume()`: a close() and a later listen(port) would
   * leave it free meanwhile, for another test process to be handed.
   */
  async suspend(): Promise<void> {
    const port = this.port;
    const peer = await listeningPeer();
    // The port is free from the close until the hold binds it, a moment later (holdPort).
    this.server.closeAllConnections();
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.#hold = await holdPort(port, peer);
    await closed;
  }

  /** Listens again on the port `suspend()` kept, then lets go of the hold. */
  async resume(): Promise<this> {
    const hold = this.#hold;
    if (!hold) throw new Error('resume() without suspend()');
    this.#hold = undefined;
    try {
      // Linux lets a socket listen on a port another one only holds: no moment without either.
      await this.listen(hold.port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await hold.release();
      return this.listen(hold.port);
    }
    await hold.release();
    return this;
  }
}

/** A port on 127.0.0.1 that no one listens on and no other socket can be handed. */
export interface PortHold {
  readonly port: number;
  release(): Promise<void>;
}

/**
 * Binds `port` on 127.0.0.1 (0: one the kernel picks) without listening on
 * it, so connections to it are refused, as to a server that is down; and
 * neither a listen on port 0 nor an outgoing connection is given the number
 * while held, as they can be a port that was merely closed. How: the local
 * end of a connection of our own, to `peer`, is bound to it.
 */
export async function holdPort(port = 0, peer?: NetServer): Promise<PortHold> {
  const target = peer ?? (await listeningPeer());
  const held: Socket = connect({ host: '127.0.0.1', port: (target.address() as AddressInfo).port, localAddress: '127.0.0.1', localPort: port });
  try {
    await once(held, 'connect');
  } catch (err) {
    target.close();
    throw err;
  }
  held.on('error', () => {});
  return {
    port: held.localPort as number,
    async release() {
      held.destroy();
      await once(held, 'close');
      await new Promise((resolve) => target.close(resolve));
    },
  };
}

/** What a hold connects to: accepts, and keeps each connection until it closes. */
async function listeningPeer(): Promise<NetServer> {
  const peer = createServer((socket) => socket.on('error', () => {}));
  peer.listen(0, '127.0.0.1');
  await once(peer, 'listening');
  return peer;
}

/** A port free on loopback right now, for a process that must be told its port. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Opens a connection to 127.0.0.1:`port` and closes it: resolves with 'connected', or with the connect error's code. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
