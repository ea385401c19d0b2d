// Prometheus collectors for the proxy, on a registry of their own (never the
// global one), so every app — and every test — counts only its own traffic.
// Label values come from bounded sets only: route patterns, configured model
// names, status codes and configured locations; never raw paths or user input.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CredentialEvents } from '../credentials/adc-credentials.ts';
import type { FailoverEvent } from '../proxy/failover.ts';
import type { AccessToken, Clock } from '../credentials/token-cache.ts';
import { CompatMetrics } from './compat-metrics.ts';
import { LabelCells } from './label-cells.ts';
import { RouteHistogram, type HistogramCell } from './route-histogram.ts';

const PREFIX = 'vertex_openai_proxy_';

// Chat answers take from under a second to minutes (reasoning models).
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const FIRST_BYTE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the gauges read on each scrape, without I/O. */
export interface GaugeSources {
  /** The cached token a request would get now. */
  readonly peekToken: () => AccessToken | undefined;
  readonly now: Clock;
  /** Background Responses generations running now. */
  readonly backgroundRunning: () => number;
}

export interface MetricsOptions {
  /** Also export process CPU, memory and event-loop metrics (the daemon does; tests need not). */
  readonly processMetrics?: boolean;
}

export interface RequestOutcome {
  readonly route: string;
  readonly model: string;
  readonly status: number;
  /** Set when the request was forwarded upstream and an answer came back. */
  readonly durationSeconds?: number;
  readonly firstByteSeconds?: number;
}

