// `vertex-openai-proxy service install|uninstall|status`: the files it writes
// (paths under a temporary HOME and XDG_CONFIG_HOME, content, mode) and the
// service-manager commands it issues, through a recording runner instead of
// the real systemctl and launchctl. The spec, the quoting and the files checked
// by systemd-analyze and plistlib: service-files.test.ts.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import type { ServiceSpec } from '../src/cli/service-spec.ts';
import { EXIT_NOT_RUNNING, runService, type CommandResult, type ServiceAction, type ServiceContext } from '../src/cli/service.ts';
import { runCli } from './helpers/cli.ts';
import { scratchDir } from './helpers/scratch-dir.ts';
import { LAUNCHER, spec } from './helpers/service-spec.ts';

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
