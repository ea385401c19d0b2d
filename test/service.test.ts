// `vertex-openai-proxy service install|uninstall|status`: the files it writes
// (paths under a temporary HOME and XDG_CONFIG_HOME, content, mode) and the
// service-manager commands it issues, through a recording runner instead of
// the real systemctl and launchctl. Where systemd-analyze exists, the unit is
// checked by it; where python3 exists, the plist is read by plistlib.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { renderLaunchdPlist } from '../src/cli/service-launchd.ts';
import { serviceSpec, type ServiceSpec } from '../src/cli/service-spec.ts';
import { renderSystemdUnit } from '../src/cli/service-systemd.ts';
import { EXIT_NOT_RUNNING, runService, ServiceError, type CommandResult, type ServiceAction, type ServiceContext } from '../src/cli/service.ts';
import { runCli } from './helpers/cli.ts';
import { scratchDir } from './helpers/scratch-dir.ts';

const root = new URL('..', import.meta.url).pathname;
const LAUNCHER = join(root, 'bin', 'vertex-openai-proxy.js');
const CONFIG = { host: '127.0.0.1', port: 8765, shutdownGraceMs: 30_000 };

/** A spec as `service install` builds it from this process: this node, the real launcher. */
function spec(env: Record<string, string> = {}, flags: { config?: string; host?: string; port?: string } = {}): ServiceSpec {
  return serviceSpec({ execPath: process.execPath, entry: LAUNCHER, cwd: '/home/me/proxy', env, flags, config: CONFIG });
}

interface Recorder {
  readonly calls: string[];
  /** Answers by the start of the command line; the rest succeed with no output. */
  answers: Array<[RegExp, CommandResult]>;
}

function context(platform: NodeJS.Platform, serviceSpecFor: () => ServiceSpec = () => spec()) {
  const home = scratchDir('vop-service-');
  const xdg = join(home, 'xdg-config');
  const recorder: Recorder = { calls: [], answers: [] };
  const printed: string[] = [];
  const ctx: ServiceContext = {
    platform,
    home,
    env: { HOME: home, XDG_CONFIG_HOME: xdg },
    uid: 501,
    run: async (program, args) => {
      const line = [program, ...args].join(' ');
      recorder.calls.push(line);
      return recorder.answers.find(([pattern]) => pattern.test(line))?.[1] ?? { code: 0, stdout: '', stderr: '' };
    },
    print: (line) => printed.push(line),
    spec: serviceSpecFor,
  };
  const run = (action: ServiceAction) => runService(action, ctx);
  return { home, xdg, recorder, printed, run };
}

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

t.test('Linux: a systemd user unit under XDG_CONFIG_HOME, enabled and started with systemctl --user', async (t) => {
  const { xdg, recorder, printed, run } = context('linux', () => spec({ GOOGLE_CLOUD_PROJECT: 'my-project', PROXY_API_KEY: 'secret' }));
  t.equal(await run('install'), 0);
  const path = join(xdg, 'systemd', 'user', 'vertex-openai-proxy.service');
  t.ok(existsSync(path), path);
  t.equal(statSync(path).mode & 0o777, 0o600, 'readable by the user only: it holds the API key');
  const unit = readFileSync(path, 'utf8');
  t.match(unit, `\nExecStart=${process.execPath} ${LAUNCHER} start\n`);
  t.match(unit, '\nEnvironment="GOOGLE_CLOUD_PROJECT=my-project"\n');
  t.match(unit, '\nEnvironment="PROXY_API_KEY=secret"\n');
  for (const line of ['Restart=on-failure', 'RestartPreventExitStatus=64 78', 'TimeoutStopSec=40', 'StartLimitIntervalSec=0', 'WantedBy=default.target']) {
    t.match(unit, `\n${line}\n`, line);
  }
  t.notMatch(unit, /^User=|^StandardOutput=/m, 'runs as the user, logs to the journal (the default)');
  t.same(recorder.calls, [
    'systemctl --user daemon-reload',
    'systemctl --user enable vertex-openai-proxy.service',
    'systemctl --user restart vertex-openai-proxy.service',
  ]);
  t.match(printed.join('\n'), 'logs: journalctl --user -u vertex-openai-proxy -f');
  t.match(printed.join('\n'), 'with: GOOGLE_CLOUD_PROJECT, PROXY_API_KEY');
  t.notMatch(printed.join('\n'), /secret/, 'values are not printed');

  recorder.calls.length = 0;
  recorder.answers = [
    [/is-enabled/, { code: 0, stdout: 'enabled\n', stderr: '' }],
    [/is-active/, { code: 0, stdout: 'active\n', stderr: '' }],
  ];
  printed.length = 0;
  t.equal(await run('status'), 0, 'status: 0 while it runs');
  t.same(printed, [`unit:    ${path}`, 'enabled: enabled', 'state:   active', 'logs:    journalctl --user -u vertex-openai-proxy -f']);
  recorder.answers = [[/is-active/, { code: 3, stdout: 'failed\n', stderr: '' }]];
  t.equal(await run('status'), EXIT_NOT_RUNNING, 'status: 3 when it does not');

  recorder.calls.length = 0;
  printed.length = 0;
  t.equal(await run('uninstall'), 0);
  t.notOk(existsSync(path), 'the unit is removed');
  t.same(recorder.calls, ['systemctl --user disable --now vertex-openai-proxy.service', 'systemctl --user daemon-reload']);
  t.same(printed, [`stopped, disabled and removed ${path}`]);
  t.equal(await run('uninstall'), 0, 'uninstall twice is fine');
  t.match(printed.at(-1), 'not installed');
});

