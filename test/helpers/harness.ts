// One call that stands up the whole system on loopback: fake metadata server,
// fake Vertex, and the real app with real ADC credentials pointed at them.

import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createAdcCredentials, type Credentials } from '../../src/credentials.ts';
import { ProxyMetrics } from '../../src/metrics.ts';
import { abortable, createUpstreamAgent } from '../../src/dispatcher.ts';
import { createLogger } from '../../src/logger.ts';
import type { Clock } from '../../src/token-cache.ts';
import { RouteTable } from '../../src/routing.ts';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import { startFakeMetadata, type FakeMetadata, type FakeMetadataOptions } from './fake-metadata.ts';
import { FIXTURE_CERT, startFakeVertex, type FakeVertex, type FakeVertexOptions } from './fake-vertex.ts';

export interface Harness {
  readonly app: FastifyInstance;
  readonly metadata: FakeMetadata;
  readonly vertex: FakeVertex;
  readonly credentials: Credentials;
  /** The app's Prometheus collectors; token events are counted too. */
  readonly metrics: ProxyMetrics;
  readonly config: Config;
  readonly agent: Agent;
  /** The live route table, for reload tests. */
  readonly routes: RouteTable;
  readonly logger: Logger;
  /** Every log line the app wrote, raw. */
  readonly logs: string[];
  /** `http://127.0.0.1:PORT` once `listen()` has run. */
  url: string;
  listen(): Promise<string>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  metadata?: FakeMetadataOptions;
  vertex?: FakeVertexOptions;
  /** Trust the self-signed fixture certificate (for positive TLS tests). */
  trustFixtureCa?: boolean;
  /** The clock the token cache and probes read; skew it to jump towards a token's expiry. */
  now?: Clock;
}

export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

export async function startHarness(t: Test, options: HarnessOptions = {}): Promise<Harness> {
  const metadata = await startFakeMetadata(options.metadata);
  const vertex = await startFakeVertex({ isValidToken: (token) => metadata.isValid(token), ...options.vertex });
  const config = loadConfig({ env: { VERTEX_BASE_URL: vertex.baseUrl, LOG_LEVEL: 'debug', ...options.env } });
  const capture = new LogCapture();
  const logger = createLogger(config.logLevel, capture);
  const metrics = new ProxyMetrics();
  const credentials = createAdcCredentials({ now: options.now, events: metrics.credentialEvents, fetchTimeoutMs: config.tokenTimeoutMs });
  const timeouts = { headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs };
  const agent = options.trustFixtureCa
    ? new Agent({ connections: null, connect: { ca: FIXTURE_CERT, rejectUnauthorized: true } })
    : createUpstreamAgent(timeouts);
  const routes = new RouteTable(config);
  const app = await buildApp(config, { credentials, dispatcher: abortable(agent, timeouts), logger, routes, now: options.now, metrics });

  const harness: Harness = {
    app,
    metadata,
    vertex,
    credentials,
    metrics,
    config,
    agent,
    routes,
    logger,
    logs: capture.lines,
    url: '',
    async listen() {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      harness.url = address;
      return address;
    },
  };
  t.teardown(async () => {
    await app.close();
    await agent.close();
    await vertex.close();
    await metadata.close();
  });
  return harness;
}

export const CHAT_BODY = { model: 'google/gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] };

/** Headers a well-behaved local client sends. */
export const JSON_HEADERS = { 'content-type': 'application/json', host: '127.0.0.1:8765' };
