// Liveness and readiness, separate as probes expect: /healthz says the process
// serves (it never touches credentials, so it answers while they are missing);
// /readyz says a request could get a token (and a project) right now.

import type { FastifyInstance } from 'fastify';
import type { Credentials } from '../credentials/adc-credentials.ts';
import { credentialError } from '../credentials/errors.ts';
import { sendError } from '../errors/proxy-error.ts';
import type { Clock } from '../credentials/token-cache.ts';

export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export interface HealthOptions {
  readonly credentials: Credentials;
  readonly project: string | undefined;
  readonly now: Clock;
}

export interface ReadyBody {
  readonly status: 'ready';
  readonly project: string;
  /** Seconds the token a request would get now is still valid for; never the token itself. */
  readonly tokenExpiresInSeconds: number;
}

export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const { credentials, now } = options;

  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/readyz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      // The same path a request takes: from memory while the token is good,
      // a (single-flight) fetch otherwise, so recovery needs no restart.
      const token = await credentials.getToken();
      const project = options.project ?? (await credentials.projectId());
      const secondsLeft = Math.max(0, Math.floor((token.expiresAt - now()) / 1000));
      const body: ReadyBody = { status: 'ready', project, tokenExpiresInSeconds: secondsLeft };
      return body;
    } catch (err) {
      return sendError(reply, credentialError(err));
    }
  });
}
