// Connection flood client process: opens `idle` sockets that never send a byte
// and `trickle` sockets that send a request line and then one header line per
// interval, never ending the headers. It prints `{"event":"open",…}` once every
// socket has connected, then, when every socket is closed or `holdMs` has
// passed, one result line: how each kind was closed by the server and when.
//
// Usage: node bench/flood.ts '<json FloodSpec>'

import { connect, type Socket } from 'node:net';
import { percentile } from './stats.ts';

export interface FloodSpec {
  port: number;
  idle: number;
  trickle: number;
  trickleEveryMs: number;
  holdMs: number;
}

export interface FloodKind {
  opened: number;
  /** Refused or reset while connecting. */
  failed: number;
  /** Closed by the server within a second of connecting: over the connection cap. */
  closedAtOnce: number;
  /** Closed by the server later: the headers timeout. */
  closedLater: number;
  closedLaterP50Ms: number;
  closedLaterMaxMs: number;
  /** Still open at holdMs (then closed by us). */
  stillOpen: number;
}

type Kind = 'idle' | 'trickle';
interface Tracked {
  kind: Kind;
  socket: Socket;
  connectedAt: number;
  closedAfterMs?: number;
  failed: boolean;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as FloodSpec;
const tracked: Tracked[] = [];
const BATCH = 200;

function open(kind: Kind): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: spec.port });
    const t: Tracked = { kind, socket, connectedAt: Number.NaN, failed: false };
    tracked.push(t);
    socket.setNoDelay(true);
    socket.on('data', () => {}); // a 408 from the headers timeout; ignored
    socket.on('error', () => {
      if (Number.isNaN(t.connectedAt)) t.failed = true;
    });
    socket.once('connect', () => {
      t.connectedAt = performance.now();
      if (kind === 'trickle') socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      resolve();
    });
    socket.once('close', () => {
      if (!Number.isNaN(t.connectedAt) && t.closedAfterMs === undefined) t.closedAfterMs = performance.now() - t.connectedAt;
      resolve();
    });
  });
}

function summary(kind: Kind): FloodKind {
  const mine = tracked.filter((t) => t.kind === kind);
  const later = mine.filter((t) => t.closedAfterMs !== undefined && t.closedAfterMs >= 1000).map((t) => t.closedAfterMs as number);
  later.sort((a, b) => a - b);
  return {
    opened: mine.filter((t) => !t.failed && !Number.isNaN(t.connectedAt)).length,
    failed: mine.filter((t) => t.failed || Number.isNaN(t.connectedAt)).length,
    closedAtOnce: mine.filter((t) => t.closedAfterMs !== undefined && t.closedAfterMs < 1000).length,
    closedLater: later.length,
    closedLaterP50Ms: percentile(later, 0.5),
    closedLaterMaxMs: later.at(-1) ?? Number.NaN,
    stillOpen: mine.filter((t) => !t.failed && t.closedAfterMs === undefined).length,
  };
}

const started = performance.now();
const kinds: Kind[] = [...Array<Kind>(spec.idle).fill('idle'), ...Array<Kind>(spec.trickle).fill('trickle')];
for (let i = 0; i < kinds.length; i += BATCH) await Promise.all(kinds.slice(i, i + BATCH).map(open));
process.stdout.write(`${JSON.stringify({ event: 'open', ms: performance.now() - started })}\n`);

let line = 0;
const trickling = setInterval(() => {
  line++;
  for (const t of tracked) if (t.kind === 'trickle' && t.closedAfterMs === undefined && !t.failed) t.socket.write(`x-trickle-${line}: y\r\n`);
}, spec.trickleEveryMs);
const deadline = started + spec.holdMs;
while (performance.now() < deadline && tracked.some((t) => !t.failed && t.closedAfterMs === undefined)) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
clearInterval(trickling);
const result = { idle: summary('idle'), trickle: summary('trickle') };
for (const t of tracked) t.socket.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
