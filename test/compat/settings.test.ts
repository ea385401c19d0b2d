// The Gemini 3 settings: dropParams (top level and per route), the
// thought-signature fallback, memory size and TTL, and the default location.

import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { DEFAULT_DROP_PARAMS } from '../../src/compat/drop-params.ts';

const load = (env: Record<string, string> = {}, file?: unknown) =>
  loadConfig({
    env: file === undefined ? env : { PROXY_CONFIG: 'proxy.json', ...env },
    readFile: () => JSON.stringify(file),
    defaultModels: () => [],
  });

t.test('defaults: global location, the documented drop list, the fallback on', async (t) => {
  const config = load();
  t.equal(config.location, 'global');
  t.same(config.dropParams, DEFAULT_DROP_PARAMS);
  t.same(config.thoughtSignatures, { fallback: true, maxEntries: 10_000, ttlMs: 86_400_000 });
  t.ok(Object.isFrozen(config.thoughtSignatures));
});

t.test('dropParams from the file, the environment, and turned off', async (t) => {
  t.same(load({}, { dropParams: ['store', 'logprobs', 'store'] }).dropParams, ['store', 'logprobs']);
  t.same(load({}, { dropParams: 'store, verbosity' }).dropParams, ['store', 'verbosity']);
  t.same(load({}, { dropParams: [] }).dropParams, [], 'an empty list turns dropping off');
  t.same(load({ PROXY_DROP_PARAMS: 'user,metadata' }, { dropParams: ['store'] }).dropParams, ['user', 'metadata'], 'env beats the file');
  t.same(load({ PROXY_DROP_PARAMS: 'none' }).dropParams, [], '"none" turns it off from the environment');
  t.same(load({ PROXY_DROP_PARAMS: '  ' }).dropParams, DEFAULT_DROP_PARAMS, 'blank env is unset');
});

t.test('bad dropParams are refused with the key named', async (t) => {
  t.throws(() => load({ PROXY_DROP_PARAMS: 'store,bad name' }), { name: 'ConfigError', message: /PROXY_DROP_PARAMS/ });
  t.throws(() => load({}, { dropParams: ['model'] }), { name: 'ConfigError', message: /dropParams: "model" cannot be dropped/ });
  t.throws(() => load({}, { dropParams: { store: true } }), { name: 'ConfigError', message: /proxy\.json: dropParams/ });
});

t.test('per-route dropParams replace the top-level list, and aliases inherit them', async (t) => {
  const config = load({}, {
    dropParams: ['store'],
    models: {
      'my-vllm': { endpoint: '123', dropParams: [] },
      strict: { model: 'google/gemini-3.5-flash', dropParams: ['store', 'logprobs'] },
      'strict-alias': { model: 'strict' },
      plain: { model: 'google/gemini-3.1-pro-preview' },
    },
  });
  t.same(config.models['my-vllm']?.dropParams, []);
  t.same(config.models.strict?.dropParams, ['store', 'logprobs']);
  t.same(config.models['strict-alias']?.dropParams, ['store', 'logprobs'], 'inherited through the alias');
  t.equal(config.models.plain?.dropParams, undefined, 'unset: the top-level list applies');
  t.throws(() => load({}, { models: { a: { dropParams: ['model'] } } }), { name: 'ConfigError', message: /models\.a\.dropParams/ });
});

t.test('thought-signature settings from env and file', async (t) => {
  const fromEnv = load({ PROXY_THOUGHT_SIGNATURE_FALLBACK: 'off', PROXY_THOUGHT_SIGNATURE_MEMORY: '500', PROXY_THOUGHT_SIGNATURE_TTL_SECONDS: '90' });
  t.same(fromEnv.thoughtSignatures, { fallback: false, maxEntries: 500, ttlMs: 90_000 });
  const fromFile = load({}, { thoughtSignatureFallback: false, thoughtSignatureMemory: 0, thoughtSignatureTtlSeconds: 1.5 });
  t.same(fromFile.thoughtSignatures, { fallback: false, maxEntries: 0, ttlMs: 1500 });
  t.throws(() => load({ PROXY_THOUGHT_SIGNATURE_FALLBACK: 'maybe' }), { name: 'ConfigError', message: /PROXY_THOUGHT_SIGNATURE_FALLBACK/ });
  t.throws(() => load({ PROXY_THOUGHT_SIGNATURE_MEMORY: '1.5' }), { name: 'ConfigError', message: /PROXY_THOUGHT_SIGNATURE_MEMORY/ });
  t.throws(() => load({}, { thoughtSignatureTtlSeconds: 0 }), { name: 'ConfigError', message: /thoughtSignatureTtlSeconds/ });
});

t.test('a region stays one setting away', async (t) => {
  t.equal(load({ GOOGLE_CLOUD_LOCATION: 'europe-west4' }).location, 'europe-west4');
  t.equal(load({}, { location: 'us' }).location, 'us');
});
