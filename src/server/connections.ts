// Client connections cost the attacker nothing until they send a request, and
// each holds a file descriptor. Node times out headers only once a request has
// begun, so a socket that never sends a byte is closed here after the same
// headers timeout; and past a cap, new connections are closed at once.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, limits.headersTimeoutMs);
    timer.unref();
    socket.once('data', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
}
