// The signature memory: bounded by count, size and age, with an injected clock.

import t from 'tap';
import { SignatureMemory } from '../../src/compat/signature-memory.ts';

function clock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

t.test('remembers and recalls by tool-call id', async (t) => {
  const memory = new SignatureMemory({ maxEntries: 10, ttlMs: 60_000 });
  memory.remember('call_1', 'SIG1');
  memory.remember('call_2', 'SIG2');
  t.equal(memory.recall('call_1'), 'SIG1');
  t.equal(memory.recall('call_2'), 'SIG2');
  t.equal(memory.recall('call_3'), undefined);
  t.equal(memory.size, 2);
});

t.test('a newer signature for the same id replaces the older one', async (t) => {
  const memory = new SignatureMemory({ maxEntries: 10, ttlMs: 60_000 });
  memory.remember('a', 'old');
  memory.remember('a', 'new');
  t.equal(memory.recall('a'), 'new');
  t.equal(memory.size, 1);
});

t.test('forgets entries once their TTL has passed since their last use', async (t) => {
  const c = clock();
  const memory = new SignatureMemory({ maxEntries: 10, ttlMs: 1_000, now: c.now });
  memory.remember('a', 'A');
  memory.remember('b', 'B');
  c.advance(999);
  t.equal(memory.recall('a'), 'A', 'restored: kept another TTL from now');
  c.advance(1);
  t.equal(memory.recall('b'), undefined, 'expired exactly at the TTL');
  t.equal(memory.size, 1, 'and dropped on the way');
  c.advance(998);
  t.equal(memory.recall('a'), 'A');
  c.advance(1_000);
  t.equal(memory.recall('a'), undefined);
  t.equal(memory.size, 0);
});

t.test('a signature a long turn keeps restoring outlives newer ones when the memory is full', async (t) => {
  // Google checks every step of the current turn on each request: step 1 is read again at every step.
  const memory = new SignatureMemory({ maxEntries: 3, ttlMs: 60_000 });
  memory.remember('x-step-1', 'X1');
  memory.remember('x-step-2', 'X2');
  t.equal(memory.recall('x-step-1'), 'X1');
  memory.remember('y-1', 'Y1');
  memory.remember('y-2', 'Y2');
  t.equal(memory.recall('x-step-1'), 'X1', 'the least recently used went instead');
  t.equal(memory.recall('x-step-2'), undefined);
});

t.test('expired entries are swept from the front when new ones arrive', async (t) => {
  const c = clock();
  const memory = new SignatureMemory({ maxEntries: 10, ttlMs: 1_000, now: c.now });
  memory.remember('a', 'A');
  memory.remember('b', 'B');
  c.advance(1_500);
  memory.remember('c', 'C');
  t.equal(memory.size, 1);
  t.equal(memory.recall('c'), 'C');
});

t.test('the oldest entries go first when the count limit is reached', async (t) => {
  const memory = new SignatureMemory({ maxEntries: 3, ttlMs: 60_000 });
  for (const id of ['a', 'b', 'c', 'd']) memory.remember(id, id.toUpperCase());
  t.equal(memory.size, 3);
  t.equal(memory.recall('a'), undefined);
  t.same(['b', 'c', 'd'].map((id) => memory.recall(id)), ['B', 'C', 'D']);
  memory.remember('b', 'B2');
  memory.remember('e', 'E');
  t.equal(memory.recall('c'), undefined, 'a re-remembered id counts as new');
  t.equal(memory.recall('b'), 'B2');
});

t.test('the total size is bounded too', async (t) => {
  const memory = new SignatureMemory({ maxEntries: 100, ttlMs: 60_000, maxChars: 30 });
  memory.remember('a', 'x'.repeat(10));
  memory.remember('b', 'y'.repeat(10));
  memory.remember('c', 'z'.repeat(10));
  t.equal(memory.recall('a'), undefined);
  t.equal(memory.recall('c'), 'z'.repeat(10));
});

t.test('ignores empty ids and signatures, and a zero-sized memory keeps nothing', async (t) => {
  const memory = new SignatureMemory({ maxEntries: 5, ttlMs: 60_000 });
  memory.remember('', 'S');
  memory.remember('a', '');
  t.equal(memory.size, 0);
  const off = new SignatureMemory({ maxEntries: 0, ttlMs: 60_000 });
  off.remember('a', 'A');
  t.equal(off.recall('a'), undefined);
});
