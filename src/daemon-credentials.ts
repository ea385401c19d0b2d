// The daemon's credentials: ADC that follows its file (adc-reload.ts), with
// every token event counted (metrics.ts) and each change of health logged
// once (credential-status.ts).

import type { Logger } from 'pino';
import { createReloadingCredentials, type ReloadingCredentials } from './adc-reload.ts';
import type { Config } from './config.ts';
import { CredentialStatus } from './credential-status.ts';
import type { ProxyMetrics } from './metrics.ts';

export interface DaemonCredentialOptions {
  readonly pollIntervalMs?: number;
}

export function createDaemonCredentials(
  config: Pick<Config, 'adcFile' | 'tokenTimeoutMs'>,
  logger: Logger,
  metrics: ProxyMetrics,
  options: DaemonCredentialOptions = {},
): ReloadingCredentials {
  const status = new CredentialStatus(logger);
  const counted = metrics.credentialEvents;
  return createReloadingCredentials({
    file: config.adcFile?.path,
    pollIntervalMs: options.pollIntervalMs,
    fetchTimeoutMs: config.tokenTimeoutMs,
    events: {
      onRefresh: (token, receivedAt) => {
        counted.onRefresh?.(token, receivedAt);
        status.succeeded();
        logger.debug({ expiresInSeconds: Math.round((token.expiresAt - receivedAt) / 1000) }, 'access token refreshed');
      },
      onRefreshError: (err) => {
        counted.onRefreshError?.(err);
        status.failed(err);
      },
      onFetchError: (err) => {
        counted.onFetchError?.(err);
        status.failed(err);
      },
      onReload: (path) => {
        counted.onReload?.(path);
        logger.info({ path }, 'ADC file changed: the next token comes from it');
      },
    },
  });
}
