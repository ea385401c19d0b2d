// The process's ends: the graceful close (stop accepting, let in-flight
// requests finish within the grace period, then cut), SIGTERM/SIGINT, and the
// net under errors that escape a request.

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export async function closeWithGrace(app: FastifyInstance, logger: Logger, graceMs: number, reason: string): Promise<void> {
  logger.info({ reason, graceSeconds: graceMs / 1000 }, 'shutting down: no new connections, finishing in-flight requests');
  const timer = setTimeout(() => {
    logger.warn('grace period over: closing remaining connections');
    app.server.closeAllConnections();
  }, graceMs);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
  logger.info('shut down');
  // The log is written in batches: what is buffered goes out before the process ends.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
}

/**
 * Every request path handles its own errors; this is the net under a bug that
 * escapes one. Exiting would cut every stream in flight for the sake of one
 * request, so the error is logged and the daemon keeps serving.
 */
export function keepServingOnStrayErrors(logger: Pick<Logger, 'error'>): void {
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception on a request path; still serving'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection on a request path; still serving'));
}

/** Where signals come from and how the process ends; the real process unless a test hands in its own. */
export interface ProcessControl {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

/** SIGTERM/SIGINT: graceful close, then exit 0. */
export function exitOnSignals(server: { shutdown(reason: string): Promise<void> }, control: ProcessControl = processControl): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    control.once(signal, () => {
      server.shutdown(signal).then(
        () => control.exit(0),
        () => control.exit(1),
      );
    });
  }
}

const processControl: ProcessControl = {
  once: (signal, listener) => process.once(signal, listener),
  exit: (code) => process.exit(code),
};
