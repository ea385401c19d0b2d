// The files `vertex-openai-proxy service install` writes, as text: the spec
// they are built from (this node and binary, absolute paths, the settings set
// now), the systemd unit's quoting and, where the tools exist, the unit checked
// by systemd-analyze and the plist read back by Python's plistlib.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { renderLaunchdPlist } from '../src/cli/service-launchd.ts';
import { serviceSpec } from '../src/cli/service-spec.ts';
import { renderSystemdUnit } from '../src/cli/service-systemd.ts';
import { scratchDir } from './helpers/scratch-dir.ts';
import { CONFIG, LAUNCHER, spec } from './helpers/service-spec.ts';

t.test('the spec: this node and binary, absolute paths, the settings set now, a stop timeout past the grace period', async (t) => {
  const built = spec(
    {
      GOOGLE_CLOUD_PROJECT: 'my-project',
      PROXY_API_KEY: 'k1',
      PROXY_CONFIG: 'proxy.yaml',
      GOOGLE_APPLICATION_CREDENTIALS: 'keys/sa.json',
      LOG_LEVEL: '',
      PATH: '/usr/local/bin:/usr/bin',
      NODE_OPTIONS: '--max-semi-space-size=8',
      MALLOC_ARENA_MAX: '2',
      UNRELATED: 'x',
    },
    { config: 'other.yaml', port: '9000' },
  );
  t.same(built.command, [process.execPath, LAUNCHER, 'start', '--config', '/home/me/proxy/other.yaml', '--port', '9000']);
  // Run under node's own flags (the image's memory flag, which NODE_OPTIONS cannot carry), the service keeps them.
  const flagged = serviceSpec({ execPath: process.execPath, execArgv: ['--no-concurrent-recompilation'], entry: LAUNCHER, cwd: '/home/me/proxy', env: {}, flags: {}, config: CONFIG });
  t.same(flagged.command, [process.execPath, '--no-concurrent-recompilation', LAUNCHER, 'start']);
  t.match(renderSystemdUnit(flagged), /^ExecStart=\S+ --no-concurrent-recompilation \S+ start$/m);
  t.same(built.environment, {
    PROXY_CONFIG: '/home/me/proxy/proxy.yaml',
    GOOGLE_CLOUD_PROJECT: 'my-project',
    PROXY_API_KEY: 'k1',
    GOOGLE_APPLICATION_CREDENTIALS: '/home/me/proxy/keys/sa.json',
    NODE_OPTIONS: '--max-semi-space-size=8',
    MALLOC_ARENA_MAX: '2',
    PATH: '/usr/local/bin:/usr/bin',
  });
  t.equal(built.stopTimeoutSeconds, 40);
  t.match(built.description, 'http://127.0.0.1:8765/v1');
  t.throws(() => spec({ PROXY_API_KEY: 'a\nb' }), { message: /PROXY_API_KEY holds a line break/ }, 'a line break cannot go into a service file');
});

t.test('the unit quotes what systemd would otherwise expand or split', async (t) => {
  const unit = renderSystemdUnit({
    description: '100% local',
    command: ['/opt/my node/bin/node', '/srv/proxy/bin/vertex-openai-proxy.js', 'start', '--config', '/home/me/$HOME/%h.yaml'],
    environment: { PROXY_API_KEY: 'a"b\\c %d $x' },
    stopTimeoutSeconds: 40,
  });
  t.match(unit, '\nDescription=100%% local\n');
  t.match(unit, '\nExecStart="/opt/my node/bin/node" /srv/proxy/bin/vertex-openai-proxy.js start --config "/home/me/$$HOME/%%h.yaml"\n');
  t.match(unit, '\nEnvironment="PROXY_API_KEY=a\\"b\\\\c %%d $x"\n');
});

t.test('systemd-analyze verify accepts the unit', async (t) => {
  const analyze = await promisify(execFile)('systemd-analyze', ['--version']).then(
    () => true,
    () => false,
  );
  if (!analyze) {
    t.comment('skipped: no systemd-analyze (apt-get install systemd)');
    return;
  }
  const dir = scratchDir('vop-unit-');
  const runtime = join(dir, 'runtime');
  mkdirSync(runtime, { mode: 0o700 });
  const verify = async (text: string) => {
    const file = join(dir, 'vertex-openai-proxy.service');
    writeFileSync(file, text);
    // --user needs a runtime directory; a private one serves, no user manager is contacted.
    return promisify(execFile)('systemd-analyze', ['--user', 'verify', file], {
      env: { PATH: process.env.PATH, HOME: dir, XDG_RUNTIME_DIR: runtime },
    }).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
  };
  const unit = renderSystemdUnit(spec({ GOOGLE_CLOUD_PROJECT: 'my-project', PROXY_API_KEY: 'a"b %d', PATH: '/usr/bin:/bin' }, { config: '/etc/x.yaml' }));
  const ours = await verify(unit);
  t.equal(ours.code, 0, 'exit 0');
  t.equal(ours.stderr, '', 'no warning either (systemd-analyze warns on stderr and still exits 0)');
  const broken = await verify(unit.replace('Restart=on-failure', 'Restart=sometimes\nRestartFoo=1'));
  t.match(broken.stderr, /restart specifier|Unknown key/, 'the check can fail: a broken unit draws warnings');
});

t.test('the plist is a property list that plistlib reads back', async (t) => {
  const built = spec({ PROXY_API_KEY: 'a&b<c>"d\'' }, { config: '/Users/me/proxy & co.yaml' });
  const dir = scratchDir('vop-plist-');
  const file = join(dir, 'agent.plist');
  writeFileSync(file, renderLaunchdPlist(built, '/Users/me/Library/Logs/vertex-openai-proxy.log'));
  const read = await promisify(execFile)('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))', file]).then(
    ({ stdout }) => JSON.parse(stdout) as Record<string, unknown>,
    () => undefined,
  );
  if (!read) {
    t.comment('skipped: no python3 to read the plist');
    return;
  }
  t.same(read, {
    Label: 'local.vertex-openai-proxy',
    ProgramArguments: built.command,
    EnvironmentVariables: built.environment,
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 5,
    ExitTimeOut: 40,
    StandardOutPath: '/Users/me/Library/Logs/vertex-openai-proxy.log',
    StandardErrorPath: '/Users/me/Library/Logs/vertex-openai-proxy.log',
  });
});
