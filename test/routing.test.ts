// Config validation of the models map, and the router built from it.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { loadConfig } from '../src/config/load.ts';
import { RouteTable, Router, type RouteDefaults } from '../src/config/routing.ts';
import { FIELDS } from '../src/config/settings.ts';

const defaults: RouteDefaults = {
  baseUrl: undefined,
  apiVersion: 'v1',
  project: 'proj',
  location: 'us-central1',
  endpoint: 'openapi',
  headers: {},
};

function configWith(models: unknown, extra: Record<string, unknown> = {}) {
  const file = JSON.stringify({ models, ...extra });
  return loadConfig({ env: { PROXY_CONFIG: 'proxy.json' }, readFile: () => file, defaultModels: () => ['google/gemini-2.5-flash'] });
}

function yamlConfig(text: string) {
  return loadConfig({ env: { PROXY_CONFIG: 'proxy.yaml' }, readFile: () => text, defaultModels: () => [] });
}

t.test('the issue example routes every entry as written', async (t) => {
  const config = yamlConfig(`
models:
  my-llama:
    endpoint: "1234567890"
    location: europe-west4
    apiVersion: v1beta1
  gpt-4o:
    model: google/gemini-2.5-flash
  eu-gemini:
    model: google/gemini-2.5-pro
    location: [europe-west1, europe-west4]
  tuned:
    endpoint: "987654321"
    location: us-central1
    baseUrl: https://987654321.us-central1-123456.prediction.vertexai.goog
    headers: { X-Vertex-AI-LLM-Request-Type: dedicated }
`);
  const router = new Router({ ...defaults, headers: { 'x-team': 'a' } }, config.models);

  const llama = router.resolve('my-llama');
  t.equal(llama.upstreamModel, undefined, 'not an alias: body untouched');
  t.same(llama.targets, [{ baseUrl: undefined, apiVersion: 'v1beta1', project: 'proj', location: 'europe-west4', endpoint: '1234567890' }]);

  const alias = router.resolve('gpt-4o');
  t.equal(alias.upstreamModel, 'google/gemini-2.5-flash');
  t.same(alias.targets, [{ baseUrl: undefined, apiVersion: 'v1', project: 'proj', location: 'us-central1', endpoint: 'openapi' }]);

  const eu = router.resolve('eu-gemini');
  t.same(eu.targets.map((x) => x.location), ['europe-west1', 'europe-west4']);

  const tuned = router.resolve('tuned');
  t.equal(tuned.targets[0]?.baseUrl, 'https://987654321.us-central1-123456.prediction.vertexai.goog');
  t.same(tuned.headers, { 'x-team': 'a', 'x-vertex-ai-llm-request-type': 'dedicated' });

  const other = router.resolve('google/gemini-2.0-flash-001');
  t.equal(other.upstreamModel, undefined, 'unlisted models go to the default route unchanged');
  t.same(other.targets, [{ baseUrl: undefined, apiVersion: 'v1', project: 'proj', location: 'us-central1', endpoint: 'openapi' }]);
  t.equal(router.resolve(undefined), other);
});

t.test('aliases may chain; the outer entry overrides what it sets', async (t) => {
  const config = configWith({
    fast: { model: 'eu-flash', project: 'other-proj' },
    'eu-flash': { model: 'google/gemini-2.5-flash', location: ['europe-west1', 'europe-west4'] },
  });
  const route = new Router(defaults, config.models).resolve('fast');
  t.equal(route.upstreamModel, 'google/gemini-2.5-flash');
  t.same(route.targets.map((x) => [x.project, x.location]), [['other-proj', 'europe-west1'], ['other-proj', 'europe-west4']]);
});

t.test('an entry whose model is its own name is a route, not an alias', async (t) => {
  const config = configWith({ 'google/gemini-2.5-pro': { model: 'google/gemini-2.5-pro', location: 'global' } });
  const route = new Router(defaults, config.models).resolve('google/gemini-2.5-pro');
  t.equal(route.upstreamModel, undefined);
  t.equal(route.targets[0]?.location, 'global');
});

