// GET /metrics: the Prometheus text of this app's collectors.
//
// Access: the counts, the project and the model names are the operator's
// business. /metrics needs a loopback or allowed Host, as every route does,
// so a web page that rebinds a name to 127.0.0.1 cannot read it; a scrape by
// pod IP or service name lists that name in PROXY_ALLOWED_HOSTS or sends
// PROXY_API_KEY (Prometheus: `authorization: { credentials: … }`). With a key
// configured, the key is needed whatever the Host. Browser pages from foreign
// origins are refused as everywhere else. The guard does all of that from the
// route's policy.

import type { FastifyInstance } from 'fastify';
import type { GaugeSources, ProxyMetrics } from './metrics.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  readonly metrics: ProxyMetrics;
  readonly sources: GaugeSources;
}

export async function metricsRoutes(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { metrics } = options;
  metrics.track(options.sources);
  app.get(METRICS_PATH, { config: { anyHostWithKey: true, quietLog: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
