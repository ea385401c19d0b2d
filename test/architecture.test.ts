// The shape of src/, checked: arrows run one way between the folders (cli →
// server → app → features → credentials → config → errors), no import circles,
// files stay small, and the things that must have one owner have one. In
// test/ and bench/ too, files stay small and imports run in no circle.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';

const ROOT = new URL('../', import.meta.url).pathname;
const SRC = join(ROOT, 'src/');
const MAX_LINES = 250;

// Lower ranks never import higher ones. Feature folders share a rank: they may
// use one another, but never in a circle (checked below).
const RANKS: Record<string, number> = {
  errors: 0,
  config: 1,
  credentials: 2,
  observability: 3,
  guard: 3,
  proxy: 3,
  'metadata-server': 3,
  responses: 3,
  compat: 3,
  app: 4,
  server: 5,
  cli: 6,
  'cli.ts': 7,
};

// Installed packages and recorded fixtures are not ours to keep small.
const NOT_OURS = new Set(['node_modules', 'fixtures']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (NOT_OURS.has(name)) return [];
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/g;

const files = sourceFiles(SRC);
const everyFile = [...files, ...sourceFiles(join(ROOT, 'test')), ...sourceFiles(join(ROOT, 'bench'))];
const texts = new Map(everyFile.map((file) => [file, readFileSync(file, 'utf8')]));
const imports = new Map(
  everyFile.map((file) => {
    const specs = [...(texts.get(file) ?? '').matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
    return [file, specs.map((spec) => resolve(dirname(file), spec))];
  }),
);
const name = (file: string) => relative(SRC, file);
const folder = (file: string) => name(file).split('/')[0] ?? '';

t.test('every file sits in a known folder', async (t) => {
  t.same(files.filter((file) => !(folder(file) in RANKS)).map(name), [], 'each folder has a place in the layering');
});

t.test('arrows run one way between folders', async (t) => {
  const wrong: string[] = [];
  for (const file of files) {
    const targets = imports.get(file) ?? [];
    for (const target of targets) {
      const from = RANKS[folder(file)] ?? -1;
      const to = RANKS[folder(target)] ?? -1;
      if (to > from) wrong.push(`${name(file)} → ${name(target)}`);
    }
  }
  t.same(wrong, [], 'no import reaches up a layer');
});

t.test('no import circles, in src/, test/ or bench/', async (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of imports.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((file) => relative(ROOT, file)).join(' → '));
      else if (!state.has(next) && imports.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of everyFile) if (!state.has(file)) visit(file);
  t.same(cycles, []);
});

t.test(`no file over ${MAX_LINES} lines, in src/, test/ or bench/`, async (t) => {
  const long = everyFile.map((file) => [relative(ROOT, file), (texts.get(file) ?? '').split('\n').length] as const).filter(([, lines]) => lines > MAX_LINES);
  t.same(long, []);
});

t.test('one owner each: GoogleAuth, file watching', async (t) => {
  const holding = (pattern: RegExp) => files.filter((file) => pattern.test(texts.get(file) ?? '')).map(name);
  t.same(holding(/new GoogleAuth\b/), ['credentials/adc-source.ts'], 'one file creates GoogleAuth');
  t.same(holding(/\bwatchFile\(/), ['config/watch-file.ts'], 'one file watches files');
});
