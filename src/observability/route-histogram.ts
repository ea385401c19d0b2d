// The per-request histograms (by route and model), observed in plain numbers:
// prom-client's own Histogram hashes a label object on every observation,
// which costs more than the rest of a request's metrics together. The
// registry renders these on a scrape exactly as it renders its own.

import type { Registry } from 'prom-client';

/** One route-and-model series: its bucket counts, sum and count. */
export interface HistogramCell {
  readonly route: string;
  readonly model: string;
  /** Observations per bucket (not cumulative), one slot per upper bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class RouteHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #cells = new Map<string, HistogramCell>();

  constructor(registry: Registry, options: { name: string; help: string; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = options.buckets;
    registry.registerMetric(this as never);
  }

  /** The series for a route and model; hold on to it, observing is then a few additions. */
  cell(route: string, model: string): HistogramCell {
    const key = `${route}\u0000${model}`;
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = { route, model, counts: new Array<number>(this.#bounds.length).fill(0), sum: 0, count: 0 };
      this.#cells.set(key, cell);
    }
    return cell;
  }

  observe(cell: HistogramCell, value: number): void {
    cell.sum += value;
    cell.count++;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        cell.counts[i] = (cell.counts[i] as number) + 1;
        return;
      }
    }
  }

  /** What the registry renders: prom-client's histogram shape (cumulative buckets, +Inf, sum, count). */
  get() {
    const values: Array<{ labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }> = [];
    for (const cell of this.#cells.values()) {
      const shared = { route: cell.route, model: cell.model };
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += cell.counts[i] as number;
        values.push({ labels: { le: bound }, sharedLabels: shared, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: cell.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: shared, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: shared, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
