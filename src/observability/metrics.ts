// Prometheus collectors for the proxy, on a registry of their own (never the
// global one), so every app — and every test — counts only its own traffic.
// Label values come from bounded sets only: route patterns, configured model
// names, status codes and configured locations; never raw paths or user input.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CredentialEvents } from '../credentials/adc-credentials.ts';
import type { FailoverEvent } from '../proxy/failover.ts';
import type { AccessToken, Clock } from '../credentials/token-cache.ts';
import { RouteHistogram, type HistogramCell } from './route-histogram.ts';

const PREFIX = 'vertex_openai_proxy_';

// Chat answers take from under a second to minutes (reasoning models).
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const FIRST_BYTE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

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

/** What the Gemini 3 compatibility layer did to one request body (compat/upstream-body.ts). */
export interface BodyAdjustment {
  readonly dropped: readonly string[];
  readonly restored: number;
  readonly sentinels: number;
}

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'model' | 'status'>;
  readonly #upstreamDuration: RouteHistogram;
  readonly #firstByte: RouteHistogram;
  // Counted in plain numbers per request and handed to prom-client on a scrape.
  #requestsInFlight = 0;
  #streamsInFlight = 0;
  readonly #requestCounts = new Map<string, { labels: { route: string; model: string; status: string }; pending: number }>();
  readonly #tokenRefreshes: Counter;
  readonly #tokenRefreshFailures: Counter;
  readonly #credentialReloads: Counter;
  readonly #failovers: Counter<'from' | 'to' | 'reason'>;
  readonly #responsesDropped: Counter<'kind' | 'type'>;
  readonly #paramsDropped: Counter<'param'>;
  readonly #signaturesRestored: Counter;
  readonly #signatureSentinels: Counter;
  readonly #signaturesRemembered: Counter;
  #peekToken: (() => AccessToken | undefined) | undefined;
  #now: Clock = Date.now;
  readonly #durationCells = new Map<string, [HistogramCell, HistogramCell]>();

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const metrics = this;
    this.#requests = new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Requests answered, by route pattern, model (configured names, else "other"/"none") and HTTP status (499: the client left before any answer).',
      labelNames: ['route', 'model', 'status'],
      registers,
      collect() {
        for (const entry of metrics.#requestCounts.values()) {
          if (entry.pending === 0) continue;
          this.inc(entry.labels, entry.pending);
          entry.pending = 0;
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
        const token = metrics.#peekToken?.();
        this.set(token ? Math.max(0, (token.expiresAt - metrics.#now()) / 1000) : 0);
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
    this.#paramsDropped = new Counter({
      name: `${PREFIX}params_dropped_total`,
      help: 'Top-level request keys removed before forwarding, by key (names from the dropParams config only).',
      labelNames: ['param'],
      registers,
    });
    this.#signaturesRestored = new Counter({
      name: `${PREFIX}thought_signatures_restored_total`,
      help: 'Tool calls of chat requests given back the thought signature the proxy remembered for them.',
      registers,
    });
    this.#signatureSentinels = new Counter({
      name: `${PREFIX}thought_signature_sentinels_total`,
      help: "Assistant messages of chat requests given Google's skip_thought_signature_validator: their signature was unknown.",
      registers,
    });
    this.#signaturesRemembered = new Counter({
      name: `${PREFIX}thought_signatures_remembered_total`,
      help: 'Tool-call thought signatures noted from relayed chat answers.',
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the expiry gauge reads the cached token, without I/O, on each scrape. */
  trackToken(peek: () => AccessToken | undefined, now: Clock = Date.now): void {
    this.#peekToken = peek;
    this.#now = now;
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

  /** Counts what was changed in a request body before forwarding. Dropped names come from the config: bounded labels. */
  readonly recordBodyAdjustment = (adjustment: BodyAdjustment): void => {
    for (const param of adjustment.dropped) this.#paramsDropped.labels(param).inc();
    if (adjustment.restored > 0) this.#signaturesRestored.inc(adjustment.restored);
    if (adjustment.sentinels > 0) this.#signatureSentinels.inc(adjustment.sentinels);
  };

  readonly recordSignaturesRemembered = (count: number): void => {
    if (count > 0) this.#signaturesRemembered.inc(count);
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
    const key = `${outcome.route}\u0000${outcome.model}\u0000${outcome.status}`;
    let entry = this.#requestCounts.get(key);
    if (!entry) {
      entry = { labels: { route: outcome.route, model: outcome.model, status: String(outcome.status) }, pending: 0 };
      this.#requestCounts.set(key, entry);
    }
    entry.pending++;
    if (outcome.durationSeconds === undefined) return;
    const [duration, firstByte] = this.#cells(outcome.route, outcome.model);
    this.#upstreamDuration.observe(duration, outcome.durationSeconds);
    if (outcome.firstByteSeconds !== undefined) this.#firstByte.observe(firstByte, outcome.firstByteSeconds);
  }

  #cells(route: string, model: string): [HistogramCell, HistogramCell] {
    const key = `${route}\u0000${model}`;
    let pair = this.#durationCells.get(key);
    if (!pair) {
      pair = [this.#upstreamDuration.cell(route, model), this.#firstByte.cell(route, model)];
      this.#durationCells.set(key, pair);
    }
    return pair;
  }
}
