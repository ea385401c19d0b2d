// What the bench measured, as the report's writers read it, and the small
// formatting helpers they share: the main tables (report.ts), the floor
// (report-floor.ts) and the Responses API streams (report-responses.ts).

import type { LoadResult } from './load.ts';
import type { StreamResult } from './streams.ts';

export type PathName = 'direct' | 'proxy' | 'proxy-responses' | 'proxy-warn' | 'proxy-image' | 'nginx' | 'floor-stack' | 'floor-node' | 'floor-stack-image';

export interface TokenRun {
  lifetimeSeconds: number;
  loadSeconds: number;
  requests: number;
  failed: number;
  tokenFetches: number;
  /** Shortest time between two consecutive token fetches. */
  minGapSeconds: number;
  expiredTokensSent: number;
  unknownTokensSent: number;
}

export interface Report {
  settings: {
    rounds: number;
    loadSeconds: number;
    streamRounds: number;
    streams: number;
    streamChunks: number;
    streamIntervalMs: number;
    ttfbStreams: number;
    coldStarts: number;
  };
  machine: {
    cores: number;
    cpu: string;
    node: string;
    nginx: string | undefined;
    loadAtStart: number;
    loadAtEnd: number;
    date: string;
    quick: boolean;
    commit: string;
  };
  paths: PathName[];
  chat: Record<number, Map<PathName, LoadResult[]>>;
  ttfb: Map<PathName, StreamResult[]>;
  streams: Map<PathName, (StreamResult & { peakRssMb: number })[]>;
  tokens: TokenRun;
  /** Spawn to first /readyz 200, per entry point. */
  coldStartMs: { dist: number[]; src: number[] };
}

/** The median of one figure over the rounds of one path; NaN when the path did not run. */
export type Of = <T>(results: Map<PathName, T[]>, name: PathName, pick: (result: T) => number) => number;

/** A figure with `digits` decimals; 'n/a' for one that could not be measured. */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** The targets table's last column. */
export function met(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}
