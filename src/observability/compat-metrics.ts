// The counters of the compatibility layer (src/compat): top-level keys Vertex
// would refuse, removed before forwarding, and Gemini 3's thought signatures
// restored, replaced by Google's sentinel, or noted from relayed answers.

import { Counter, type Registry } from 'prom-client';

/** What the compatibility layer did to one request body (compat/upstream-body.ts). */
export interface BodyAdjustment {
  readonly dropped: readonly string[];
  readonly restored: number;
  readonly sentinels: number;
}

export class CompatMetrics {
  readonly #paramsDropped: Counter<'param'>;
  readonly #signaturesRestored: Counter;
  readonly #signatureSentinels: Counter;
  readonly #signaturesRemembered: Counter;

  constructor(registers: Registry[], prefix: string) {
    this.#paramsDropped = new Counter({
      name: `${prefix}params_dropped_total`,
      help: 'Top-level request keys removed before forwarding, by key (names from the dropParams config only).',
      labelNames: ['param'],
      registers,
    });
    this.#signaturesRestored = new Counter({
      name: `${prefix}thought_signatures_restored_total`,
      help: 'Tool calls of chat requests given back the thought signature the proxy remembered for them.',
      registers,
    });
    this.#signatureSentinels = new Counter({
      name: `${prefix}thought_signature_sentinels_total`,
      help: "Assistant messages of chat requests given Google's skip_thought_signature_validator: their signature was unknown.",
      registers,
    });
    this.#signaturesRemembered = new Counter({
      name: `${prefix}thought_signatures_remembered_total`,
      help: 'Tool-call thought signatures noted from relayed chat answers.',
      registers,
    });
  }

  /** Counts what was changed in a request body before forwarding. Dropped names come from the config: bounded labels. */
  readonly recordBodyAdjustment = (adjustment: BodyAdjustment): void => {
    for (const param of adjustment.dropped) this.#paramsDropped.labels(param).inc();
    if (adjustment.restored > 0) this.#signaturesRestored.inc(adjustment.restored);
    if (adjustment.sentinels > 0) this.#signatureSentinels.inc(adjustment.sentinels);
  };

  readonly recordSignaturesRemembered = (count: number): void => {
    if (count > 0) this.#signaturesRemembered.inc(count);
  };
}
