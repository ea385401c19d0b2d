// The promises the Dockerfile, compose file and Kubernetes example make, read
// from the files themselves, so an edit that breaks one fails `npm test` even
// where no podman runs. The image itself is tested by test/container/run.ts.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { IMAGE_ENV, IMAGE_NODE_FLAGS, IMAGE_NODE_OPTIONS } from '../../bench/image-settings.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Dockerfile instructions as [keyword, arguments], continuation lines joined. */
function instructions(dockerfile: string): [string, string][] {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(' ')];
    });
}

t.test('Dockerfile: build stages on node:24-slim, an image of production files only, non-root, exec form', async (t) => {
  const steps = instructions(read('Dockerfile'));
  const froms = steps.filter(([k]) => k === 'FROM').map(([, a]) => a);
  t.same(froms, ['node:24-slim AS build', 'node:24-slim AS production-dependencies', 'node:24-slim']);
  const starts = steps.flatMap(([k], i) => (k === 'FROM' ? [i] : []));
  /** The instructions of the n-th stage. */
  const stage = (n: number) => steps.slice(starts[n], starts[n + 1]);
  const runtime = stage(2);
  const args = (keyword: string) => runtime.filter(([k]) => k === keyword).map(([, a]) => a);

  const runs = (part: [string, string][]) => part.filter(([k]) => k === 'RUN').map(([, a]) => a);
  t.ok(runs(stage(1)).some((a) => /npm ci --omit=dev --ignore-scripts/.test(a)), 'production dependencies only, no install scripts');
  t.ok(runs(stage(0)).some((a) => /npm ci --ignore-scripts/.test(a)), 'the build stage runs no install scripts either');
  t.same(args('RUN'), [], 'the image itself runs no npm and reaches no registry');
  t.ok(args('COPY').some((a) => /--from=production-dependencies \/app\/node_modules/.test(a)), 'copies node_modules/');
  t.ok(args('COPY').some((a) => /--from=build \/app\/dist/.test(a)), 'copies the compiled dist/');
  t.ok(args('COPY').some((a) => /--from=build \/app\/config/.test(a)), 'copies config/');
  const user = args('USER').at(-1) ?? '';
  t.match(user, /^\d+(:\d+)?$/, 'USER is numeric, so runAsNonRoot can check it');
  t.not(user.split(':')[0], '0', 'and not root');
  t.match(args('ENV').join(' '), /\bHOST=0\.0\.0\.0\b/);
  // The benchmarks measure the image's memory with these settings.
  t.match(args('ENV').join(' '), new RegExp(`\\bNODE_OPTIONS=${IMAGE_NODE_OPTIONS.join(' ')}(\\s|$)`));
  for (const [name, value] of Object.entries(IMAGE_ENV)) t.match(args('ENV').join(' '), new RegExp(`\\b${name}=${value}(\\s|$)`));
  t.same(args('EXPOSE'), ['8765']);
  t.same(JSON.parse(args('HEALTHCHECK').at(-1)?.replace(/^.*?CMD\s+/, '') ?? 'null'), ['node', 'dist/cli.js', 'healthcheck']);
  t.same(JSON.parse(args('ENTRYPOINT').at(-1) ?? 'null'), [], 'no entry point script');
  t.same(JSON.parse(args('CMD').at(-1) ?? 'null'), ['node', ...IMAGE_NODE_FLAGS, 'dist/cli.js'], 'exec form: node is PID 1, with the flags NODE_OPTIONS cannot carry');
});

t.test('Dockerfile: an extra CA for a TLS-inspecting proxy, as a build secret used by npm ci only', async (t) => {
  const steps = instructions(read('Dockerfile'));
  const npmCi = steps.filter(([k, a]) => k === 'RUN' && /npm ci\b/.test(a)).map(([, a]) => a);
  t.equal(npmCi.length, 2, 'both build stages install');
  for (const run of npmCi) {
    t.match(run, /^--mount=type=secret,id=extra_ca /, 'the secret is mounted for this step only');
    t.match(run, /NODE_EXTRA_CA_CERTS=\/run\/secrets\/extra_ca/, "Node's own CAs plus that one");
  }
  const mentions = steps.filter(([k, a]) => k !== 'RUN' && /extra_ca|NODE_EXTRA_CA_CERTS/.test(a));
  t.same(mentions, [], 'no ARG or ENV keeps it');
});

t.test('.dockerignore: an allowlist', async (t) => {
  const lines = read('.dockerignore').split('\n').filter((line) => line && !line.startsWith('#'));
  t.equal(lines[0], '*', 'everything is out unless listed');
  for (const path of ['!package.json', '!package-lock.json', '!src/', '!config/', '!tsconfig.json', '!tsconfig.build.json']) t.ok(lines.includes(path), path);
});

interface ComposeService {
  environment?: Record<string, string | null>;
  volumes?: string[];
  ports?: string[];
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; interval?: string; timeout?: string; start_period?: string; retries?: number };
}

