// Liveness and readiness, separate as probes expect: /healthz says the process
// serves; /readyz says a request could get a token (and a project) right now.

import type { FastifyInstance } from 'fastify';
import { credentialError, type Credentials } from './credentials.ts';
import { toOpenAIBody } from './errors.ts';
import type { Clock } from './token-cache.ts';

export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export interface HealthOptions {
  readonly credentials: Credentials;
  readonly project: string | undefined;
  readonly now: Clock;
}

export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const { credentials, now } = options;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    try {
      const token = await credentials.getToken();
      const project = options.project ?? (await credentials.projectId());
      return { status: 'ready', project, tokenExpiresInSeconds: Math.floor((token.expiresAt - now()) / 1000) };
    } catch (err) {
      const error = credentialError(err);
      return reply.code(503).send(toOpenAIBody(error));
    }
  });
}
