// A per-user launchd agent (macOS): ~/Library/LaunchAgents/<label>.plist,
// loaded into the user's GUI domain with `launchctl`, so no root. It starts at
// login, is started again when it exits with an error, and writes its output
// to ~/Library/Logs/vertex-openai-proxy.log (Console.app shows that folder).

import { join } from 'node:path';
import { SERVICE_NAME, type ServiceSpec } from './service-spec.ts';

export const LAUNCHD_LABEL = `local.${SERVICE_NAME}`;

export function launchdPlistPath(home: string): string {
  return join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
}

export function launchdLogPath(home: string): string {
  return join(home, 'Library', 'Logs', `${SERVICE_NAME}.log`);
}

export function renderLaunchdPlist(spec: ServiceSpec, logPath: string): string {
  const string = (value: string) => `<string>${xml(value)}</string>`;
  const key = (name: string) => `<key>${xml(name)}</key>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `vertex-openai-proxy service install`; `service uninstall` removes it.',
    '     It holds the settings in force at install time (API keys too): readable by you only. -->',
    '<plist version="1.0">',
    '<dict>',
    `  ${key('Label')}${string(LAUNCHD_LABEL)}`,
    `  ${key('ProgramArguments')}`,
    '  <array>',
    ...spec.command.map((arg) => `    ${string(arg)}`),
    '  </array>',
    `  ${key('EnvironmentVariables')}`,
    '  <dict>',
    ...Object.entries(spec.environment).map(([name, value]) => `    ${key(name)}${string(value)}`),
    '  </dict>',
    `  ${key('RunAtLoad')}<true/>`,
    // Started again after a crash or an error exit, not after a clean stop.
    `  ${key('KeepAlive')}`,
    '  <dict>',
    `    ${key('SuccessfulExit')}<false/>`,
    '  </dict>',
    `  ${key('ThrottleInterval')}<integer>5</integer>`,
    // SIGTERM lets in-flight requests finish; then SIGKILL.
    `  ${key('ExitTimeOut')}<integer>${spec.stopTimeoutSeconds}</integer>`,
    `  ${key('StandardOutPath')}${string(logPath)}`,
    `  ${key('StandardErrorPath')}${string(logPath)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');
}

/** The user's GUI domain: where login agents live. */
export function launchdDomain(uid: number): string {
  return `gui/${uid}`;
}