t.test('Linux: ~/.config when XDG_CONFIG_HOME is unset; a reinstall overwrites and stays private', async (t) => {
  const home = scratchDir('vop-service-');
  const path = join(home, '.config', 'systemd', 'user', 'vertex-openai-proxy.service');
  mkdirSync(join(home, '.config', 'systemd', 'user'), { recursive: true });
  writeFileSync(path, 'old', { mode: 0o644 });
  const oldFile = statSync(path).ino;
  const result = await runService('install', {
    platform: 'linux',
    home,
    env: { HOME: home },
    uid: 1000,
    run: async () => ({ code: 0, stdout: '', stderr: '' }),
    print: () => {},
    spec: () => spec(),
  });
  t.equal(result, 0);
  t.match(readFileSync(path, 'utf8'), /^ExecStart=/m);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.not(statSync(path).ino, oldFile, 'a new file, private from its creation, took the place of the readable one');
  t.same(readdirSync(dirname(path)), ['vertex-openai-proxy.service'], 'nothing left beside it');
});

t.test('Linux: no user manager to talk to: the unit is written, the failure and the fix are printed, exit 1', async (t) => {
  const { xdg, recorder, printed, run } = context('linux');
  recorder.answers = [[/daemon-reload/, { code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found' }]];
  t.equal(await run('install'), 1);
  t.ok(existsSync(join(xdg, 'systemd', 'user', 'vertex-openai-proxy.service')));
  t.match(printed.join('\n'), 'failed: systemctl --user daemon-reload (exit 1): Failed to connect to bus');
  t.match(printed.join('\n'), 'systemctl --user enable --now vertex-openai-proxy.service');
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

t.test('macOS: a launchd agent in ~/Library/LaunchAgents, loaded into the GUI domain', async (t) => {
  const { home, recorder, printed, run } = context('darwin', () => spec({ PROXY_API_KEY: 'a&b<c' }, { config: '/Users/me/proxy & co.yaml' }));
  t.equal(await run('install'), 0);
  const path = join(home, 'Library', 'LaunchAgents', 'local.vertex-openai-proxy.plist');
  const logPath = join(home, 'Library', 'Logs', 'vertex-openai-proxy.log');
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.ok(existsSync(join(home, 'Library', 'Logs')), 'the log folder exists');
  const plist = readFileSync(path, 'utf8');
  t.match(plist, '<key>Label</key><string>local.vertex-openai-proxy</string>');
  t.match(plist, '<string>/Users/me/proxy &amp; co.yaml</string>');
  t.match(plist, '<key>PROXY_API_KEY</key><string>a&amp;b&lt;c</string>');
  t.match(plist, `<key>StandardOutPath</key><string>${logPath}</string>`);
  t.same(recorder.calls, [
    'launchctl bootout gui/501/local.vertex-openai-proxy',
    'launchctl enable gui/501/local.vertex-openai-proxy',
    `launchctl bootstrap gui/501 ${path}`,
  ]);
  t.match(printed.join('\n'), `logs: tail -f ${logPath}`);

  recorder.answers = [[/launchctl print/, { code: 0, stdout: 'gui/501/local.vertex-openai-proxy = {\n\tstate = running\n\tpid = 4242\n}\n', stderr: '' }]];
  printed.length = 0;
  t.equal(await run('status'), 0);
  t.same(printed, [`agent:   ${path}`, 'state:   running (pid 4242)', `logs:    ${logPath}`]);
  recorder.answers = [[/launchctl print/, { code: 113, stdout: '', stderr: 'Could not find service' }]];
  printed.length = 0;
  t.equal(await run('status'), EXIT_NOT_RUNNING);
  t.match(printed[1], 'state:   not loaded');

  recorder.calls.length = 0;
  t.equal(await run('uninstall'), 0);
  t.notOk(existsSync(path));
  t.same(recorder.calls, ['launchctl bootout gui/501/local.vertex-openai-proxy']);
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

t.test('never as root, and only where there is a service manager we know', async (t) => {
  const home = scratchDir('vop-service-');
  const base = { home, env: {}, run: async () => ({ code: 0, stdout: '', stderr: '' }), print: () => {}, spec: () => spec() };
  await t.rejects(runService('install', { ...base, platform: 'linux', uid: 0 }), { name: 'Error', message: /never needs root.*without sudo/ });
  await t.rejects(runService('status', { ...base, platform: 'win32', uid: undefined }), { message: /Linux \(systemd\) and macOS \(launchd\), not win32/ });
  t.notOk(existsSync(join(home, '.config', 'systemd')), 'nothing written');
});

t.test('the command line: service needs an action', async (t) => {
  const missing = await runCli(['service'], {});
  t.equal(missing.code, 64);
  t.equal(missing.stderr, 'vertex-openai-proxy: service needs one of: install, uninstall, status (as in `vertex-openai-proxy service install`)\n');
  const wrong = await runCli(['service', 'restart'], {});
  t.equal(wrong.code, 64);
  const help = await runCli(['--help'], {});
  t.match(help.stdout, /service install/);
});
