// The daemon in this process: startServer (listen, draining, graceful close)
// on a free loopback port, with its credentials from the fake metadata server
// and its upstream the fake Vertex. What a child process would do, minus the
// process: shutdown is `server.shutdown(reason)` instead of a signal.

import type { Test } from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import type { Clock } from '../../src/credentials/token-cache.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import type { LogLine } from './daemon.ts';
import { startFakeMetadata, type FakeMetadata } from './fake-metadata.ts';
import { startFakeVertex, type FakeVertex } from './fake-vertex.ts';
import { LogCapture } from './harness.ts';
import { waitFor } from './wait.ts';

export interface InProcessDaemon {
  readonly server: RunningServer;
  readonly url: string;
  readonly port: number;
  readonly metadata: FakeMetadata;
  readonly vertex: FakeVertex;
  /** Every log line so far, parsed. */
  logs(): LogLine[];
  /** Every log line so far, as written (for searching the raw text for secrets). */
  readonly rawLogs: readonly string[];
  waitForLog(msg: string): Promise<void>;
}

export async function startInProcess(t: Test, env: Record<string, string> = {}, options: { now?: Clock } = {}): Promise<InProcessDaemon> {
  const metadata = await startFakeMetadata();
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token) });
  const config = loadConfig({ env: { HOST: '127.0.0.1', PORT: '0', VERTEX_BASE_URL: vertex.baseUrl, ...env } });
  const capture = new LogCapture();
  const server = await startServer(config, { logger: createLogger(config.logLevel, capture), now: options.now });
  t.teardown(async () => {
    await server.shutdown('test over');
    await vertex.close();
    await metadata.close();
  });
  const url = server.address;
  const logs = () => capture.lines.map((line) => JSON.parse(line) as LogLine);
  const waitForLog = (msg: string) => waitFor(() => logs().some((line) => line.msg === msg), `log line "${msg}"`);
  return { server, url, port: Number(new URL(url).port), metadata, vertex, logs, rawLogs: capture.lines, waitForLog };
}
