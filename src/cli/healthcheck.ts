// `vertex-openai-proxy healthcheck`: exit 0 when the local daemon's /healthz
// answers 200. The container HEALTHCHECK runs this (no curl in the image).

import { request } from 'node:http';
import type { Config } from '../config/load.ts';
import { clientHost } from './env.ts';

export const HEALTHCHECK_TIMEOUT_MS = 3_000;

export interface HealthcheckResult {
  readonly ok: boolean;
  readonly message: string;
}

export function healthcheck(config: Pick<Config, 'host' | 'port'>, timeoutMs = HEALTHCHECK_TIMEOUT_MS): Promise<HealthcheckResult> {
  const host = clientHost(config.host).replace(/^\[|\]$/g, '');
  const url = `http://${clientHost(config.host)}:${config.port}/healthz`;
  return new Promise((resolve) => {
    const req = request({ host, port: config.port, path: '/healthz', method: 'GET', signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume();
      const ok = res.statusCode === 200;
      resolve({ ok, message: ok ? `${url}: healthy` : `${url} answered HTTP ${res.statusCode}` });
    });
    req.on('error', (err: Error) => {
      const reason = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : err.message;
      resolve({ ok: false, message: `${url}: ${reason}` });
    });
    req.end();
  });
}
