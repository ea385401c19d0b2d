// How long loading a config file with many models takes, and whether it grows
// linearly: the time a reload blocks the event loop. Prints a markdown table.
//
// Usage: node bench/config-load.ts  (or npm run bench:config)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { RouteTable } from '../src/config/routing.ts';

const SIZES = [1_000, 10_000, 20_000, 50_000];
const dir = mkdtempSync(join(tmpdir(), 'vop-config-load-'));

function entry(i: number): { model: string; location: string[] } {
  return { model: `google/gemini-3.5-flash`, location: i % 2 ? ['europe-west1', 'europe-west4'] : ['global'] };
}

function writeFiles(n: number): { json: string; yaml: string } {
  const models = Object.fromEntries(Array.from({ length: n }, (_, i) => [`team-model-${i}`, entry(i)]));
  const json = join(dir, `models-${n}.json`);
  writeFileSync(json, JSON.stringify({ models }));
  const lines = ['models:'];
  for (const [name, route] of Object.entries(models)) lines.push(`  ${name}:`, `    model: ${route.model}`, `    location: [${route.location.join(', ')}]`);
  const yaml = join(dir, `models-${n}.yaml`);
  writeFileSync(yaml, `${lines.join('\n')}\n`);
  return { json, yaml };
}

function timeLoad(path: string): number {
  const started = performance.now();
  new RouteTable(loadConfig({ env: { PROXY_CONFIG: path } }));
  return performance.now() - started;
}

const rows = ['| models | JSON load + routes (ms) | YAML load + routes (ms) | YAML µs per model |', '|---:|---:|---:|---:|'];
try {
  for (const n of SIZES) {
    const files = writeFiles(n);
    timeLoad(files.json); // warm-up: module code compiled, not measured
    const json = Math.min(timeLoad(files.json), timeLoad(files.json));
    const yaml = Math.min(timeLoad(files.yaml), timeLoad(files.yaml));
    rows.push(`| ${n.toLocaleString('en')} | ${json.toFixed(0)} | ${yaml.toFixed(0)} | ${((yaml * 1000) / n).toFixed(0)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${rows.join('\n')}\n`);