t.test('bad entries stop the daemon with a message naming entry and key', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ a: { locaton: 'us-central1' } }, /proxy\.json: models\.a: unknown key "locaton"/],
    [{ a: { location: 'europe west4' } }, /models\.a\.location \("europe west4"\): must be a Vertex AI location/],
    [{ a: { location: ['europe-west1', 'Mars'] } }, /models\.a\.location\[1\] \("Mars"\)/],
    [{ a: { location: [] } }, /models\.a\.location/],
    [{ a: { endpoint: 'my-endpoint' } }, /models\.a\.endpoint \("my-endpoint"\): must be "openapi" or a numeric endpoint ID/],
    [{ a: { apiVersion: 'v2' } }, /models\.a\.apiVersion \("v2"\): must be one of v1, v1beta1/],
    [{ a: { baseUrl: 'https://x.example/path' } }, /models\.a\.baseUrl/],
    [{ a: { headers: { 'bad header': 'x' } } }, /models\.a\.headers\.bad header/],
    [{ a: { model: 'b' }, b: { model: 'a' } }, /models\.a: alias loop a → b → a/],
    [{ a: { model: 'b' }, b: { model: 'c' }, c: { model: 'b' } }, /alias loop a → b → c → b/],
    [{ a: 'us-central1' }, /models\.a/],
    [['a'], /models/],
  ];
  for (const [models, message] of cases) {
    t.throws(() => configWith(models), { name: 'ConfigError', message }, JSON.stringify(models));
  }
  t.throws(() => configWith({}, { modles: {} }), { name: 'ConfigError', message: /proxy\.json: unknown key "modles"/ });
});

t.test('the token goes out over https, or plain http only to this machine', async (t) => {
  const cleartext = /an https URL \(plain http only to this machine: the access token would cross the network in the clear\)/;
  t.throws(() => configWith({ a: { baseUrl: 'http://psc-endpoint.corp.example' } }), { name: 'ConfigError', message: /models\.a\.baseUrl/ });
  t.throws(() => loadConfig({ env: { VERTEX_BASE_URL: 'http://10.1.2.3:8080' } }), { name: 'ConfigError', message: cleartext });
  t.throws(() => loadConfig({ env: { VERTEX_BASE_URL: 'http://127.0.0.1.example' } }), { name: 'ConfigError', message: /VERTEX_BASE_URL/ });
  for (const url of ['https://psc-endpoint.corp.example', 'http://127.0.0.1:9000', 'http://localhost:9000', 'http://[::1]:9000']) {
    t.equal(loadConfig({ env: { VERTEX_BASE_URL: url } }).baseUrl, url, url);
  }
  t.equal(configWith({ a: { baseUrl: 'https://1234.us-central1-5678.prediction.vertexai.goog' } }).models['a']?.baseUrl, 'https://1234.us-central1-5678.prediction.vertexai.goog');
});

t.test('every web origin allowed (PROXY_CORS_ORIGINS=*) only behind an API key', async (t) => {
  t.throws(() => loadConfig({ env: { PROXY_CORS_ORIGINS: '*' } }), { name: 'ConfigError', message: /PROXY_CORS_ORIGINS \(corsOrigins\) "\*" needs PROXY_API_KEY/ });
  t.throws(() => configWith({}, { corsOrigins: ['https://app.example', '*'] }), { name: 'ConfigError', message: /any web page open in your browser could spend your Google credentials/ });
  t.same(loadConfig({ env: { PROXY_CORS_ORIGINS: '*', PROXY_API_KEY: 'k' } }).corsOrigins, ['*']);
  t.same(loadConfig({ env: { PROXY_CORS_ORIGINS: 'https://app.example' } }).corsOrigins, ['https://app.example']);
});

t.test('the route table lists configured names plus the default list, once each', async (t) => {
  const config = configWith({ 'gpt-4o': { model: 'google/gemini-2.5-flash' }, 'google/gemini-2.5-flash': {} });
  const table = new RouteTable(config);
  t.same(table.modelIds(), ['gpt-4o', 'google/gemini-2.5-flash']);
});

t.test('listedModels in the file replaces the shipped default list', async (t) => {
  const config = configWith({}, { listedModels: ['google/gemini-2.5-pro'] });
  t.same(config.listedModels, ['google/gemini-2.5-pro']);
});

