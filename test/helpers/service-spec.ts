// The service spec as `vertex-openai-proxy service install` builds it from
// this process (this node, the real launcher), for the service tests.

import { join } from 'node:path';
import { serviceSpec, type ServiceSpec } from '../../src/cli/service-spec.ts';

const root = new URL('../..', import.meta.url).pathname;
export const LAUNCHER = join(root, 'bin', 'vertex-openai-proxy.js');
export const CONFIG = { host: '127.0.0.1', port: 8765, shutdownGraceMs: 30_000 };

/** A spec as `service install` builds it from this process: this node, the real launcher. */
export function spec(env: Record<string, string> = {}, flags: { config?: string; host?: string; port?: string } = {}): ServiceSpec {
  return serviceSpec({ execPath: process.execPath, entry: LAUNCHER, cwd: '/home/me/proxy', env, flags, config: CONFIG });
}
