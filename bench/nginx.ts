// nginx as the comparison users would reach for: a static Authorization header,
// upstream keepalive, no response buffering. Debian's `nginx-light` settings
// otherwise (worker_processes auto, an access log line per request, like our
// one log line per request). Skipped when nginx is not installed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/helpers/loopback.ts';
import { track, waitForPort, workDir } from './processes.ts';
import { VERTEX_CHAT_PATH } from './protocol.ts';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

export interface Nginx {
  readonly child: ChildProcess;
  readonly url: string;
  readonly version: string;
  /** PIDs of the worker processes (for peak RSS). */
  workerPids(): number[];
}

/** BENCH_SKIP_NGINX=1 measures without it even where it is installed. */
export function findNginx(): string | undefined {
  if (process.env.BENCH_SKIP_NGINX) return undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

export function nginxConfig(options: { port: number; upstreamUrl: string; token: string; dir: string }): string {
  const upstream = new URL(options.upstreamUrl);
  const base = VERTEX_CHAT_PATH.slice(0, -'chat/completions'.length);
  return `worker_processes auto;
worker_rlimit_nofile 16384;
daemon off;
pid ${options.dir}/nginx.pid;
error_log ${options.dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log ${options.dir}/access.log;
  client_body_temp_path ${options.dir}/body;
  proxy_temp_path ${options.dir}/proxy;
  upstream vertex {
    server ${upstream.host};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${options.port};
    location ~ ^/v1/(chat/completions|completions|embeddings)$ {
      proxy_pass http://vertex${base}$1;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${options.token}";
      proxy_buffering off;
      proxy_read_timeout 600s;
    }
  }
}
`;
}

export async function startNginx(binary: string, upstreamUrl: string, token: string): Promise<Nginx> {
  const dir = join(workDir, 'nginx');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const configFile = join(dir, 'nginx.conf');
  writeFileSync(configFile, nginxConfig({ port, upstreamUrl, token, dir }));
  const version = spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '');
  const child = track(spawn(binary, ['-p', dir, '-c', configFile, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] }));
  const url = `http://127.0.0.1:${port}`;
  await waitForPort(url, child);
  return {
    child,
    url,
    version,
    workerPids: () => childPids(child.pid as number),
  };
}

function childPids(parent: number): number[] {
  try {
    const text = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}
