// The relay between the upstream chat stream and the client's Responses
// stream: it reads upstream only as fast as the client reads, ends with
// response.completed or response.failed, and cuts the upstream when the
// client goes away.

import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import t from 'tap';
import { relayEvents } from '../../src/responses/event-relay.ts';
import type { ResponseObject } from '../../src/responses/response-types.ts';
import { parseFrames, stream } from './events.ts';

const CHUNK = (i: number) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: `part${i} ` }, finish_reason: null }] })}\n\n`;

function rig() {
  const upstream = new PassThrough();
  upstream.pause(); // as callUpstream hands it over
  const finished: ResponseObject[] = [];
  const breaks: Error[] = [];
  const out = relayEvents(upstream, stream(), { onBreak: (err) => breaks.push(err), onFinish: (r) => finished.push(r) });
  return { upstream, out, finished, breaks };
}

async function readAll(out: Readable): Promise<string> {
  let text = '';
  for await (const frames of out) text += String(frames);
  return text;
}

t.test('a slow client holds the upstream back; every chunk still arrives, then response.completed', async (t) => {
  const { upstream, out, finished } = rig();
  const chunks = 2000;
  for (let i = 0; i < chunks; i++) upstream.write(CHUNK(i));
  upstream.end('data: [DONE]\n\n');
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.ok(out.readableLength <= 20, `only a few frames wait for the client (${out.readableLength})`);
  t.ok(upstream.readableLength > 100_000, 'the rest stays upstream, unread');
  t.equal(upstream.isPaused(), true, 'the upstream is paused');
  const events = parseFrames(await readAll(out));
  t.equal(events.filter((e) => e.type === 'response.output_text.delta').length, chunks);
  t.equal(events.at(-1)?.type, 'response.completed');
  t.equal(finished.length, 1);
  t.equal(finished[0]?.status, 'completed');
});

t.test('response.created goes out before any upstream byte', async (t) => {
  const { upstream, out } = rig();
  await once(out, 'readable');
  const first = out.read() as string;
  t.same(parseFrames(first).map((e) => e.type), ['response.created', 'response.in_progress']);
  upstream.end('data: [DONE]\n\n');
  t.equal(parseFrames(await readAll(out)).at(-1)?.type, 'response.completed');
});

t.test('an upstream that breaks off: response.failed, reported once, not completed', async (t) => {
  const { upstream, out, finished, breaks } = rig();
  upstream.write(CHUNK(0));
  setTimeout(() => upstream.destroy(new Error('socket hang up')), 10);
  const events = parseFrames(await readAll(out));
  t.same(events.slice(-1).map((e) => e.type), ['response.failed']);
  t.equal(breaks.length, 1);
  t.equal(finished[0]?.status, 'failed');
});

t.test('a client that leaves mid-answer cuts the upstream; one that stays after the end lets it drain', async (t) => {
  const left = rig();
  left.upstream.write(CHUNK(0));
  await once(left.out, 'readable');
  left.out.destroy();
  await once(left.upstream, 'close');
  t.equal(left.upstream.destroyed, true, 'the upstream body is destroyed');
  t.equal(left.finished.length, 0, 'nothing is kept');

  const stayed = rig();
  stayed.upstream.write(`${CHUNK(0)}data: [DONE]\n\n`);
  await readAll(stayed.out);
  stayed.upstream.end(': trailing comment\n\n');
  await once(stayed.upstream, 'end');
  t.equal(stayed.upstream.readableEnded, true, 'read to its end instead, so its connection can be reused');
});
