// GET /metrics, and the hooks that feed the collectors.
//
// Access: /metrics answers any Host, like the probes, so Prometheus can scrape
// a pod IP or service name without listing it in PROXY_ALLOWED_HOSTS. It still
// requires PROXY_API_KEY when one is set (Prometheus sends it with
// `authorization: { credentials: … }`): the counts and model names are the
// operator's business, and a key-protected proxy should not publish them to
// whoever can reach the port. Browser pages from foreign origins are refused
// as everywhere else.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProxyError, sendError } from '../errors/proxy-error.ts';
import { createKeyCheck, isAllowedOrigin, presentedKey } from '../guard/local-safety.ts';
import { modelLabeler, type ProxyMetrics } from './metrics.ts';
import type { AccessToken, Clock } from '../credentials/token-cache.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  readonly metrics: ProxyMetrics;
  readonly peekToken: () => AccessToken | undefined;
  readonly modelIds: () => readonly string[];
  readonly apiKeys: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly now: Clock;
}

async function metricsPlugin(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { metrics } = options;
  metrics.trackToken(options.peekToken, options.now);
  const modelLabel = modelLabeler(options.modelIds);
  const streaming = new WeakSet<FastifyRequest>();
  const keyMatches = options.apiKeys.length > 0 ? createKeyCheck(options.apiKeys) : undefined;

  const finish = (request: FastifyRequest, reply: FastifyReply): void => {
    if (streaming.delete(request)) metrics.streamEnded();
    const exchange = request.exchange;
    const answered = exchange?.upstreamStatus !== undefined;
    metrics.requestEnded({
      route: request.routeOptions.url ?? 'unmatched',
      model: exchange ? modelLabel(exchange.body.model) : 'none',
      // Counted on 'close': Fastify's onResponse never runs for a client that left early.
      // 499 (as nginx logs it): the client closed the connection before any answer.
      status: reply.raw.writableFinished || reply.raw.headersSent ? reply.statusCode : 499,
      durationSeconds: answered ? reply.elapsedTime / 1000 : undefined,
      firstByteSeconds: answered && exchange.firstByteMs !== undefined ? exchange.firstByteMs / 1000 : undefined,
    });
  };

  // Callback-style hooks: no promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    metrics.requestStarted();
    reply.raw.on('close', () => finish(request, reply));
    done();
  });

  app.addHook('onSend', (request, _reply, payload, done) => {
    if (request.exchange?.body.stream === true && isStream(payload)) {
      streaming.add(request);
      metrics.streamStarted();
    }
    done(null, payload);
  });

  app.get(METRICS_PATH, async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, options.corsOrigins)) {
      return sendError(reply, new ProxyError('origin_not_allowed', origin));
    }
    if (keyMatches && !keyMatches(presentedKey(request))) {
      return sendError(reply, new ProxyError('invalid_api_key'));
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

function isStream(payload: unknown): boolean {
  return typeof (payload as { pipe?: unknown } | null)?.pipe === 'function';
}

export const metricsRoutes = fp(metricsPlugin, { name: 'metrics' });
