// Owns the process: logger, dependencies, listen, signals and graceful close.

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import type { Credentials } from './credentials.ts';
import { createDaemonCredentials } from './daemon-credentials.ts';
import { abortable, createUpstreamAgent } from './dispatcher.ts';
import { drainOnClose } from './draining.ts';
import { createLogger } from './logger.ts';
import { ProxyMetrics } from './metrics.ts';
import { logProcessWarnings } from './process-warnings.ts';
import { exposureWarning, NO_PROJECT_HELP } from './startup-warnings.ts';
import { endpointPath, upstreamOrigin, type EndpointTarget } from './upstream.ts';
import { watchForReload } from './reload.ts';
import { RouteTable } from './routing.ts';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly address: string;
  /** Stops accepting, lets in-flight requests finish within the grace period. */
  shutdown(reason: string): Promise<void>;
}

export interface ServerOverrides {
  readonly logger?: Logger;
  readonly credentials?: Credentials;
  /** Loads the config again from the same sources; enables hot reload of routes. */
  readonly reloadConfig?: () => Config;
}

export async function startServer(config: Config, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const stopLoggingWarnings = logProcessWarnings(logger);
  const metrics = new ProxyMetrics({ processMetrics: true });
  // Follows the ADC file, counts token events, logs credential trouble once per change.
  const adc = overrides.credentials ? undefined : createDaemonCredentials(config, logger, metrics);
  const credentials = overrides.credentials ?? (adc as Credentials);
  const timeouts = { headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs };
  const agent = createUpstreamAgent(timeouts);
  const routes = new RouteTable(config);
  const app = await buildApp(config, {
    credentials,
    dispatcher: abortable(agent, timeouts),
    logger,
    routes,
    metrics,
    principalEmail: adc?.principalEmail,
  });
  if (adc) app.addHook('onClose', async () => adc.close());
  if (overrides.reloadConfig) {
    const stopWatching = watchForReload({ routes, loadConfig: overrides.reloadConfig, logger }, config.configPath);
    app.addHook('onClose', async () => stopWatching());
  }
  app.addHook('onClose', async () => agent.close());
  app.addHook('onClose', async () => stopLoggingWarnings());
  drainOnClose(app);

  const address = await app.listen({ host: config.host, port: config.port });
  const exposed = exposureWarning(config);
  if (exposed) logger.warn({ host: config.host, port: config.port }, exposed);
  void logStartup(logger, config, credentials, address);

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= closeWithGrace(app, logger, config.shutdownGraceMs, reason);
    return closing;
  };
  return { app, address, shutdown };
}

async function closeWithGrace(app: FastifyInstance, logger: Logger, graceMs: number, reason: string): Promise<void> {
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

/**
 * Every request path handles its own errors; this is the net under a bug that
 * escapes one. Exiting would cut every stream in flight for the sake of one
 * request, so the error is logged and the daemon keeps serving.
 */
export function keepServingOnStrayErrors(logger: Pick<Logger, 'error'>): void {
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception on a request path; still serving'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection on a request path; still serving'));
}

/** SIGTERM/SIGINT: graceful close, then exit 0. */
export function exitOnSignals(server: RunningServer): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.shutdown(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
