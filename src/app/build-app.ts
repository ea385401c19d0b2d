// buildApp assembles the Fastify app from config and the parts the
// composition root (server/create-proxy.ts) made. It never listens.
//
// Order matters: the request observer first (every request gets its log line
// and its count, refused ones too), then local safety (before anything touches
// a request), the body budget and the JSON parser, then the routes.

import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { SignatureMemory } from '../compat/signature-memory.ts';
import type { Config } from '../config/load.ts';
import type { RouteTable } from '../config/routing.ts';
import { CLIENT_REQUEST_TIMEOUT_SECONDS } from '../config/settings.ts';
import type { Credentials } from '../credentials/adc-credentials.ts';
import type { Clock } from '../credentials/token-cache.ts';
import { answerClientError, answerProtocolEdges } from '../errors/client-error.ts';
import { ProxyError, sendError } from '../errors/proxy-error.ts';
import { localSafety } from '../guard/local-safety.ts';
import { metadataServerRoutes } from '../metadata-server/routes.ts';
import { healthRoutes } from '../observability/health.ts';
import { metricsRoutes } from '../observability/metrics-route.ts';
import type { ProxyMetrics } from '../observability/metrics.ts';
import { requestObserver } from '../observability/request-observer.ts';
import { jsonBodies } from '../proxy/body.ts';
import { bodyBudgetPlugin } from '../proxy/body-budget.ts';
import type { Requestable } from '../proxy/dispatcher.ts';
import { modelsRoutes } from '../proxy/models-route.ts';
import type { UpstreamContext } from '../proxy/open-exchange.ts';
import { passthroughRoutes } from '../proxy/passthrough-route.ts';
import { responsesRoutes } from '../responses/route.ts';
import type { BackgroundRuns } from '../responses/background-runs.ts';
import type { ResponseStore } from '../responses/store.ts';
import { answerErrors } from './error-handler.ts';

export interface AppParts {
  readonly credentials: Credentials;
  /** Upstream requests go through this; see proxy/dispatcher.ts. */
  readonly dispatcher: Requestable;
  readonly logger: FastifyBaseLogger;
  readonly now: Clock;
  /** The routes in force; a reload swaps them. */
  readonly routes: RouteTable;
  readonly metrics: ProxyMetrics;
  /**
   * The process's one memory of Gemini 3 thought signatures by tool-call id:
   * every route that relays chat answers notes them here, every route that
   * sends a follow-up recalls them.
   */
  readonly signatures: SignatureMemory;
  /** Stored responses for previous_response_id and GET/DELETE /v1/responses/{id}. */
  readonly responses: ResponseStore;
  /** Background responses while they run (cancelled at shutdown's end by the composition root). */
  readonly background: BackgroundRuns;
}

/** How often Node checks the request and headers timeouts of open connections. */
export const CONNECTION_CHECK_INTERVAL_MS = 1_000;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export async function buildApp(config: Config, parts: AppParts): Promise<FastifyInstance> {
  const { credentials, routes, metrics, now } = parts;
  const app = Fastify({
    loggerInstance: parts.logger,
    // One line per request is written by the request observer instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.bodyLimitBytes,
    forceCloseConnections: 'idle',
    // Requests arriving while we close get an OpenAI-shaped 503 (server/draining.ts).
    return503OnClosing: false,
    requestTimeout: CLIENT_REQUEST_TIMEOUT_SECONDS * 1000,
    http: {
      // A connection that has not sent whole headers by then is closed: idle
      // or trickling sockets must not cost an attacker nothing for long.
      headersTimeout: config.headersTimeoutMs,
      // Node enforces the timeouts above only when it checks (30 s by default).
      connectionsCheckingInterval: CONNECTION_CHECK_INTERVAL_MS,
      // Node's own refusal of a request without Host has no body: the guard answers it.
      requireHostHeader: false,
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply as FastifyReply, new ProxyError('invalid_request', error.message));
    },
  });
  answerErrors(app);
  answerProtocolEdges(app.server);

  await app.register(requestObserver, { metrics, modelIds: () => routes.modelIds() });
  await app.register(localSafety, {
    listenHost: config.host,
    allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins,
    apiKeys: config.apiKeys,
  });
  await app.register(bodyBudgetPlugin, { limitBytes: config.bodyMemoryBytes });
  await app.register(jsonBodies, { bodyLimit: config.bodyLimitBytes });

  await app.register(healthRoutes, { credentials, project: config.project, now });
  const sources = { peekToken: () => credentials.peek(), now, backgroundRunning: () => parts.background.running };
  await app.register(metricsRoutes, { metrics, sources });
  if (config.metadataServer) {
    await app.register(metadataServerRoutes, {
      credentials,
      project: config.project,
      principalEmail: () => credentials.principalEmail(),
      listenHost: config.host,
      now,
    });
  }
  await app.register(modelsRoutes, { modelIds: () => routes.modelIds() });
  const upstream: UpstreamContext = {
    routes,
    credentials,
    dispatcher: parts.dispatcher,
    quotaProject: config.quotaProject,
    failoverMaxWaitMs: config.failoverMaxWaitMs,
    onFailover: metrics.recordFailover,
  };
  await app.register(passthroughRoutes, {
    ...upstream,
    compat: {
      signatures: parts.signatures,
      signatureFallback: config.thoughtSignatures.fallback,
      onBodyAdjusted: metrics.compat.recordBodyAdjustment,
      onSignaturesRemembered: metrics.compat.recordSignaturesRemembered,
    },
  });
  await app.register(responsesRoutes, {
    upstream,
    store: parts.responses,
    background: parts.background,
    signatures: parts.signatures,
    signatureFallback: config.thoughtSignatures.fallback,
    countDropped: metrics.recordResponsesDropped,
    now,
  });
  return app;
}