t.test('docker-compose.yml: loopback port, read-only ADC, a client by service name', async (t) => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
  const proxy = compose.services['vertex-openai-proxy'];
  const client = compose.services['example-client'];
  if (!proxy || !client) throw new Error('services vertex-openai-proxy and example-client are expected');

  t.ok((proxy.ports ?? []).length > 0 && (proxy.ports ?? []).every((p) => p.startsWith('127.0.0.1:')), 'published on 127.0.0.1 only');
  const adc = (proxy.volumes ?? []).find((v) => v.includes('.config/gcloud'));
  t.match(adc, /^\$\{HOME\}\/\.config\/gcloud:\/home\/node\/\.config\/gcloud:ro$/, "the user's gcloud directory, read-only");
  t.equal(proxy.environment?.CLOUDSDK_CONFIG, '/home/node/.config/gcloud', 'google-auth-library looks where it is mounted');
  t.equal(proxy.environment?.PROXY_ALLOWED_HOSTS, 'vertex-openai-proxy', 'serves the Host other containers use');
  t.ok('PROXY_API_KEY' in (proxy.environment ?? {}) && proxy.environment?.PROXY_API_KEY === null, 'PROXY_API_KEY passed through from the shell by name');
  const settings = read('docker-compose.yml').split('\n').filter((line) => !line.trim().startsWith('#'));
  t.notMatch(settings.join('\n'), /\$\{\w+:?-\}/, 'no empty default, which podman-compose 1.0 leaves unexpanded');
  t.equal(client.environment?.OPENAI_BASE_URL, 'http://vertex-openai-proxy:8765/v1');
  t.equal(client.depends_on?.['vertex-openai-proxy']?.condition, 'service_healthy', 'waits for the health check');
  // podman's default OCI image format drops the Dockerfile's HEALTHCHECK: the compose file carries its own, the same.
  const dockerfile = instructions(read('Dockerfile')).filter(([k]) => k === 'HEALTHCHECK').map(([, a]) => a).at(-1) ?? '';
  const option = (name: string) => new RegExp(`--${name}=(\\S+)`).exec(dockerfile)?.[1];
  const { test, interval, timeout, start_period, retries } = proxy.healthcheck ?? {};
  t.same(test, ['CMD', ...(JSON.parse(dockerfile.replace(/^.*?CMD\s+/, '')) as string[])], "the image's health check command");
  t.same({ interval, timeout, start_period, retries: String(retries) }, { interval: option('interval'), timeout: option('timeout'), start_period: option('start-period'), retries: option('retries') }, 'and its timings');
  t.notMatch((client.command ?? []).join('\n'), /\$(?!\$)/, 'no `$` that compose would take for its own variable');
});

interface Container {
  name: string;
  restartPolicy?: string;
  env?: { name: string; value: string }[];
  livenessProbe?: { exec?: { command: string[] } };
  readinessProbe?: { exec?: { command: string[] } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
}

t.test('Kubernetes example: loopback sidecar with probes, Workload Identity, limits, locked down', async (t) => {
  const docs = ['serviceaccount.yaml', 'deployment.yaml'].flatMap((file) => parseAllDocuments(read(`deploy/kubernetes/${file}`)).map((d) => d.toJS()));
  const account = docs.find((d) => d.kind === 'ServiceAccount');
  const deployment = docs.find((d) => d.kind === 'Deployment');
  const pod = deployment.spec.template.spec;
  const proxy = [...(pod.initContainers ?? []), ...pod.containers].find((c: Container) => c.name === 'vertex-openai-proxy') as Container;

  t.match(account.metadata.annotations['iam.gke.io/gcp-service-account'], /@.+\.iam\.gserviceaccount\.com$/, 'Workload Identity');
  t.equal(pod.serviceAccountName, account.metadata.name);
  t.equal(proxy.restartPolicy, 'Always', 'a native sidecar');
  t.equal(proxy.env?.find((e) => e.name === 'HOST')?.value, '127.0.0.1', 'reachable from inside the pod only');
  t.same(proxy.livenessProbe?.exec?.command, ['node', 'dist/cli.js', 'healthcheck'], 'liveness: /healthz');
  t.match(proxy.readinessProbe?.exec?.command.join(' '), /\/readyz/, 'readiness: /readyz');
  t.ok(proxy.resources?.requests?.cpu && proxy.resources.requests.memory && proxy.resources.limits?.memory, 'requests and a memory limit');
  t.equal(proxy.securityContext?.readOnlyRootFilesystem, true);
  t.equal(proxy.securityContext?.allowPrivilegeEscalation, false);
  t.same(proxy.securityContext?.capabilities?.drop, ['ALL']);
  t.equal(pod.securityContext.runAsNonRoot, true);
  t.ok(pod.terminationGracePeriodSeconds > 30, 'longer than the default PROXY_SHUTDOWN_GRACE_SECONDS');

  const kustomization = parse(read('deploy/kubernetes/kustomization.yaml'));
  t.same(kustomization.resources, ['serviceaccount.yaml', 'deployment.yaml']);
  t.equal(kustomization.images[0].name, 'vertex-openai-proxy', 'the image name the sidecar uses');
});
