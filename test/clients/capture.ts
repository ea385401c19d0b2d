// Re-captures test/fixtures/clients/*.json: runs every client scenario (and a
// real `codex exec`) against the recording server and writes down what each
// client sent. `node test/clients/capture.ts [name-filter]`, or
// `npm run capture --prefix test/clients`. Loopback only; each run is bounded.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { CODEX_PKG, codexExec, codexScript } from './drive-codex.ts';
import { startRecorder, type RecordedCall, type Script } from './recorder.ts';
import { SCENARIOS } from './scenarios.ts';
import { MODEL } from './weather.ts';

const FIXTURES = new URL('../fixtures/clients/', import.meta.url);
const SCENARIO_TIMEOUT_MS = 30_000;
function versionOf(pkg: string): string {
  const path = new URL(`node_modules/${pkg}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

function withTimeout<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function write(name: string, pkg: string, calls: readonly RecordedCall[], replace: Record<string, string> = {}): void {
  let text = JSON.stringify({ client: pkg, version: versionOf(pkg), scenario: name, requests: calls }, null, 2);
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  writeFileSync(new URL(`${name}.json`, FIXTURES), `${text}\n`);
  console.log(`${name}: ${calls.length} request(s) -> ${calls.map((c) => `${c.method} ${c.path}`).join(', ')}`);
}

async function capture(name: string, pkg: string, script: Script | undefined, run: (baseURL: string) => Promise<{ replace?: Record<string, string> } | unknown>) {
  const recorder = await startRecorder();
  if (script) recorder.script = script;
  try {
    const result = await withTimeout(run(recorder.baseURL), name, SCENARIO_TIMEOUT_MS * (pkg === CODEX_PKG ? 3 : 1));
    const replace = (result as { replace?: Record<string, string> } | undefined)?.replace;
    write(name, pkg, recorder.calls, replace);
  } finally {
    await recorder.close();
  }
}

const filter = process.argv[2] ?? '';
mkdirSync(FIXTURES, { recursive: true });
let failed = 0;
for (const s of SCENARIOS) {
  const name = `${s.client}-${s.scenario}`;
  if (!name.includes(filter)) continue;
  await capture(name, s.pkg, s.script, (baseURL) => s.run({ baseURL, model: MODEL })).catch((error: unknown) => {
    failed++;
    console.error(`${name}: FAILED`, error);
  });
}
if ('codex-exec'.includes(filter)) {
  await capture('codex-exec', CODEX_PKG, codexScript, (baseURL) => codexRun(baseURL)).catch((error: unknown) => {
    failed++;
    console.error('codex-exec: FAILED', error);
  });
}
process.exitCode = failed ? 1 : 0;

/** Fails the capture when Codex did not finish the tool loop or reached beyond loopback. */
async function codexRun(baseURL: string) {
  const run = await codexExec({ baseURL, model: MODEL });
  if (run.escaped.length) throw new Error(`Codex tried to reach beyond loopback: ${run.escaped.join(', ')}`);
  if (run.code !== 0 || !run.lastMessage.includes('hi')) {
    throw new Error(`codex exec ended with ${run.code ?? run.signal}, last message ${JSON.stringify(run.lastMessage)}\n${run.stderr}`);
  }
  return run;
}
