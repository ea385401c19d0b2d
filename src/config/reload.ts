// Hot reload of the routes: on SIGHUP and whenever the config file changes
// (once it has stopped changing). A bad new file is rejected with a log line
// and the old routes stay.

import type { Logger } from 'pino';
import type { Config } from './load.ts';
import type { RouteTable } from './routing.ts';
import { followFile } from './watch-file.ts';

export interface ReloadOptions {
  readonly routes: RouteTable;
  /** Loads and validates the whole config again, from the same sources as at start. */
  readonly loadConfig: () => Config;
  readonly logger: Logger;
}

/** Returns whether the new routes were taken. */
export function reloadRoutes({ routes, loadConfig, logger }: ReloadOptions, reason: string): boolean {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    logger.error({ reason, err }, 'config reload rejected; keeping the current routes');
    return false;
  }
  // An empty or half-written file (editors and ConfigMap updates produce both)
  // would send every aliased prompt to the default location: data residency
  // must never change by accident. Dropping every route takes a restart.
  if (Object.keys(config.models).length === 0 && routes.configuredModelCount() > 0) {
    logger.error({ reason }, 'config reload rejected: the new file routes no models while the current routes do; keeping the current routes');
    return false;
  }
  routes.update(config);
  logger.info({ reason, models: Object.keys(config.models).length }, 'routes reloaded');
  return true;
}

/** How often the config file's stat is polled for changes. */
export const CONFIG_POLL_INTERVAL_MS = 1_000;

/** Starts SIGHUP and file watching; returns a function that stops both. */
export function watchForReload(options: ReloadOptions, configPath: string | undefined, intervalMs = CONFIG_POLL_INTERVAL_MS): () => void {
  const onSignal = () => reloadRoutes(options, 'SIGHUP');
  process.on('SIGHUP', onSignal);
  const stopFollowing = configPath ? followFile(configPath, intervalMs, () => reloadRoutes(options, 'config file changed'), { settled: true }) : () => {};
  return () => {
    process.off('SIGHUP', onSignal);
    stopFollowing();
  };
}
