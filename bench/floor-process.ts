// The reference servers of bench/floor/ as processes: stripped to plain
// JavaScript in the work directory and forked with a static token.

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { freePort } from '../test/helpers/loopback.ts';
import type { FloorSpec } from './floor/spec.ts';
import { ROOT, track, workDir, type Upstream } from './processes.ts';
import { VERTEX_CHAT_PATH } from './protocol.ts';

/** A reference server from bench/floor/ (`stack` or `node`), forwarding /v1/chat/completions with a static token. */
export type FloorKind = 'stack' | 'node';

/**
 * The floor as plain JavaScript, as the proxy runs from dist/: run as .ts,
 * Node would load its type stripper too, and that memory is not the stack's.
 */
function floorScript(kind: FloorKind): string {
  const dir = join(workDir, 'floor');
  const script = join(dir, `${kind}.mjs`);
  if (existsSync(script)) return script;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(script, stripTypeScriptTypes(readFileSync(join(ROOT, `bench/floor/${kind}.ts`), 'utf8')));
  return script;
}

export async function spawnFloor(
  kind: FloorKind,
  upstream: Upstream,
  token: string,
  execArgv: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string }> {
  const spec: FloorSpec = {
    port: await freePort(),
    upstreamOrigin: upstream.ready.vertexUrl,
    upstreamBasePath: VERTEX_CHAT_PATH.slice(0, -'/chat/completions'.length),
    token,
  };
  const child = track(fork(floorScript(kind), [JSON.stringify(spec)], { cwd: ROOT, execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const first = await Promise.race([once(child, 'message').then(() => 'ready'), once(child, 'exit').then(([code]) => `exited with ${code}`)]);
  if (first !== 'ready') throw new Error(`bench/floor/${kind}.ts ${first} before it was ready`);
  return { child, url: `http://127.0.0.1:${spec.port}` };
}
