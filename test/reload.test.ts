// Hot reload: SIGHUP and file changes swap the routes; a bad file keeps the
// old ones; a stream under way is never dropped.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/load.ts';
import { reloadRoutes, watchForReload } from '../src/config/reload.ts';
import { startHarness } from './helpers/harness.ts';
import { waitFor } from './helpers/wait.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

const POLL_MS = 20;

const routesTo = (location: string) => JSON.stringify({ models: { team: { model: 'google/gemini-2.5-flash', location } } });

async function setup(t: Test) {
  const path = join(scratchDir('vop-reload-'), 'proxy.json');
  writeFileSync(path, routesTo('europe-west1'));
  const h = await startHarness(t, { env: { PROXY_CONFIG: path }, vertex: { chunks: 5, chunkDelayMs: 100 } });
  const env = { PROXY_CONFIG: path, VERTEX_BASE_URL: h.vertex.baseUrl };
  const options = { routes: h.routes, loadConfig: () => loadConfig({ env }), logger: h.logger };
  const base = await h.listen();
  const send = (stream = false) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'team', stream, messages: [] }),
    });
  const lastLocation = () => /locations\/([^/]+)/.exec(h.vertex.last?.url ?? '')?.[1];
  return { h, path, options, send, lastLocation };
}

t.test('SIGHUP reloads the routes while a stream keeps flowing', async (t) => {
  const { h, path, options, send, lastLocation } = await setup(t);
  const stop = watchForReload(options, undefined);
  t.teardown(stop);

  const streaming = await send(true);
  t.equal(lastLocation(), 'europe-west1');

  writeFileSync(path, routesTo('europe-west4'));
  process.kill(process.pid, 'SIGHUP');
  await waitFor(() => h.logs.some((line) => line.includes('routes reloaded')), 'the reload');

  await (await send()).text();
  t.equal(lastLocation(), 'europe-west4', 'new requests take the new route');

  const body = await streaming.text();
  t.match(body, /part4 [\s\S]*data: \[DONE\]/, 'the stream that started before the reload completed');
});

t.test('a changed file is picked up without a signal', async (t) => {
  const { h, path, options, send, lastLocation } = await setup(t);
  const stop = watchForReload(options, path, POLL_MS);
  t.teardown(stop);
  await rewriteUntilReloaded(h.logs, path, routesTo('asia-northeast1'), POLL_MS);
  await (await send()).text();
  t.equal(lastLocation(), 'asia-northeast1');
});

/**
 * The watcher's first look at the file comes a poll after it starts, and it
 * reloads once the file has stopped changing: rewrite the file every few polls
 * until a reload shows, rather than guess a delay.
 */
async function rewriteUntilReloaded(logs: readonly string[], path: string, content: string, pollMs: number): Promise<void> {
  const before = logs.filter((line) => line.includes('config file changed')).length;
  let writes = 0;
  let lastWrite = 0;
  await waitFor(
    () => {
      if (Date.now() - lastWrite > 5 * pollMs) {
        writeFileSync(path, content + ' '.repeat(++writes % 2)); // a new size each time
        lastWrite = Date.now();
      }
      return logs.filter((line) => line.includes('config file changed')).length > before;
    },
    'the file watcher',
    15_000,
  );
}

t.test('a file caught half-written is never applied: the reload waits until the file stops changing', async (t) => {
  const path = join(scratchDir('vop-reload-'), 'proxy.yaml');
  const routes = (location: string) => `models:\n  team:\n    model: google/gemini-2.5-flash\n    location: [${location}]\n`;
  writeFileSync(path, routes('europe-west1'));
  const h = await startHarness(t, { env: { PROXY_CONFIG: path } });
  const options = { routes: h.routes, loadConfig: () => loadConfig({ env: { PROXY_CONFIG: path, VERTEX_BASE_URL: h.vertex.baseUrl } }), logger: h.logger };
  // Long polls: the half-written file must stay for one poll and be gone before the second.
  const pollMs = 150;
  const stop = watchForReload(options, path, pollMs);
  t.teardown(stop);
  const seen = new Set<string>();
  const sample = () => seen.add(h.routes.resolve('team').targets.map((target) => target.location).join());
  const sampler = setInterval(sample, 5);
  t.teardown(() => clearInterval(sampler));
  await rewriteUntilReloaded(h.logs, path, routes('europe-west4'), pollMs);

  // An editor writing in two steps: the first still parses, routing the alias to the default location.
  writeFileSync(path, 'models:\n  team:\n    model: google/gemini-2.5-flash\n');
  await new Promise((resolve) => setTimeout(resolve, pollMs));
  writeFileSync(path, routes('asia-northeast1'));
  await waitFor(() => h.routes.resolve('team').targets[0]?.location === 'asia-northeast1', 'the whole new file');
  sample();
  t.same([...seen], ['europe-west1', 'europe-west4', 'asia-northeast1'], 'the routes never pointed anywhere else');
});

t.test('a bad new file is rejected with a log line and the old routes stay', async (t) => {
  const { h, path, options, send, lastLocation } = await setup(t);
  writeFileSync(path, JSON.stringify({ models: { team: { location: 'not a location' } } }));
  t.equal(reloadRoutes(options, 'test'), false);
  const rejected = h.logs.map((line) => JSON.parse(line)).find((entry) => entry.msg?.includes('reload rejected'));
  t.equal(rejected?.level, 50, 'logged at error level');
  t.match(rejected?.err?.message, /models\.team\.location/, 'naming the bad key');

  writeFileSync(path, '{ not json');
  t.equal(reloadRoutes(options, 'test'), false);

  await (await send()).text();
  t.equal(lastLocation(), 'europe-west1', 'still the old route');
});

t.test('an empty or model-less file after a start with models is rejected; the routes stay', async (t) => {
  const { h, path, options, send, lastLocation } = await setup(t);
  for (const content of ['', '{}', JSON.stringify({ logLevel: 'info' })]) {
    writeFileSync(path, content);
    t.equal(reloadRoutes(options, 'test'), false, JSON.stringify(content));
  }
  t.ok(h.logs.some((line) => line.includes('routes no models while the current routes do')), 'a log line says why');
  await (await send()).text();
  t.equal(lastLocation(), 'europe-west1', 'the alias still goes to its pinned location');
});

t.test('YAML config files: a repeated model key is an error naming it', async (t) => {
  const path = join(scratchDir('vop-yaml-'), 'proxy.yaml');
  writeFileSync(path, 'models:\n  team:\n    location: europe-west1\n  team:\n    location: us-east1\n');
  t.throws(() => loadConfig({ env: { PROXY_CONFIG: path } }), /duplicate key "models\.team"/);
  writeFileSync(path, 'models:\n  team:\n    location: europe-west1\n  other:\n    model: team\n');
  t.same(Object.keys(loadConfig({ env: { PROXY_CONFIG: path } }).models), ['team', 'other']);
});
