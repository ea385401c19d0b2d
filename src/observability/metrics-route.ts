// GET /metrics: the Prometheus text of this app's collectors.
//
// Access: /metrics answers any Host, like the probes, so Prometheus can scrape
// a pod IP or service name without listing it in PROXY_ALLOWED_HOSTS. It still
// requires PROXY_API_KEY when one is set (Prometheus sends it with
// `authorization: { credentials: … }`): the counts and model names are the
// operator's business, and a key-protected proxy should not publish them to
// whoever can reach the port. Browser pages from foreign origins are refused
// as everywhere else. The guard does all of that from the route's policy.

import type { FastifyInstance } from 'fastify';
import type { AccessToken, Clock } from '../credentials/token-cache.ts';
import type { ProxyMetrics } from './metrics.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  readonly metrics: ProxyMetrics;
  readonly peekToken: () => AccessToken | undefined;
  readonly now: Clock;
}

export async function metricsRoutes(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { metrics } = options;
  metrics.trackToken(options.peekToken, options.now);
  app.get(METRICS_PATH, { config: { anyHost: true, quietLog: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
