// Liveness and readiness, separate as probes expect: /healthz says the process
// serves (it never touches credentials, so it answers while they are missing);
// /readyz says a request could get a token (and a project) right now.

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Credentials } from '../credentials/adc-credentials.ts';
import { CREDENTIAL_RETRY_AFTER_SECONDS, credentialError, tokenPendingError } from '../credentials/errors.ts';
import { ProxyError, sendError } from '../errors/proxy-error.ts';
import type { Clock } from '../credentials/token-cache.ts';

/** /readyz answers within this, whatever the credential source does. */
export const READY_WAIT_MS = 1_000;

// Kubelets and healthchecks probe by pod IP and send no key; probes arrive every few seconds.
const PROBE = { config: { anyHost: true, noKey: true, quietLog: true } };

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

  app.get('/healthz', PROBE, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/readyz', PROBE, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // A foreign Host may be a web page after DNS rebinding: ready or not, no project, no reason.
    if (request.foreignHost) return readinessOnly(reply, credentials, options.project);
    try {
      // The same path a request takes: from memory while the token is good,
      // a (single-flight) fetch otherwise, so recovery needs no restart. A
      // fetch that takes longer goes on in the background; the probe answers
      // from the last known state instead of waiting for it.
      const [token, project] = await withinReadyWait(
        Promise.all([credentials.getToken(), options.project ?? credentials.projectId()]),
        () => credentials.lastError() ?? tokenPendingError(),
      );
      const secondsLeft = Math.max(0, Math.floor((token.expiresAt - now()) / 1000));
      const body: ReadyBody = { status: 'ready', project, tokenExpiresInSeconds: secondsLeft };
      return body;
    } catch (err) {
      return notReady(reply, credentialError(err));
    }
  });
}

/** Ready as a request would find it: a token and a project in hand, from memory, without waiting. */
function readinessOnly(reply: FastifyReply, credentials: Credentials, project: string | undefined) {
  const hasToken = credentials.peek() !== undefined;
  const hasProject = (project ?? credentials.projectNow()) !== undefined;
  if (hasToken && hasProject) return { status: 'ready' };
  // Starts the lookups, so a cold daemon still becomes ready on probes alone.
  if (!hasToken) credentials.getToken().catch(() => {});
  if (!hasProject) credentials.projectId().catch(() => {});
  return notReady(reply, new ProxyError('not_ready'));
}

/** A 503 with the Retry-After of a request's credential 503: when the credentials are next looked up. */
function notReady(reply: FastifyReply, error: ProxyError): FastifyReply {
  reply.header('retry-after', String(CREDENTIAL_RETRY_AFTER_SECONDS));
  return sendError(reply, error);
}

function withinReadyWait<T>(work: Promise<T>, stateNow: () => unknown): Promise<T> {
  work.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(stateNow()), READY_WAIT_MS);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
