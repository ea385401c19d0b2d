// Client connections cost an attacker nothing until they send a request, and
// each holds a file descriptor. Node times out headers only once a request has
// begun, so a socket that never sends a byte is closed here after the same
// headers timeout. Past the cap, the oldest such silent socket makes room for
// the newcomer (a flood of idle sockets cannot lock clients out for a whole
// timeout); only when every open socket has spoken is the newcomer refused.
//
// Whether a socket has spoken is read from `bytesRead`, never from a 'data'
// listener: Node's HTTP server feeds a socket's bytes to its parser natively,
// and a 'data' listener on the socket switches that off for the connection's
// whole life (every chunk then goes through JavaScript streams first).

import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits): void {
  let open = 0;
  // Insertion order is arrival order. Sockets that have spoken since are
  // dropped from it lazily, when an eviction or their timer comes to them.
  const unheard = new Set<Socket>();

  server.on('connection', (socket: Socket) => {
    if (open >= limits.maxConnections && !evictOldestSilent(unheard)) {
      socket.destroy();
      return;
    }
    open++;
    unheard.add(socket);
    const timer = setTimeout(() => {
      unheard.delete(socket);
      if (socket.bytesRead === 0) socket.destroy();
    }, limits.headersTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      open--;
      unheard.delete(socket);
      clearTimeout(timer);
    });
  });
}

function evictOldestSilent(unheard: Set<Socket>): boolean {
  for (const socket of unheard) {
    unheard.delete(socket);
    if (socket.bytesRead > 0) continue;
    socket.destroy();
    return true;
  }
  return false;
}
