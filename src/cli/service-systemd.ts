// A per-user systemd unit (Linux): ~/.config/systemd/user/vertex-openai-proxy.service,
// managed with `systemctl --user`, so no root. It starts with the user's
// session (default.target), restarts on failure, and logs to the journal.

import { join } from 'node:path';
import { EXIT_CONFIG, EXIT_USAGE } from '../server/exit-codes.ts';
import { SERVICE_NAME, type ServiceSpec } from './service-spec.ts';

export const UNIT_NAME = `${SERVICE_NAME}.service`;

/** $XDG_CONFIG_HOME/systemd/user, as the user manager reads it. */
export function systemdUnitPath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const configHome = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'systemd', 'user', UNIT_NAME);
}

/** Exit codes a restart cannot fix: a bad command line or bad settings. */
const NO_RESTART_EXIT_CODES = [EXIT_USAGE, EXIT_CONFIG];

export function renderSystemdUnit(spec: ServiceSpec): string {
  const environment = Object.entries(spec.environment).map(([name, value]) => `Environment=${quote(`${name}=${value}`)}`);
  return [
    '# Written by `vertex-openai-proxy service install`; `service uninstall` removes it.',
    '# It holds the settings in force at install time (API keys too): readable by you only.',
    '[Unit]',
    `Description=${escapeSpecifiers(spec.description)}`,
    // Keep trying while, say, the port is taken: the restart delay bounds the pace.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${spec.command.map(execArgument).join(' ')}`,
    ...environment,
    'Restart=on-failure',
    'RestartSec=5',
    `RestartPreventExitStatus=${NO_RESTART_EXIT_CODES.join(' ')}`,
    // SIGTERM lets in-flight requests finish (shutdownGraceSeconds); then SIGKILL.
    `TimeoutStopSec=${spec.stopTimeoutSeconds}`,
    'NoNewPrivileges=yes',
    // stdout and stderr go to the journal: journalctl --user -u vertex-openai-proxy
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** `%` starts a specifier in every unit setting. */
function escapeSpecifiers(text: string): string {
  return text.replaceAll('%', '%%');
}

/** One double-quoted word: backslash and quote escaped, specifiers doubled. */
function quote(text: string): string {
  return `"${escapeSpecifiers(text.replaceAll('\\', '\\\\').replaceAll('"', '\\"'))}"`;
}

/** ExecStart also expands $NAME and ${NAME}: `$$` is a literal dollar. */
function execArgument(arg: string): string {
  const escaped = arg.replaceAll('$', '$$$$');
  return /^[\w@%+=:,./-]+$/.test(arg) ? escapeSpecifiers(escaped) : quote(escaped);
}
