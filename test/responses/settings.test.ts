// The Responses settings: the store's bounds (entries, MB, TTL), the cap on
// background responses, and the per-route responsesApi, with their routes resolved.

import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { RouteTable } from '../../src/config/routing.ts';

const load = (env: Record<string, string> = {}, file?: unknown) =>
  loadConfig({
    env: file === undefined ? env : { PROXY_CONFIG: 'proxy.json', ...env },
    readFile: () => JSON.stringify(file),
    defaultModels: () => [],
  });

t.test('store bounds: defaults, file, environment', async (t) => {
  t.same(load().responsesStore, { maxEntries: 1000, maxBytes: 64 * 1024 * 1024, ttlMs: 86_400_000 });
  t.ok(Object.isFrozen(load().responsesStore));
  t.same(load({}, { responsesStoreEntries: 10, responsesStoreMb: 0.5, responsesStoreTtlSeconds: 60 }).responsesStore, {
    maxEntries: 10,
    maxBytes: 524_288,
    ttlMs: 60_000,
  });
  const env = { PROXY_RESPONSES_STORE_ENTRIES: '0', PROXY_RESPONSES_STORE_MB: '8', PROXY_RESPONSES_STORE_TTL_SECONDS: '3600' };
  t.same(load(env, { responsesStoreEntries: 10 }).responsesStore, { maxEntries: 0, maxBytes: 8 * 1024 * 1024, ttlMs: 3_600_000 }, 'env beats the file; 0 keeps nothing');
  t.throws(() => load({ PROXY_RESPONSES_STORE_ENTRIES: '-1' }), { name: 'ConfigError', message: /PROXY_RESPONSES_STORE_ENTRIES/ });
  t.throws(() => load({ PROXY_RESPONSES_STORE_TTL_SECONDS: '0' }), { name: 'ConfigError', message: /PROXY_RESPONSES_STORE_TTL_SECONDS/ });
});

t.test('background cap: default, file, environment', async (t) => {
  t.equal(load().responsesBackgroundMax, 64);
  t.equal(load({}, { responsesBackgroundMax: 3 }).responsesBackgroundMax, 3);
  t.equal(load({ PROXY_RESPONSES_BACKGROUND_MAX: '0' }, { responsesBackgroundMax: 3 }).responsesBackgroundMax, 0, 'env beats the file; 0 refuses background');
  t.throws(() => load({ PROXY_RESPONSES_BACKGROUND_MAX: '1.5' }), { name: 'ConfigError', message: /PROXY_RESPONSES_BACKGROUND_MAX/ });
});

t.test('responsesApi per route: translate by default, native where set, inherited by aliases', async (t) => {
  const config = load({}, {
    dropParams: ['store'],
    models: { grok: { model: 'xai/grok-4', responsesApi: 'native' }, 'my-grok': { model: 'grok' }, plain: { location: 'global' } },
  });
  const routes = new RouteTable(config);
  t.equal(routes.resolve('grok').responsesApi, 'native');
  t.equal(routes.resolve('my-grok').responsesApi, 'native', 'an alias inherits it');
  t.equal(routes.resolve('plain').responsesApi, 'translate');
  t.equal(routes.resolve('anything-else').responsesApi, 'translate');
  t.same(routes.resolve('anything-else').dropParams, ['store'], 'routes carry the drop list in force');
  t.throws(() => load({}, { models: { x: { responsesApi: 'maybe' } } }), { name: 'ConfigError', message: /models\.x\.responsesApi/ });
});
