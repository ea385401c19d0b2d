// A background run's event log and its registry, alone: frames by sequence
// number, the byte budget (the largest log dropped first, a dropped log still
// feeding its followers to the end), followers pulled by their readers and
// closed when they stall, a DELETE during a pending cancel keeping nothing, a
// cancel once the terminal event is written, and a run's longest time.

import t from 'tap';
import { BackgroundRuns } from '../../src/responses/background-runs.ts';
import { EventLog, LogBudget } from '../../src/responses/event-log.ts';
import { waitFor } from '../helpers/wait.ts';
import { read, stream } from './events.ts';

const frame = (n: number) => `event: e\ndata: {"sequence_number":${n}}\n\n`;
const frames = (from: number, count: number) => Array.from({ length: count }, (_, i) => frame(from + i));
const STALL_MS = 60_000;

async function readAll(follower: NodeJS.ReadableStream): Promise<string[]> {
  const seen: string[] = [];
  for await (const chunk of follower) seen.push(chunk as string);
  return seen;
}

t.test('frames by sequence number; released logs give their bytes back', async (t) => {
  const budget = new LogBudget(frame(0).length * 3);
  const log = new EventLog(budget, STALL_MS);
  log.append(frame(0) + frame(1));
  t.equal(log.size, 2, 'one frame per event');
  const reading = readAll(log.follow(0));
  log.append(frame(2));
  log.end();
  t.same(await reading, [frame(1), frame(2)], 'after the cursor, then the end');
  t.same(log.release(), frames(0, 3));
  t.ok(budget.take(frame(0).length * 3, new EventLog(budget, STALL_MS)), 'the whole budget is free again');
});

t.test('a log dropped past the budget still feeds its followers every frame to the end', async (t) => {
  const budget = new LogBudget(frame(0).length * 3);
  const log = new EventLog(budget, STALL_MS);
  log.append(frame(0));
  const reading = readAll(log.follow(-1));
  for (let n = 1; n < 10; n++) log.append(frame(n));
  t.ok(log.dropped, 'past the budget its events are not kept');
  t.equal(log.size, 10, 'still counted');
  log.end();
  t.same(await reading, frames(0, 10), 'the follower got every frame, then the end');
  t.equal(log.release(), undefined, 'nothing to store');
  t.throws(() => log.follow(2), 'a dropped log cannot be followed from an old cursor');
  t.ok(budget.take(frame(0).length * 3, new EventLog(budget, STALL_MS)), 'the dropped log gave its bytes back');
});

t.test('past the budget the largest log is dropped, not the one appending', async (t) => {
  const budget = new LogBudget(frame(0).length * 10);
  const big = new EventLog(budget, STALL_MS);
  const small = new EventLog(budget, STALL_MS);
  big.append(frames(0, 7).join(''));
  small.append(frames(0, 3).join(''));
  small.append(frame(3));
  t.ok(big.dropped, 'the largest went');
  t.notOk(small.dropped, 'the small one keeps its events');
  t.same(small.release(), frames(0, 4));
  const alone = new EventLog(budget, STALL_MS);
  alone.append(frames(0, 11).join(''));
  t.ok(alone.dropped, 'one larger than the whole budget drops itself');
});

t.test('a follower takes frames only as its reader asks, and is closed when it stalls', async (t) => {
  const log = new EventLog(new LogBudget(1e9), 50);
  const follower = log.follow(-1);
  follower.pause();
  follower.read(0);
  for (let n = 0; n < 10_000; n++) log.append(frame(n));
  t.ok(follower.readableLength <= 16, `holds no more than its buffer (${follower.readableLength})`);
  await waitFor(() => follower.destroyed, 'the stalled follower to be closed', 2_000);
  t.equal(log.release()?.length, 10_000, 'the log itself is whole');

  const reader = new EventLog(new LogBudget(1e9), 50).follow(-1);
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.notOk(reader.destroyed, 'a follower waiting for events (nothing to read) is not stalled');
  reader.destroy();
});

t.test('a DELETE while a cancel is pending keeps nothing', async (t) => {
  const runs = new BackgroundRuns({ maxRunning: 2, maxLogBytes: 1e6, followerStallMs: STALL_MS });
  const kept: string[] = [];
  const run = runs.start('resp_1', stream(), [], (final) => kept.push(final.id));
  const cancelled = run.cancel();
  const deleted = run.cancel({ discard: true });
  t.ok(run.signal.aborted);
  run.finish();
  t.equal((await cancelled).status, 'cancelled');
  t.equal((await deleted).error, null, 'a cancelled response has no error');
  t.same(kept, [], 'not stored');
  t.equal(runs.running, 0);
});

t.test('a cancel or the time limit once the terminal event is written: the response ends as it says', async (t) => {
  const runs = new BackgroundRuns({ maxRunning: 2, maxLogBytes: 1e6, followerStallMs: STALL_MS, maxRunMs: 30 });
  const s = stream();
  const run = runs.start('resp_3', s, [], () => {});
  run.append(s.start() + s.push(read('gemini-text.sse')) + s.end());
  // The generation has written response.completed but not yet finished the run.
  const cancelled = run.cancel();
  t.notOk(run.signal.aborted, 'nothing left to cut');
  await new Promise((resolve) => setTimeout(resolve, 60));
  run.finish();
  t.equal((await cancelled).status, 'completed');
  t.match(run.log.release()?.at(-1) ?? '', /^event: response\.completed\n/, 'no response.failed after it');
});

t.test('a run past its longest time ends failed, its call cut', async (t) => {
  const runs = new BackgroundRuns({ maxRunning: 2, maxLogBytes: 1e6, followerStallMs: STALL_MS, maxRunMs: 30 });
  const run = runs.start('resp_2', stream(), [], () => {});
  await waitFor(() => run.signal.aborted, 'the run to be cut');
  const last = run.log.release()?.at(-1) ?? '';
  t.match(last, /^event: response\.failed\n/, 'a terminal event for followers');
  const final = run.finish();
  t.equal(final.status, 'failed');
  t.match(final.error, { code: 'server_error', message: /^The background response ran longer than the proxy allows \(\d+ s\)\.$/ });
});
