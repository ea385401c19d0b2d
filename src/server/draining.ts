// Connection handling while the server closes: in-flight work finishes, keep-alive
// connections end as soon as they fall idle, new requests are turned away.

import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ProxyError, sendError } from '../errors/proxy-error.ts';

/** For a server that listens: call before `listen`. Draining is the time between Fastify's close and exit. */
export function drainOnClose(app: FastifyInstance): void {
  const draining = () => !app.server.listening;

  // A request that arrives on an already open keep-alive connection after the
  // close began is not in flight: refuse it, in OpenAI's shape (Fastify's own
  // return503OnClosing answer is not), and Fastify adds `Connection: close`.
  // Callback-style hooks here: they run on every request, and an async hook costs a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    if (!draining()) return done();
    request.log.debug('shutting down: request refused');
    sendError(reply, new ProxyError('shutting_down'));
  });
  closeConnectionsOnDrain(app);
}

/**
 * Only the connection handling of drainOnClose, without refusing requests:
 * for an app that also serves injected requests without listening (tests).
 */
export function closeConnectionsOnDrain(app: FastifyInstance): void {
  const draining = () => !app.server.listening;
  // Node ends the connections idle when close() starts. One whose stream
  // finishes later would otherwise sit idle until its keep-alive timeout (or
  // the grace period) and hold up the exit. Node's own check spares a
  // connection that still has a response under way.
  const unused = trackUnusedConnections(app);
  const closeIdle = () => {
    app.server.closeIdleConnections();
    closeUnused(unused);
  };
  app.addHook('preClose', async () => {
    // After this hook Fastify stops listening; end spare connections as it does.
    setImmediate(closeIdle);
  });
  app.addHook('onResponse', (_request, _reply, done) => {
    if (draining()) closeIdle();
    done();
  });
}

/**
 * Clients (undici among them) open spare connections that never send a byte.
 * Node counts those as active, so neither close() nor closeIdleConnections()
 * ends them, and they would hold the exit for the whole grace period.
 */
function trackUnusedConnections(app: FastifyInstance): Set<Socket> {
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function closeUnused(sockets: Set<Socket>): void {
  for (const socket of sockets) {
    if (socket.bytesRead === 0) socket.destroy();
    else sockets.delete(socket);
  }
}
