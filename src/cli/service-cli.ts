// `service …` as the command line runs it: the action checked, the real
// platform, home, user id and service manager, and the spec built from this
// process (its node, its entry script, its environment and flags).

import { homedir } from 'node:os';
import type { Config } from '../config/load.ts';
import { UsageError } from './flags.ts';
import { runCommand, runService, SERVICE_ACTIONS, ServiceError, type ServiceAction } from './service.ts';
import { serviceSpec } from './service-spec.ts';

export async function runServiceCommand(
  action: string | undefined,
  flags: { config?: string; host?: string; port?: string },
  loadConfig: () => Config,
): Promise<number> {
  if (!(SERVICE_ACTIONS as readonly string[]).includes(action ?? '')) {
    throw new UsageError(`service needs one of: ${SERVICE_ACTIONS.join(', ')} (as in \`vertex-openai-proxy service install\`)`);
  }
  try {
    return await runService(action as ServiceAction, {
      platform: process.platform,
      home: process.env.HOME || homedir(),
      env: process.env,
      uid: process.getuid?.(),
      run: runCommand,
      print: (line) => process.stdout.write(`${line}\n`),
      // Settings are validated now, not in a restart loop later.
      spec: () =>
        serviceSpec({ execPath: process.execPath, execArgv: process.execArgv, entry: process.argv[1] ?? '', cwd: process.cwd(), env: process.env, flags, config: loadConfig() }),
    });
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    process.stderr.write(`vertex-openai-proxy: ${err.message}\n`);
    return 1;
  }
}
