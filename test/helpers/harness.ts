// One call that stands up the whole system on loopback: fake metadata server,
// fake Vertex, and the real app with real ADC credentials pointed at them.

import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Test } from 'tap';
import { Agent } from 'undici';
import { loadConfig, type Config } from '../../src/config/load.ts';
import type { SignatureMemory } from '../../src/compat/signature-memory.ts';
import type { RouteTable } from '../../src/config/routing.ts';
import type { Credentials } from '../../src/credentials/adc-credentials.ts';
import { FRESH_TOKEN_MS, type Clock } from '../../src/credentials/token-cache.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { ProxyMetrics } from '../../src/observability/metrics.ts';
import { abortable } from '../../src/proxy/dispatcher.ts';
import { createProxy } from '../../src/server/create-proxy.ts';
import { closeConnectionsOnDrain } from '../../src/server/draining.ts';
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
  /** The live route table, for reload tests. */
  readonly routes: RouteTable;
  /** The app's memory of Gemini 3 thought signatures. */
  readonly signatures: SignatureMemory;
  readonly logger: Logger;
  /** Every log line the app wrote, raw. */
  readonly logs: string[];
  /** `http://127.0.0.1:PORT` once `listen()` has run. */
  url: string;
  /**
   * Added to the clock the token cache reads, unless `now` is passed: raise it
   * by FRESH_TOKEN_MS to age the token in hand, so that a 401 replays.
   */
  skewMs: number;
  /** Fetches the token if none is cached, then ages it past FRESH_TOKEN_MS: a 401 on it replays (a fresh token's stands). */
  ageToken(): Promise<void>;
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
  // The daemon's own assembly (createProxy); only a CA-trusting pool replaces its upstream dispatcher.
  const trusting = options.trustFixtureCa ? new Agent({ connections: null, connect: { ca: FIXTURE_CERT, rejectUnauthorized: true } }) : undefined;
  const timeouts = { headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs };
  const skew = { ms: 0 };
  const { app, credentials, metrics, routes, signatures } = await createProxy(config, {
    logger,
    now: options.now ?? (() => Date.now() + skew.ms),
    dispatcher: trusting ? abortable(trusting, timeouts) : undefined,
  });
  // Keep-alive connections end as the daemon's do when it closes (not the refusal
  // of new requests: injected requests never listen, and would all be refused).
  closeConnectionsOnDrain(app);

  const harness: Harness = {
    app,
    metadata,
    vertex,
    credentials,
    metrics,
    config,
    routes,
    signatures,
    logger,
    logs: capture.lines,
    url: '',
    get skewMs() {
      return skew.ms;
    },
    set skewMs(ms: number) {
      skew.ms = ms;
    },
    async ageToken() {
      await credentials.getToken();
      skew.ms += FRESH_TOKEN_MS;
    },
    async listen() {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      harness.url = address;
      return address;
    },
  };
  t.teardown(async () => {
    await app.close();
    await trusting?.close();
    await vertex.close();
    await metadata.close();
  });
  return harness;
}

export const CHAT_BODY = { model: 'google/gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] };

/** Headers a well-behaved local client sends. */
export const JSON_HEADERS = { 'content-type': 'application/json', host: '127.0.0.1:8765' };
