// docker-compose.yml as the compose tools themselves read it, each one that is
// installed: podman-compose (its dry run prints the podman commands it would
// run), docker compose v2 and docker-compose v1 (`config` prints the resolved
// file). The proxy must get PROXY_API_KEY from the shell under every one of
// them — podman-compose 1.0 leaves `${NAME:-}` unexpanded, so the file passes
// the variable through by name — and nothing may reach a container literally.

import { execFile } from 'node:child_process';

import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import { scratchDir } from '../helpers/scratch-dir.ts';

const root = new URL('../..', import.meta.url).pathname;
const home = scratchDir('vop-compose-tools-');

async function run(program: string, args: string[], env: Record<string, string>) {
  return promisify(execFile)(program, args, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: home, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : 127, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
  );
}

const SHELL = { GOOGLE_CLOUD_PROJECT: 'compose-project', PROXY_API_KEY: 'key-from-the-shell' };

t.test('podman-compose: PROXY_API_KEY passed through by name, nothing literal', async (t) => {
  const version = await run('podman-compose', ['version'], {});
  if (version.code !== 0) {
    t.comment('skipped: no podman-compose (apt-get install podman-compose)');
    return;
  }
  t.comment(`podman-compose ${/podman-composer? version\s+(\S+)/i.exec(version.stdout)?.[1] ?? 'of unknown version'}`);
  const dry = await run('podman-compose', ['-f', 'docker-compose.yml', '--dry-run', 'up', '-d'], SHELL);
  t.equal(dry.code, 0, 'podman-compose --dry-run up', { stderr: dry.stderr });
  const proxyRun = dry.stdout.split('\n').find((line) => /^podman (run|create) .*--network-alias vertex-openai-proxy\b/.test(line)) ?? '';
  t.ok(proxyRun, 'the proxy container is run');
  // podman takes `-e NAME` from its own environment: the shell's, as podman-compose inherits it.
  t.match(proxyRun, / -e PROXY_API_KEY /, '-e PROXY_API_KEY: the shell value, or unset when the shell has none');
  t.match(proxyRun, / -e GOOGLE_CLOUD_PROJECT=compose-project /);
  t.match(proxyRun, ` -v ${home}/.config/gcloud:/home/node/.config/gcloud:ro `);
  t.notMatch(dry.stdout, /\$\{|\$\w/, 'no variable left unexpanded');
  t.match(dry.stdout, / -e OPENAI_API_KEY=key-from-the-shell /, 'the example client gets the same key');
});

interface Resolved {
  services: Record<string, { environment?: Record<string, string | null> | string[] }>;
}

function environment(resolved: Resolved, service: string): Record<string, string | null> {
  const env = resolved.services[service]?.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((entry) => (entry.includes('=') ? [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] : [entry, null])));
}

for (const [name, program, prefix] of [
  ['docker compose (v2)', 'docker', ['compose']],
  ['docker-compose (v1)', 'docker-compose', []],
] as const) {
  t.test(`${name}: PROXY_API_KEY from the shell, absent without it`, async (t) => {
    const version = await run(program, [...prefix, 'version'], {});
    if (version.code !== 0) {
      t.comment(`skipped: no ${name}`);
      return;
    }
    t.comment(version.stdout.trim().split('\n')[0] ?? '');
    const withKey = await run(program, [...prefix, '-f', 'docker-compose.yml', 'config'], SHELL);
    t.equal(withKey.code, 0, 'config', { stderr: withKey.stderr });
    const resolved = parse(withKey.stdout) as Resolved;
    t.equal(environment(resolved, 'vertex-openai-proxy').PROXY_API_KEY, 'key-from-the-shell');
    t.equal(environment(resolved, 'example-client').OPENAI_API_KEY, 'key-from-the-shell');

    const withoutKey = await run(program, [...prefix, '-f', 'docker-compose.yml', 'config'], { GOOGLE_CLOUD_PROJECT: 'compose-project' });
    t.equal(withoutKey.code, 0, 'config without PROXY_API_KEY', { stderr: withoutKey.stderr });
    const proxyEnv = environment(parse(withoutKey.stdout) as Resolved, 'vertex-openai-proxy');
    t.notOk(proxyEnv.PROXY_API_KEY, 'no key: unset (or empty), never a literal');
    t.notMatch(withoutKey.stdout, /\$\{/);
  });
}
