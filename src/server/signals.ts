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

/** Where signals come from, the time, and how the process ends; the real process unless a test hands in its own. */
export interface ProcessControl {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  now(): number;
  exit(code: number): void;
}

/**
 * A signal this long after the first ends the process at once: a person
 * pressing Ctrl-C again. One sooner is a copy of the first (npm passes the
 * terminal's SIGINT on to node, which the terminal also sent it).
 */
export const FORCE_QUIT_AFTER_MS = 1_000;

/** SIGTERM/SIGINT: graceful close, then exit 0; a second signal a second or more later: exit 1 at once. */
export function exitOnSignals(server: { shutdown(reason: string): Promise<void> }, control: ProcessControl = processControl): void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = control.now();
      server.shutdown(signal).then(
        () => control.exit(0),
        () => control.exit(1),
      );
    } else if (control.now() - firstAt >= FORCE_QUIT_AFTER_MS) {
      control.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) control.on(signal, () => onSignal(signal));
}

const processControl: ProcessControl = {
  on: (signal, listener) => process.on(signal, listener),
  now: () => performance.now(),
  exit: (code) => process.exit(code),
};
