// The composition root: the whole proxy built from config and the few parts
// that differ between the daemon, `vertex-openai-proxy check` and the tests —
// logger, credentials, upstream dispatcher, clock and metrics registry. Every
// part not handed in is made here, and closed with the app.

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../app/build-app.ts';
import { SignatureMemory } from '../compat/signature-memory.ts';
import type { Config } from '../config/load.ts';
import { RouteTable } from '../config/routing.ts';
import { createAdcCredentials, type Credentials } from '../credentials/adc-credentials.ts';
import { CredentialStatus } from '../credentials/status.ts';
import type { Clock } from '../credentials/token-cache.ts';
import { ProxyMetrics } from '../observability/metrics.ts';
import { abortable, createUpstreamAgent, type Requestable } from '../proxy/dispatcher.ts';
import { BackgroundRuns } from '../responses/background-runs.ts';
import { ResponseStore } from '../responses/store.ts';
import { limitConnections } from './connections.ts';

export interface ProxyDeps {
  readonly logger: Logger;
  /** Default: ADC following the ADC file, every token event counted, each change of health logged once. */
  readonly credentials?: Credentials;
  /** Default: a pooled undici Agent with the upstream timeouts. */
  readonly dispatcher?: Requestable;
  readonly now?: Clock;
  /** Default: a fresh registry, with process metrics when `processMetrics` is set. */
  readonly metrics?: ProxyMetrics;
  readonly processMetrics?: boolean;
  /** How often the ADC file is polled for changes; tests shorten it. */
  readonly adcPollIntervalMs?: number;
}

export interface Proxy {
  /** Never listening: server/start.ts listens, `check` and tests inject. */
  readonly app: FastifyInstance;
  readonly credentials: Credentials;
  readonly metrics: ProxyMetrics;
  /** The routes in force; a reload swaps them. */
  readonly routes: RouteTable;
  /** Gemini 3 thought signatures noted from relayed answers, by tool-call id (one per process). */
  readonly signatures: SignatureMemory;
  /** Closes the app and every part made here. */
  close(): Promise<void>;
}

export async function createProxy(config: Config, deps: ProxyDeps): Promise<Proxy> {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? new ProxyMetrics({ processMetrics: deps.processMetrics });
  const credentials = deps.credentials ?? daemonCredentials(config, deps, metrics, now);
  const timeouts = { headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs };
  const agent = deps.dispatcher ? undefined : createUpstreamAgent(timeouts);
  const routes = new RouteTable(config);
  // One each per process: chat and Responses requests share what Gemini 3 signed.
  const { maxEntries, ttlMs } = config.thoughtSignatures;
  const signatures = new SignatureMemory({ maxEntries, ttlMs, now });
  const responses = new ResponseStore({ ...config.responsesStore, now });
  // Their event logs together are bounded as the store is.
  // A follower that reads nothing for as long as an upstream may stay silent is gone.
  const background = new BackgroundRuns({
    maxRunning: config.responsesBackgroundMax,
    maxLogBytes: config.responsesStore.maxBytes,
    followerStallMs: config.upstreamTimeoutMs,
  });
  const app = await buildApp(config, {
    credentials,
    dispatcher: deps.dispatcher ?? abortable(agent as NonNullable<typeof agent>, timeouts),
    logger,
    routes,
    metrics,
    now,
    signatures,
    responses,
    background,
  });
  limitConnections(app.server, config);
  // Background responses are not requests the server waits for: from the moment
  // the close begins they get the grace period, then are cancelled, before the
  // upstream pool closes (it would wait for their calls).
  let backgroundClosed: Promise<void> = Promise.resolve();
  app.addHook('preClose', async () => {
    backgroundClosed = background.close(config.shutdownGraceMs);
  });
  app.addHook('onClose', async () => {
    await backgroundClosed;
    if (!deps.credentials) credentials.close();
    await agent?.close();
  });
  return { app, credentials, metrics, routes, signatures, close: () => app.close() };
}

/** ADC as the daemon uses it: following its file, counted in metrics, each change of health logged once. */
function daemonCredentials(config: Config, deps: ProxyDeps, metrics: ProxyMetrics, now: Clock): Credentials {
  const { logger } = deps;
  const status = new CredentialStatus(logger);
  const counted = metrics.credentialEvents;
  return createAdcCredentials({
    file: config.adcFile?.path,
    pollIntervalMs: deps.adcPollIntervalMs,
    fetchTimeoutMs: config.tokenTimeoutMs,
    now,
    events: {
      onRefresh: (token, receivedAt) => {
        counted.onRefresh?.(token, receivedAt);
        status.succeeded();
        logger.debug({ expiresInSeconds: Math.round((token.expiresAt - receivedAt) / 1000) }, 'access token refreshed');
      },
      onFetchError: (err) => {
        counted.onFetchError?.(err);
        status.failed(err);
      },
      onReload: (path) => {
        counted.onReload?.(path);
        logger.info({ path }, 'ADC file changed: the next token comes from it');
      },
      onRenew: (reason) => logger.debug({ reason }, 'credentials: starting over with a fresh GoogleAuth'),
    },
  });
}
