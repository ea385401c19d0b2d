// URL building as a table: config in, Vertex AI URL out. Pure, no servers.

import t from 'tap';
import { loadConfig } from '../src/config/load.ts';
import { defaultBaseUrl, endpointPath, OPERATIONS, upstreamUrl, type EndpointTarget, type Operation } from '../src/proxy/upstream-url.ts';

const base: EndpointTarget = { apiVersion: 'v1', project: 'my-proj', location: 'us-central1', endpoint: 'openapi' };

const cases: [string, Partial<EndpointTarget>, Operation, string][] = [
  ['regional', {}, 'chat/completions', 'https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions'],
  ['regional europe', { location: 'europe-west4' }, 'embeddings', 'https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/endpoints/openapi/embeddings'],
  ['global', { location: 'global' }, 'chat/completions', 'https://aiplatform.googleapis.com/v1/projects/my-proj/locations/global/endpoints/openapi/chat/completions'],
  ['multi-region us', { location: 'us' }, 'chat/completions', 'https://aiplatform.us.rep.googleapis.com/v1/projects/my-proj/locations/us/endpoints/openapi/chat/completions'],
  ['multi-region eu', { location: 'eu' }, 'completions', 'https://aiplatform.eu.rep.googleapis.com/v1/projects/my-proj/locations/eu/endpoints/openapi/completions'],
  ['numeric endpoint ID', { endpoint: '1234567890123456789' }, 'chat/completions', 'https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/endpoints/1234567890123456789/chat/completions'],
  ['v1beta1', { apiVersion: 'v1beta1' }, 'chat/completions', 'https://us-central1-aiplatform.googleapis.com/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions'],
  ['VERTEX_BASE_URL replaces scheme and host only', { baseUrl: 'http://127.0.0.1:9999', location: 'europe-west4' }, 'embeddings', 'http://127.0.0.1:9999/v1/projects/my-proj/locations/europe-west4/endpoints/openapi/embeddings'],
  ['VERTEX_BASE_URL with global', { baseUrl: 'https://psc.example.internal', location: 'global' }, 'chat/completions', 'https://psc.example.internal/v1/projects/my-proj/locations/global/endpoints/openapi/chat/completions'],
  ['project number', { project: '123456789012' }, 'chat/completions', 'https://us-central1-aiplatform.googleapis.com/v1/projects/123456789012/locations/us-central1/endpoints/openapi/chat/completions'],
];

t.test('upstream URL table', async (t) => {
  for (const [name, override, operation, expected] of cases) {
    t.equal(upstreamUrl({ ...base, ...override }, operation), expected, name);
  }
});

t.test('default base URL per location kind', async (t) => {
  t.equal(defaultBaseUrl('us-east5'), 'https://us-east5-aiplatform.googleapis.com');
  t.equal(defaultBaseUrl('global'), 'https://aiplatform.googleapis.com');
  t.equal(defaultBaseUrl('us'), 'https://aiplatform.us.rep.googleapis.com');
  t.equal(defaultBaseUrl('eu'), 'https://aiplatform.eu.rep.googleapis.com');
});

t.test('client paths map to exactly three operations', async (t) => {
  t.same(Object.fromEntries(OPERATIONS), {
    '/v1/chat/completions': 'chat/completions',
    '/v1/completions': 'completions',
    '/v1/embeddings': 'embeddings',
    '/chat/completions': 'chat/completions',
    '/completions': 'completions',
    '/embeddings': 'embeddings',
  });
});

t.test('a project from ADC cannot escape its path segment', async (t) => {
  // The project can come from ADC at run time, not only from validated config.
  t.equal(endpointPath({ ...base, project: 'a/b?c#d' }), '/v1/projects/a%2Fb%3Fc%23d/locations/us-central1/endpoints/openapi');
  t.equal(endpointPath({ ...base, project: 'example.com:proj' }), '/v1/projects/example.com%3Aproj/locations/us-central1/endpoints/openapi');
  for (const project of ['', '.', '..']) {
    t.throws(() => endpointPath({ ...base, project }), /project/, `refuses project ${JSON.stringify(project)}`);
  }
});

t.test('config feeds the URL: env names, defaults and VERTEX_BASE_URL', async (t) => {
  const url = (env: Record<string, string>) => {
    const c = loadConfig({ env, defaultModels: () => [] });
    return upstreamUrl({ baseUrl: c.baseUrl, apiVersion: c.apiVersion, project: c.project ?? 'adc-proj', location: c.location, endpoint: c.endpoint }, 'chat/completions');
  };
  t.equal(url({}), 'https://aiplatform.googleapis.com/v1/projects/adc-proj/locations/global/endpoints/openapi/chat/completions', 'global by default');
  t.equal(url({ LOCATION: 'us-central1' }), 'https://us-central1-aiplatform.googleapis.com/v1/projects/adc-proj/locations/us-central1/endpoints/openapi/chat/completions');
  t.equal(
    url({ PROJECT_ID: 'p1', LOCATION: 'global', VERTEX_API_VERSION: 'v1beta1', VERTEX_ENDPOINT_ID: '42' }),
    'https://aiplatform.googleapis.com/v1beta1/projects/p1/locations/global/endpoints/42/chat/completions',
  );
  t.equal(
    url({ GOOGLE_CLOUD_PROJECT: 'p2', GOOGLE_CLOUD_LOCATION: 'eu', VERTEX_BASE_URL: 'https://vertex.example:8443/' }),
    'https://vertex.example:8443/v1/projects/p2/locations/eu/endpoints/openapi/chat/completions',
  );
  t.throws(() => loadConfig({ env: { VERTEX_BASE_URL: 'https://vertex.example/some/path' } }), /VERTEX_BASE_URL/);
  t.throws(() => loadConfig({ env: { GOOGLE_CLOUD_LOCATION: '../evil' } }), /GOOGLE_CLOUD_LOCATION/);
  t.throws(() => loadConfig({ env: { VERTEX_ENDPOINT_ID: 'openapi/../x' } }), /VERTEX_ENDPOINT_ID/);
});
