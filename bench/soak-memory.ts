// The soak's memory scenarios, each in a fresh proxy so one run's retained heap
// does not hide the next one's cost: large request bodies at once, under the
// default PROXY_BODY_MEMORY_MB and a raised one; and an upstream error body
// that is a gzip bomb.

import { randomBytes } from 'node:crypto';
import { BOMB_INFLATED_BYTES, gzipBomb } from './bomb.ts';
import { IMAGE_ENV, IMAGE_NODE_ARGS } from './image-settings.ts';
import { errorCode, post, type Answer } from './post.ts';
import { peakRssMb, resetPeakRss, rssMb } from './proc.ts';
import { stop, type Upstream } from './processes.ts';
import { spawnProxy } from './proxy-process.ts';
import { BENCH_MODEL } from './protocol.ts';

/** As the container image runs it (its NODE_OPTIONS), since the Kubernetes limit is sized from these figures. */
export const PROXY_NODE_ARGS = [...IMAGE_NODE_ARGS];
const MB = 1024 * 1024;

/** An ordinary chat request carrying one ~30 MB base64 image. */
function imageBody(): Buffer {
  const head = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe this.' }, { type: 'image_url', image_url: { url: 'IMAGE' } }] }] });
  const [before, after] = head.split('IMAGE') as [string, string];
  return Buffer.from(`${before}data:image/png;base64,${randomBytes((30 * MB * 3) / 4).toString('base64')}${after}`);
}

/** `{"model":…,"x":[{},{},…]}` of 31 MB: millions of objects if anyone builds the graph. */
function nestedBody(): Buffer {
  const head = `{"model":${JSON.stringify(BENCH_MODEL)},"x":[`;
  const count = Math.floor((31 * MB - head.length - 4) / 3);
  return Buffer.from(`${head}${'{},'.repeat(count)}{}]}`);
}

export interface BodyRun {
  body: 'image' | 'nested';
  bodyMb: number;
  concurrent: number;
  /** PROXY_BODY_MEMORY_MB, or undefined for the default. */
  budgetMb: number | undefined;
  admitted: number;
  refused: number;
  /** Anything but 200 or 503 proxy_overloaded: a finding. */
  other: string[];
  idleRssMb: number;
  peakRssMb: number;
}

const warmUp = (url: string): Promise<Answer> =>
  post(`${url}/v1/chat/completions`, JSON.stringify({ model: BENCH_MODEL, messages: [{ role: 'user', content: 'hi' }] }));

/** Runs each case `repeats` times, each in a fresh proxy; keeps the highest peak (GC timing moves it by ±20 MB). */
export async function bodyMemory(upstream: Upstream, raisedBudgetMb: number, repeats: number, progress: (m: string) => void): Promise<BodyRun[]> {
  const bodies = { image: imageBody(), nested: nestedBody() };
  const cases = [
    { body: 'image', concurrent: 1 },
    { body: 'image', concurrent: 2 },
    { body: 'image', concurrent: 4 },
    { body: 'nested', concurrent: 1 },
  ] as const;
  const runs: BodyRun[] = [];
  for (const budgetMb of [undefined, raisedBudgetMb]) {
    for (const c of cases) {
      progress(`body memory: ${c.concurrent} × ${c.body}, PROXY_BODY_MEMORY_MB=${budgetMb ?? 'default'}, ${repeats} runs`);
      const env: Record<string, string> = budgetMb === undefined ? {} : { PROXY_BODY_MEMORY_MB: String(budgetMb) };
      const tries: BodyRun[] = [];
      for (let i = 0; i < repeats; i++) tries.push(await bodyRun(upstream, bodies[c.body], { ...c, budgetMb }, env));
      const highest = tries.reduce((a, b) => (b.peakRssMb > a.peakRssMb ? b : a));
      const differ = tries.some((t) => t.admitted !== highest.admitted || t.refused !== highest.refused);
      runs.push(differ ? { ...highest, other: [...highest.other, `runs differ: ${tries.map((t) => `${t.admitted}×200 ${t.refused}×503`).join(', ')}`] } : highest);
    }
  }
  return runs;
}

async function bodyRun(upstream: Upstream, body: Buffer, c: Pick<BodyRun, 'body' | 'concurrent' | 'budgetMb'>, env: Record<string, string>): Promise<BodyRun> {
  const proxy = await spawnProxy(upstream, `soak-body-${c.body}-${c.concurrent}-${c.budgetMb ?? 'default'}`, 'info', { nodeArgs: PROXY_NODE_ARGS, env: { ...IMAGE_ENV, ...env } });
  const pid = proxy.child.pid as number;
  try {
    await warmUp(proxy.url);
    const idleRssMb = rssMb(pid);
    resetPeakRss(pid);
    const answers = await Promise.all(Array.from({ length: c.concurrent }, () => post(`${proxy.url}/v1/chat/completions`, body)));
    const refused = answers.filter((a) => a.status === 503 && errorCode(a.text) === 'proxy_overloaded').length;
    const admitted = answers.filter((a) => a.status === 200).length;
    const other = answers.filter((a) => a.status !== 200 && a.status !== 503).map((a) => `${a.status} ${a.error ?? a.text.slice(0, 120)}`);
    return { ...c, bodyMb: body.length / MB, admitted, refused, other, idleRssMb, peakRssMb: peakRssMb(pid) };
  } finally {
    await stop(proxy.child);
  }
}

export interface BombRun {
  bombBytes: number;
  inflatedBytes: number;
  requests: number;
  /** Answers that were 500 with a short OpenAI-shaped error body. */
  shaped: number;
  largestAnswerBytes: number;
  other: string[];
  idleRssMb: number;
  peakRssMb: number;
  /** The proxy still answers an ordinary request afterwards. */
  aliveAfter: boolean;
}

export async function gzipBombRun(upstream: Upstream, concurrent: number): Promise<BombRun> {
  const proxy = await spawnProxy(upstream, 'soak-bomb', 'info', { nodeArgs: PROXY_NODE_ARGS, env: IMAGE_ENV });
  const pid = proxy.child.pid as number;
  try {
    await warmUp(proxy.url);
    const idleRssMb = rssMb(pid);
    resetPeakRss(pid);
    const body = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: 'user', content: 'hi' }], bench_status: 500, bench_gzip_bomb: true });
    const answers = [await post(`${proxy.url}/v1/chat/completions`, body)];
    answers.push(...(await Promise.all(Array.from({ length: concurrent }, () => post(`${proxy.url}/v1/chat/completions`, body)))));
    const isShaped = (a: Answer) => a.status === 500 && a.text.length < 1024 && errorCode(a.text) !== undefined;
    return {
      bombBytes: gzipBomb().length,
      inflatedBytes: BOMB_INFLATED_BYTES,
      requests: answers.length,
      shaped: answers.filter(isShaped).length,
      largestAnswerBytes: Math.max(...answers.map((a) => Buffer.byteLength(a.text))),
      other: answers.filter((a) => !isShaped(a)).map((a) => `${a.status} ${a.error ?? a.text.slice(0, 120)}`),
      idleRssMb,
      peakRssMb: peakRssMb(pid),
      aliveAfter: (await warmUp(proxy.url)).status === 200,
    };
  } finally {
    await stop(proxy.child);
  }
}
