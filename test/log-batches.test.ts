// The log's batches: lines reach the writer together, in order, once a batch
// is full, on the interval, or on a flush; and through pino and sonic-boom
// into a real file.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import t from 'tap';
import { LineBatches, type LineWriter } from '../src/observability/log-batches.ts';
import { createLogger } from '../src/observability/logger.ts';
import { waitFor } from './helpers/wait.ts';

class RecordingWriter implements LineWriter {
  readonly writes: string[] = [];
  write(data: string): void {
    this.writes.push(data);
  }
  flush(callback: () => void): void {
    callback();
  }
}

t.test('a batch is written whole once it holds the limit, never line by line', async (t) => {
  const writer = new RecordingWriter();
  const batches = new LineBatches(writer, { characters: 10, intervalMs: 60_000 });
  batches.write('abc\n');
  batches.write('def\n');
  t.same(writer.writes, [], 'nothing yet: 8 characters');
  batches.write('ghi\n');
  t.same(writer.writes, ['abc\ndef\nghi\n'], 'one write of the three lines');
  batches.write('jkl\n');
  batches.writePending();
  t.same(writer.writes, ['abc\ndef\nghi\n', 'jkl\n'], 'writePending writes the rest');
  batches.writePending();
  t.equal(writer.writes.length, 2, 'an empty batch is not written');
});

t.test('a quiet logger’s lines still go out on the interval, and flush(callback) writes them first', async (t) => {
  const writer = new RecordingWriter();
  const batches = new LineBatches(writer, { characters: 4096, intervalMs: 10 });
  batches.write('one\n');
  await waitFor(() => writer.writes.length === 1, 'the interval wrote the batch');
  t.same(writer.writes, ['one\n']);
  batches.write('two\n');
  await new Promise<void>((resolve) => batches.flush(() => resolve()));
  t.same(writer.writes, ['one\n', 'two\n']);
});

t.test('through pino and sonic-boom into a file: every line, in order, once flushed', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'log-batches-')), 'log.ndjson');
  const out = pino.destination({ dest: file, sync: true, mkdir: true });
  t.teardown(() => out.destroy());
  const logger = createLogger('info', new LineBatches(out, { characters: 512, intervalMs: 60_000 }));
  for (let i = 0; i < 50; i++) logger.info({ i, note: 'é…' }, 'line');
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { i: number; note: string });
  t.same(lines.map((line) => line.i), Array.from({ length: 50 }, (_, i) => i));
  t.equal(lines[49]?.note, 'é…', 'text beyond ASCII intact');
});

t.test('lines still batched when the process exits by itself go out with it', async (t) => {
  const logger = new URL('../src/observability/logger.ts', import.meta.url).href;
  // No graceful close, no flush: the process just runs out of work, as after a failed start.
  const script = `const { createLogger } = await import(${JSON.stringify(logger)}); createLogger('info').info('last words');`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--no-warnings', '-e', script]);
  t.match(stdout, /"msg":"last words"/);
});

t.test('a stdout that fails (a full disk) does not keep the process from exiting', async (t) => {
  const logger = new URL('../src/observability/logger.ts', import.meta.url).href;
  const script = `const { createLogger } = await import(${JSON.stringify(logger)}); createLogger('info').info('into a full disk');`;
  const child = spawn(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], { stdio: ['ignore', openSync('/dev/full', 'w'), 'ignore'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const limit = setTimeout(() => child.kill('SIGKILL'), 10_000);
  t.teardown(() => clearTimeout(limit));
  t.not(await exited, null, 'the process ended by itself, not killed');
});
