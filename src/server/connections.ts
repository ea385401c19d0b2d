// Client connections cost an attacker nothing until they send a request, and
// each holds a file descriptor. Node times out headers only once a request has
// begun, so a socket that never sends a byte is closed here after the same
// headers timeout. Past the cap, the oldest such silent socket makes room for
// the newcomer (a flood of idle sockets cannot lock clients out for a whole
// timeout); only when every open socket has spoken is the newcomer refused.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits): void {
  let open = 0;
  // Insertion order is arrival order: the first entry is the oldest silent socket.
  const silent = new Set<Socket>();

  server.on('connection', (socket: Socket) => {
    if (open >= limits.maxConnections && !evictOldest(silent)) {
      socket.destroy();
      return;
    }
    open++;
    silent.add(socket);
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, limits.headersTimeoutMs);
    timer.unref();
    socket.once('data', () => {
      silent.delete(socket);
      clearTimeout(timer);
    });
    socket.once('close', () => {
      open--;
      silent.delete(socket);
      clearTimeout(timer);
    });
  });
}

function evictOldest(silent: Set<Socket>): boolean {
  const oldest = silent.values().next();
  if (oldest.done) return false;
  silent.delete(oldest.value);
  oldest.value.destroy();
  return true;
}