t.test('the shipped default model list is read from config/', async (t) => {
  const config = loadConfig({ env: {} });
  t.ok(config.listedModels.length > 0);
  t.ok(config.listedModels.includes('google/gemini-3.5-flash'), 'a current Gemini model');
  t.ok(config.listedModels.every((id) => /^[a-z0-9-]+\/[\w.-]+$/.test(id)), 'publisher/model IDs as the OpenAI-compatible endpoint takes them');
});

t.test('the shipped example config is valid', async (t) => {
  const config = loadConfig({ env: { PROXY_CONFIG: new URL('../config/example.yaml', import.meta.url).pathname } });
  t.same(Object.keys(config.models), ['my-llama', 'gpt-4o', 'eu-gemini', 'tuned']);
  t.same(config.models['eu-gemini']?.locations, ['europe-west1', 'europe-west4']);
});

t.test('the shipped example config names every key, as the README says', async (t) => {
  const example = readFileSync(new URL('../config/example.yaml', import.meta.url), 'utf8');
  for (const key of Object.keys(FIELDS)) t.match(example, new RegExp(`^#? ?${key}:`, 'm'), key);
});

t.test('configured headers may not take over what the proxy sets', async (t) => {
  for (const name of ['Authorization', 'host', 'Content-Length', 'connection', 'Transfer-Encoding']) {
    t.throws(() => configWith({ a: { headers: { [name]: 'x' } } }), { name: 'ConfigError', message: new RegExp(`models\\.a\\.headers\\.${name}`) });
    t.throws(() => configWith({}, { headers: { [name]: 'x' } }), { name: 'ConfigError', message: new RegExp(`proxy\\.json: headers\\.${name}`) });
  }
});

t.test('a config file that does not parse is reported without the text around the fault', async (t) => {
  const secret = 'SECRETHEADERVAL';
  const files: Array<[string, string, RegExp]> = [
    ['proxy.yaml', `headers:\n  x-api-key: ${secret}: bad\n`, /^Config file proxy\.yaml is not valid YAML: Nested mappings are not allowed in compact mappings at line 2, column 14$/],
    ['proxy.json', `{"apiKeys": sk-${secret}}`, /^Config file proxy\.json is not valid JSON: Unexpected token 's' in the JSON text \(not shown\)$/],
    ['proxy.json', `{"apiKeys": "sk-${secret}`, /^Config file proxy\.json is not valid JSON: Unterminated string in JSON at position \d+/],
  ];
  for (const [name, text, message] of files) {
    t.throws(() => loadConfig({ env: { PROXY_CONFIG: name }, readFile: () => text, defaultModels: () => [] }), { name: 'ConfigError', message }, name);
  }
});

t.test('a bad API key or header value is reported without its value (the message may reach a log)', async (t) => {
  const secret = 'sk-live-SECRET123';
  const cases: Array<[unknown, unknown, RegExp]> = [
    [{}, { apiKeys: { primary: secret } }, /proxy\.json: apiKeys \(a map, not shown\): must be a comma-separated string or a list of strings/],
    [{}, { apiKeys: [{ key: secret }] }, /apiKeys \(a map, not shown\)/],
    [{}, { headers: { 'x-api-key': `${secret}\nX-Other: 1` } }, /proxy\.json: headers\.x-api-key \(a string, not shown\)/],
    [{}, { headers: { authorization: `Bearer ${secret}` } }, /headers\.authorization \(a string, not shown\): must be a header the proxy does not set itself/],
    [{ a: { headers: { 'x-key': [secret] } } }, {}, /models\.a\.headers\.x-key \(a list, not shown\)/],
    [{}, { headers: secret }, /proxy\.json: headers \(a string, not shown\)/],
  ];
  for (const [models, rest, message] of cases) {
    const err = (() => {
      try {
        configWith(models, rest as Record<string, unknown>);
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    t.match(err, { name: 'ConfigError', message }, JSON.stringify(rest));
    t.notMatch(err?.message ?? '', /SECRET123/, 'the value is not in the message');
  }
});
