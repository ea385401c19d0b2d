// Starts the daemon: the proxy from createProxy, hot reload, draining,
// listen, the start-up line; and the graceful shutdown it will need.

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import { watchForReload } from '../config/reload.ts';
import type { Credentials } from '../credentials/adc-credentials.ts';
import { createLogger } from '../observability/logger.ts';
import { logProcessWarnings } from '../observability/process-warnings.ts';
import { endpointPath, upstreamOrigin, type EndpointTarget } from '../proxy/upstream-url.ts';
import { createProxy, type ProxyDeps } from './create-proxy.ts';
import { drainOnClose } from './draining.ts';
import { closeWithGrace } from './signals.ts';
import { anyHostWarning, exposureWarning, NO_PROJECT_HELP } from './startup-warnings.ts';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly address: string;
  /** Stops accepting, lets in-flight requests finish within the grace period. */
  shutdown(reason: string): Promise<void>;
}

export interface ServerOptions extends Partial<ProxyDeps> {
  /** Loads the config again from the same sources; enables hot reload of routes. */
  readonly reloadConfig?: () => Config;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const stopLoggingWarnings = logProcessWarnings(logger);
  const { app, credentials, routes } = await createProxy(config, { processMetrics: true, ...options, logger });
  if (options.reloadConfig) {
    const stopWatching = watchForReload({ routes, loadConfig: options.reloadConfig, logger }, config.configPath);
    app.addHook('onClose', async () => stopWatching());
  }
  app.addHook('onClose', async () => stopLoggingWarnings());
  drainOnClose(app);

  const address = await app.listen({ host: config.host, port: config.port });
  const exposed = exposureWarning(config);
  if (exposed) logger.warn({ host: config.host, port: config.port }, exposed);
  const anyHost = anyHostWarning(config);
  if (anyHost) logger.warn(anyHost);
  void logStartup(logger, config, credentials, address);

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= closeWithGrace(app, logger, config.shutdownGraceMs, reason);
    return closing;
  };
  return { app, address, shutdown };
}

async function logStartup(logger: Logger, config: Config, credentials: Credentials, address: string): Promise<void> {
  const described = await credentials.describe().then(
    (info) => ({ credentialType: info.type, project: config.project ?? info.projectId, quotaProject: config.quotaProject ?? info.quotaProject }),
    (err: unknown) => ({ credentialType: 'none', credentialError: (err as Error).message, project: config.project }),
  );
  const target: EndpointTarget = {
    apiVersion: config.apiVersion,
    location: config.location,
    endpoint: config.endpoint,
    baseUrl: config.baseUrl,
    // Readable in the log line (a `{project}` placeholder would be percent-encoded).
    project: described.project ?? 'PROJECT_UNKNOWN',
  };
  const upstream = upstreamOrigin(target) + endpointPath(target);
  const noProject = !('credentialError' in described) && !described.project;
  const fields = {
    address,
    openaiBaseUrl: `${address}/v1`,
    location: config.location,
    endpoint: config.endpoint,
    upstream,
    ...described,
    ...(noProject ? { projectError: NO_PROJECT_HELP } : {}),
  };
  // No credentials or no project: every request would get a 503, so say it now, with the fix.
  if ('credentialError' in described || noProject) logger.warn(fields, 'vertex-openai-proxy listening');
  else logger.info(fields, 'vertex-openai-proxy listening');
}
