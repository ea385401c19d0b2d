// The Responses API part of the report: translated streams (POST /v1/responses,
// Chat Completions upstream) beside passthrough chat streams through the same
// proxy process, in the same interleaved rounds. That process runs as the
// image runs it: with Node's defaults the young generation's size swings the
// peaks too much for their ratio to mean anything.

import { fixed, met, type Of, type PathName, type Report } from './report-types.ts';
import type { StreamResult } from './streams.ts';

const PASSTHROUGH: PathName = 'proxy-image';
const TRANSLATED: PathName = 'proxy-responses';

/** Rows for the targets table; none when the run had no translated path. */
export function responsesTargets(report: Report, of: Of): string[][] {
  if (!report.streams.has(TRANSLATED)) return [];
  const s = report.settings;
  const streams = (name: PathName, pick: (r: StreamResult & { peakRssMb: number }) => number) => of(report.streams, name, pick);
  const complete = streams(TRANSLATED, (r) => r.complete);
  const wall = streams(TRANSLATED, (r) => r.wallMs) / streams(PASSTHROUGH, (r) => r.wallMs);
  const rss = streams(TRANSLATED, (r) => r.peakRssMb) / streams(PASSTHROUGH, (r) => r.peakRssMb);
  const firstEvent = of(report.ttfb, TRANSLATED, (r) => r.ttfbP50Ms) - of(report.ttfb, PASSTHROUGH, (r) => r.ttfbP50Ms);
  return [
    [
      `${s.streams} translated (Responses API) streams complete in ≤ 1.2× the passthrough chat streams' time`,
      `${fixed(complete, 0)}/${s.streams} complete, ${fixed(wall, 2)}×`,
      met(complete === s.streams && wall <= 1.2),
    ],
    ['proxy peak RSS during translated streams ≤ 1.3× during passthrough ones', `${fixed(rss, 2)}×`, met(rss <= 1.3)],
    ['added time to first event ≤ 2 ms at low load (one stream at a time, vs chat first byte)', `${fixed(firstEvent, 2)} ms`, met(firstEvent <= 2)],
  ];
}

/** A table of the translated streams beside the passthrough ones. */
export function responsesSection(report: Report, of: Of): string[] {
  if (!report.streams.has(TRANSLATED)) return [];
  const s = report.settings;
  const rows: string[] = [];
  const row = <T>(label: string, results: Map<PathName, T[]>, pick: (r: T) => number, digits: number, compare: 'ratio' | 'added') => {
    const chat = of(results, PASSTHROUGH, pick);
    const translated = of(results, TRANSLATED, pick);
    const versus = compare === 'ratio' ? `${fixed(translated / chat, 2)}×` : `${translated >= chat ? '+' : '−'}${fixed(Math.abs(translated - chat), 2)} ms`;
    rows.push(`| ${label} | ${fixed(chat, digits)} | ${fixed(translated, digits)} | ${versus} |`);
  };
  row('one stream at a time: time to first byte / event p50 (ms)', report.ttfb, (r: StreamResult) => r.ttfbP50Ms, 2, 'added');
  row('one stream at a time: time to first byte / event p99 (ms)', report.ttfb, (r: StreamResult) => r.ttfbP99Ms, 2, 'added');
  row(`${s.streams} concurrent streams: complete`, report.streams, (r) => r.complete, 0, 'ratio');
  row(`${s.streams} concurrent streams: wall time (s)`, report.streams, (r) => r.wallMs / 1000, 2, 'ratio');
  row(`${s.streams} concurrent streams: time to first byte / event p99 (ms)`, report.streams, (r) => r.ttfbP99Ms, 1, 'added');
  row(`${s.streams} concurrent streams: proxy peak RSS (MB)`, report.streams, (r) => r.peakRssMb, 0, 'ratio');
  return [
    '',
    '## Responses API streams (translated)',
    '',
    `The proxy process that runs as the image runs it (LOG_LEVEL=info) serving \`POST /v1/responses\`: each request translated to a Chat Completions stream upstream (the same ${s.streamChunks} chunks), each chunk translated to Responses events (\`response.created\` first, a text delta per chunk, \`response.completed\`), each response stored for \`previous_response_id\`. Beside it, passthrough chat streams of the same process (the "as the image runs it" column above), in the same interleaved rounds.`,
    '',
    '| scenario | passthrough chat | Responses API | Responses vs chat |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ];
}
