// `vertex-openai-proxy service install|uninstall|status`: a per-user service
// that starts the daemon at login and again after a failure — a systemd user
// unit on Linux, a launchd agent on macOS — never needing root. The service
// manager is driven through an injected command runner, so tests check the
// files written and the commands issued without touching the real one.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { launchdDomain, launchdLogPath, launchdPlistPath, LAUNCHD_LABEL, renderLaunchdPlist } from './service-launchd.ts';
import { SERVICE_NAME, ServiceError, type ServiceSpec } from './service-spec.ts';
import { renderSystemdUnit, systemdUnitPath, UNIT_NAME } from './service-systemd.ts';

export { ServiceError } from './service-spec.ts';

export const SERVICE_ACTIONS = ['install', 'uninstall', 'status'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** `service status` when the service is not running, as `systemctl status` and LSB init scripts say it. */
export const EXIT_NOT_RUNNING = 3;

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (program: string, args: readonly string[]) => Promise<CommandResult>;

export interface ServiceContext {
  readonly platform: NodeJS.Platform;
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's id; undefined where there is none (Windows). */
  readonly uid: number | undefined;
  readonly run: CommandRunner;
  readonly print: (line: string) => void;
  /** What the service runs; built only for install. */
  readonly spec: () => ServiceSpec;
}

/** Runs `action` and resolves with the exit code. */
export async function runService(action: ServiceAction, ctx: ServiceContext): Promise<number> {
  if (ctx.uid === 0) {
    throw new ServiceError('the service is per user and never needs root: run `vertex-openai-proxy service …` as yourself, without sudo');
  }
  if (ctx.platform === 'linux') return systemd(action, ctx);
  if (ctx.platform === 'darwin') return launchd(action, ctx);
  throw new ServiceError(`service supports Linux (systemd) and macOS (launchd), not ${ctx.platform}; run \`vertex-openai-proxy\` from your own start-up script`);
}

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  // A new file, private from its creation, put in place of the old one: an
  // older file keeps its mode on overwrite, and could show the keys to others
  // until a chmod.
  const fresh = `${path}.${process.pid}.new`;
  rmSync(fresh, { force: true });
  writeFileSync(fresh, text, { mode: 0o600, flag: 'wx' });
  renameSync(fresh, path);
}

function describeInstall(ctx: ServiceContext, spec: ServiceSpec, path: string): void {
  ctx.print(`wrote ${path}`);
  ctx.print(`  runs: ${spec.command.join(' ')}`);
  const names = Object.keys(spec.environment);
  if (names.length > 0) ctx.print(`  with: ${names.join(', ')} (as set now; the file is readable by you only)`);
}

/** Runs each step in turn; on the first failure prints it and what to do, and resolves false. */
async function steps(ctx: ServiceContext, commands: Array<[string, string[]]>, onFailure: string): Promise<boolean> {
  for (const [program, args] of commands) {
    const result = await ctx.run(program, args);
    if (result.code !== 0) {
      ctx.print(`failed: ${program} ${args.join(' ')} (exit ${result.code})${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
      ctx.print(onFailure);
      return false;
    }
  }
  return true;
}

async function systemd(action: ServiceAction, ctx: ServiceContext): Promise<number> {
  const path = systemdUnitPath(ctx.env, ctx.home);
  const user = (...args: string[]): [string, string[]] => ['systemctl', ['--user', ...args]];
  const logs = `journalctl --user -u ${SERVICE_NAME} -f`;
  if (action === 'install') {
    const spec = ctx.spec();
    writePrivate(path, renderSystemdUnit(spec));
    describeInstall(ctx, spec, path);
    const ok = await steps(
      ctx,
      [user('daemon-reload'), user('enable', UNIT_NAME), user('restart', UNIT_NAME)],
      `The unit is written, but no systemd user manager answered. In a login session, run: systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}`,
    );
    if (!ok) return 1;
    ctx.print(`enabled and started: it starts when you log in and again if it fails (to keep it running while you are logged out: loginctl enable-linger)`);
    ctx.print(`logs: ${logs}`);
    return 0;
  }
  if (action === 'uninstall') {
    const installed = existsSync(path);
    // Stops it too; fails harmlessly when the unit is not loaded.
    await ctx.run(...user('disable', '--now', UNIT_NAME));
    rmSync(path, { force: true });
    await ctx.run(...user('daemon-reload'));
    ctx.print(installed ? `stopped, disabled and removed ${path}` : `not installed (no ${path})`);
    return 0;
  }
  const installed = existsSync(path);
  const enabled = (await ctx.run(...user('is-enabled', UNIT_NAME))).stdout.trim() || 'unknown';
  const active = (await ctx.run(...user('is-active', UNIT_NAME))).stdout.trim() || 'unknown';
  ctx.print(`unit:    ${installed ? path : `not installed (no ${path})`}`);
  ctx.print(`enabled: ${enabled}`);
  ctx.print(`state:   ${active}`);
  ctx.print(`logs:    ${logs}`);
  return active === 'active' ? 0 : EXIT_NOT_RUNNING;
}

async function launchd(action: ServiceAction, ctx: ServiceContext): Promise<number> {
  const path = launchdPlistPath(ctx.home);
  const logPath = launchdLogPath(ctx.home);
  const domain = launchdDomain(ctx.uid ?? 0);
  const target = `${domain}/${LAUNCHD_LABEL}`;
  if (action === 'install') {
    const spec = ctx.spec();
    mkdirSync(dirname(logPath), { recursive: true });
    writePrivate(path, renderLaunchdPlist(spec, logPath));
    describeInstall(ctx, spec, path);
    // An agent loaded before (an earlier install) is unloaded first so that the new file counts.
    await ctx.run('launchctl', ['bootout', target]);
    const ok = await steps(
      ctx,
      [
        ['launchctl', ['enable', target]],
        ['launchctl', ['bootstrap', domain, path]],
      ],
      `The agent file is written, but launchd did not load it. Try: launchctl bootstrap ${domain} ${path}`,
    );
    if (!ok) return 1;
    ctx.print('loaded and started: it starts when you log in and again if it fails');
    ctx.print(`logs: tail -f ${logPath}`);
    return 0;
  }
  if (action === 'uninstall') {
    const installed = existsSync(path);
    await ctx.run('launchctl', ['bootout', target]);
    rmSync(path, { force: true });
    ctx.print(installed ? `stopped, unloaded and removed ${path}` : `not installed (no ${path})`);
    return 0;
  }
  const installed = existsSync(path);
  const printed = await ctx.run('launchctl', ['print', target]);
  const state = /^\s*state = (.+)$/m.exec(printed.stdout)?.[1]?.trim() ?? (printed.code === 0 ? 'unknown' : 'not loaded');
  const pid = /^\s*pid = (\d+)$/m.exec(printed.stdout)?.[1];
  ctx.print(`agent:   ${installed ? path : `not installed (no ${path})`}`);
  ctx.print(`state:   ${state}${pid ? ` (pid ${pid})` : ''}`);
  ctx.print(`logs:    ${logPath}`);
  return state === 'running' ? 0 : EXIT_NOT_RUNNING;
}

/** The real runner: a program's exit code and output; a missing program is exit 127. */
export const runCommand: CommandRunner = (program, args) =>
  new Promise((resolve) => {
    execFile(program, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const failure = err as (Error & { code?: unknown }) | null;
      if (failure?.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: `${program}: command not found` });
      resolve({ code: failure ? (typeof failure.code === 'number' ? failure.code : 1) : 0, stdout, stderr });
    });
  });
