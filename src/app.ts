// buildApp assembles the Fastify instance from config and injected
// dependencies. It never listens: that belongs to the server/CLI.

import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { JsonBody, jsonBodies } from './body.ts';
import { bodyBudgetPlugin } from './body-budget.ts';
import { limitConnections } from './connections.ts';
import type { Config } from './config.ts';
import type { Credentials } from './credentials.ts';
import type { Requestable } from './dispatcher.ts';
import { answerClientError, openAIError, ProxyError, toOpenAIBody } from './errors.ts';
import { isCredentialError } from './credential-status.ts';
import { localSafety } from './guard.ts';
import { healthRoutes, PROBE_PATHS } from './health.ts';
import { METADATA_OPEN_PATHS, metadataServerRoutes } from './metadata-server.ts';
import { ProxyMetrics } from './metrics.ts';
import { METRICS_PATH, metricsRoutes } from './metrics-route.ts';
import { modelsRoutes } from './models-route.ts';
import { proxyRoutes } from './proxy.ts';
import { RouteTable } from './routing.ts';
import type { Clock } from './token-cache.ts';
import { OPERATIONS } from './upstream.ts';

export interface AppDeps {
  readonly credentials: Credentials;
  /** Upstream requests go through this; see dispatcher.ts. */
  readonly dispatcher: Requestable;
  readonly logger: FastifyBaseLogger;
  readonly now?: Clock;
  /** The routes in force; the server keeps a handle to swap them on reload. */
  readonly routes?: RouteTable;
  /** Prometheus collectors; default: a fresh registry for this app. */
  readonly metrics?: ProxyMetrics;
  /** The principal's email, for --metadata-server's email path. */
  readonly principalEmail?: () => Promise<string | undefined>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const CONNECTION_CHECK_INTERVAL_MS = 1_000;

const MEDIA_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Send the request body as JSON with Content-Type: application/json.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'request_too_large', 'Request body is larger than the limit (see PROXY_BODY_LIMIT_MB).'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'Request body is empty; send a JSON object.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_request', 'Content-Length does not match the body.'],
};

export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per request is written by our onResponse hook instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.bodyLimitBytes,
    forceCloseConnections: 'idle',
    // Requests arriving while we close get an OpenAI-shaped 503 (draining.ts).
    return503OnClosing: false,
    // Time to read a request from a client; responses may stream far longer.
    requestTimeout: 120_000,
    http: {
      // A connection that has not sent whole headers by then is closed: idle
      // or trickling sockets must not cost an attacker nothing for long.
      headersTimeout: config.headersTimeoutMs,
      // Node enforces the timeouts above only when it checks (30 s by default).
      connectionsCheckingInterval: CONNECTION_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(400).send(openAIError(400, 'invalid_request', error.message));
    },
  });

  limitConnections(app.server, config);

  // Callback-style hooks: on the hot path, an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // onResponse runs only for responses that finish; a client that leaves
    // part-way (mid-stream, or before upstream headers) gets its line here.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) logRequest(request, reply);
    });
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    logRequest(request, reply);
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const proxyError = toProxyError(error);
    // Credential failures are logged once per change by CredentialStatus, not per request.
    if (proxyError.statusCode >= 500 && !isCredentialError(proxyError)) request.log.error({ err: error }, 'request failed');
    return reply.code(proxyError.statusCode).type('application/json').send(toOpenAIBody(proxyError));
  });

  app.setNotFoundHandler((request, reply) => {
    const paths = [...OPERATIONS.keys()].filter((p) => p.startsWith('/v1/')).join(', ');
    const message = `${request.method} ${request.url.split('?', 1)[0]} is not supported by this proxy. Supported: POST ${paths}, and GET /v1/models (also without /v1).`;
    return reply.code(404).send(openAIError(404, 'unsupported_path', message));
  });

  const routes = deps.routes ?? new RouteTable(config);
  const metrics = deps.metrics ?? new ProxyMetrics();
  // Before the guard, so refused requests are counted too.
  await app.register(metricsRoutes, {
    metrics,
    peekToken: () => deps.credentials.peek(),
    modelIds: () => routes.modelIds(),
    apiKeys: config.apiKeys,
    corsOrigins: config.corsOrigins,
    now,
  });
  await app.register(localSafety, {
    listenHost: config.host,
    allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins,
    apiKeys: config.apiKeys,
    // /metrics and the metadata paths make their own checks (see their modules).
    openPaths: new Set([...PROBE_PATHS, METRICS_PATH, ...(config.metadataServer ? METADATA_OPEN_PATHS : [])]),
  });
  await app.register(bodyBudgetPlugin, { limitBytes: config.bodyMemoryBytes });
  await app.register(jsonBodies, { bodyLimit: config.bodyLimitBytes });
  await app.register(healthRoutes, { credentials: deps.credentials, project: config.project, now });
  if (config.metadataServer) {
    await app.register(metadataServerRoutes, {
      credentials: deps.credentials,
      project: config.project,
      principalEmail: deps.principalEmail ?? (async () => undefined),
      listenHost: config.host,
      now,
    });
  }
  await app.register(modelsRoutes, { modelIds: () => routes.modelIds() });
  await app.register(proxyRoutes, {
    routes,
    quotaProject: config.quotaProject,
    credentials: deps.credentials,
    dispatcher: deps.dispatcher,
    failoverMaxWaitMs: config.failoverMaxWaitMs,
    onFailover: metrics.recordFailover,
  });
  return app;
}

export function toProxyError(error: FastifyError | Error): ProxyError {
  if (error instanceof ProxyError) return error;
  const code = (error as FastifyError).code;
  const known = code ? MEDIA_ERRORS[code] : undefined;
  if (known) return new ProxyError(...known);
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ProxyError(status, 'invalid_request', error.message);
  }
  return new ProxyError(500, 'internal_error', 'The proxy failed to handle this request; see its log.');
}

function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const exchange = request.exchange;
  // `reqId` comes from the request logger's bindings.
  const line = {
    method: request.method,
    route: request.routeOptions.url ?? 'unmatched',
    // The body is parsed before the token is fetched, so a credential failure still names its model.
    model: exchange?.body.model ?? (request.body instanceof JsonBody ? request.body.model : undefined),
    stream: exchange?.body.stream,
    // 499 (as nginx logs it): the connection closed before any answer.
    status: reply.raw.writableFinished || reply.raw.headersSent ? reply.statusCode : 499,
    // The response never finished: the client left, the upstream broke off, or shutdown's grace ran out.
    incomplete: reply.raw.writableFinished ? undefined : true,
    upstreamStatus: exchange?.upstreamStatus,
    ttfbMs: exchange?.firstByteMs === undefined ? undefined : round(exchange.firstByteMs),
    durationMs: round(reply.elapsedTime),
    // Answers the proxy writes itself (errors) have a length instead of a metered stream.
    bytes: exchange?.bytes || Number(reply.getHeader('content-length') ?? 0),
  };
  // Probes arrive every few seconds; keep them out of the default log.
  if (PROBE_PATHS.has(line.route) || line.route === METRICS_PATH) request.log.debug(line, 'probe');
  else request.log.info(line, 'request');
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
