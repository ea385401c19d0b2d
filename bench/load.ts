// Load generator process: runs autocannon against one URL and prints one JSON
// line. autocannon's own histogram rounds to whole milliseconds, so latencies
// are taken from its per-response event, which carries sub-millisecond times.
//
// Usage: node bench/load.ts '<json LoadSpec>'

import autocannon from 'autocannon';
import { percentile } from './stats.ts';

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  ok: number;
  failed: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time (all threads) the serving processes spent per request; set by bench/run.ts where it knows their PIDs. */
  cpuUsPerRequest?: number;
}

function run(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  return new Promise((resolve) => {
    const instance = autocannon({
      url: spec.url,
      method: 'POST',
      headers: spec.headers,
      body: spec.body,
      connections: spec.connections,
      duration: spec.durationSeconds,
    });
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
      else failed++;
    });
    instance.on('done', (result) => {
      latencies.sort((a, b) => a - b);
      resolve({
        ok: latencies.length,
        failed: failed + result.errors + result.timeouts,
        rps: latencies.length / result.duration,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
      });
    });
  });
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
process.stdout.write(`${JSON.stringify(await run(spec))}\n`);