interface RequestCount {
  readonly labels: { route: string; model: string; status: string };
  /** Counted since the last scrape. */
  pending: number;
}

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'model' | 'status'>;
  readonly #upstreamDuration: RouteHistogram;
  readonly #firstByte: RouteHistogram;
  // Counted in plain numbers per request and handed to prom-client on a scrape.
  #requestsInFlight = 0;
  #streamsInFlight = 0;
  /** Requests counted since the last scrape, by route, model and status. */
  readonly #requestCounts = new LabelCells(() => new Map<number, RequestCount>());
  readonly #tokenRefreshes: Counter;
  readonly #tokenRefreshFailures: Counter;
  readonly #credentialReloads: Counter;
  readonly #failovers: Counter<'from' | 'to' | 'reason'>;
  readonly #responsesDropped: Counter<'kind' | 'type'>;
  /** What the compatibility layer changed in request bodies and noted from answers. */
  readonly compat: CompatMetrics;
  #sources: GaugeSources = { peekToken: () => undefined, now: Date.now, backgroundRunning: () => 0 };
  readonly #durationCells = new LabelCells((route, model): [HistogramCell, HistogramCell] => [
    this.#upstreamDuration.cell(route, model),
    this.#firstByte.cell(route, model),
  ]);

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const metrics = this;
    this.#requests = new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Requests answered, by route pattern, model (configured names, else "other"/"none") and HTTP status (499: the client left before any answer).',
      labelNames: ['route', 'model', 'status'],
      registers,
      collect() {
        for (const byStatus of metrics.#requestCounts.values()) {
          for (const entry of byStatus.values()) {
            if (entry.pending === 0) continue;
            this.inc(entry.labels, entry.pending);
            entry.pending = 0;
          }
        }
      },
    });
    new Gauge({
      name: `${PREFIX}requests_in_flight`,
      help: 'Requests being handled now.',
      registers,
      collect() {
        this.set(metrics.#requestsInFlight);
      },
    });
    new Gauge({
      name: `${PREFIX}streams_in_flight`,
      help: 'Streamed (SSE) answers being relayed now.',
      registers,
      collect() {
        this.set(metrics.#streamsInFlight);
      },
    });
    this.#upstreamDuration = new RouteHistogram(this.registry, {
      name: `${PREFIX}upstream_duration_seconds`,
      help: 'From request arrival until the Vertex AI answer was completely relayed, for forwarded requests.',
      buckets: DURATION_BUCKETS,
    });
    this.#firstByte = new RouteHistogram(this.registry, {
      name: `${PREFIX}time_to_first_byte_seconds`,
      help: 'From request arrival until the first byte of the Vertex AI answer body.',
      buckets: FIRST_BYTE_BUCKETS,
    });
    this.#tokenRefreshes = new Counter({ name: `${PREFIX}token_refreshes_total`, help: 'Access tokens fetched from ADC.', registers });
    this.#tokenRefreshFailures = new Counter({
      name: `${PREFIX}token_refresh_failures_total`,
      help: 'Access token fetches that failed (foreground or background).',
      registers,
    });
    this.#credentialReloads = new Counter({
      name: `${PREFIX}credential_reloads_total`,
      help: 'Times the ADC file changed and credentials were reloaded.',
      registers,
    });
    new Gauge({
      name: `${PREFIX}token_expires_in_seconds`,
      help: 'Seconds until the cached access token expires; 0 when no usable token is cached.',
      registers,
      collect() {
        const token = metrics.#sources.peekToken();
        this.set(token ? Math.max(0, (token.expiresAt - metrics.#sources.now()) / 1000) : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}responses_background_running`,
      help: 'Background Responses API generations running now (background: true), apart from any request.',
      registers,
      collect() {
        this.set(metrics.#sources.backgroundRunning());
      },
    });
    this.#failovers = new Counter({
      name: `${PREFIX}failovers_total`,
      help: 'Requests retried at the next configured location, by location and reason (upstream status or connect_error).',
      labelNames: ['from', 'to', 'reason'],
      registers,
    });
    this.#responsesDropped = new Counter({
      name: `${PREFIX}responses_dropped_total`,
      help: 'Responses API tools and input items with no Chat Completions form (built-in tools), dropped from translated requests, by kind (tool, item) and type.',
      labelNames: ['kind', 'type'],
      registers,
    });
    this.compat = new CompatMetrics(registers, PREFIX);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the gauges read what they show, on each scrape. */
  track(sources: GaugeSources): void {
    this.#sources = sources;
  }

  /** Hand these to the credentials so refreshes, failures and reloads are counted. */
  readonly credentialEvents: CredentialEvents = {
    onRefresh: () => this.#tokenRefreshes.inc(),
    onFetchError: () => this.#tokenRefreshFailures.inc(),
    onReload: () => this.#credentialReloads.inc(),
  };

  /** For routing's failover hook. Locations come from the config, so labels stay bounded. */
  readonly recordFailover = (event: FailoverEvent): void => {
    this.#failovers.labels(event.from, event.to, event.status === undefined ? 'connect_error' : String(event.status)).inc();
  };

  /** `type` must come from a bounded set (the Responses route maps unknown types to `other`). */
  readonly recordResponsesDropped = (kind: string, type: string): void => {
    this.#responsesDropped.labels(kind, type).inc();
  };

  requestStarted(): void {
    this.#requestsInFlight++;
  }

  streamStarted(): void {
    this.#streamsInFlight++;
  }

  streamEnded(): void {
    this.#streamsInFlight--;
  }

  requestEnded(outcome: RequestOutcome): void {
    this.#requestsInFlight--;
    const byStatus = this.#requestCounts.get(outcome.route, outcome.model);
    let entry = byStatus.get(outcome.status);
    if (!entry) {
      entry = { labels: { route: outcome.route, model: outcome.model, status: String(outcome.status) }, pending: 0 };
      byStatus.set(outcome.status, entry);
    }
    entry.pending++;
    if (outcome.durationSeconds === undefined) return;
    const [duration, firstByte] = this.#durationCells.get(outcome.route, outcome.model);
    this.#upstreamDuration.observe(duration, outcome.durationSeconds);
    if (outcome.firstByteSeconds !== undefined) this.#firstByte.observe(firstByte, outcome.firstByteSeconds);
  }
}
