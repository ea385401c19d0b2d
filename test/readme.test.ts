// The README's quick start, run as pasted against the real daemon (fake
// metadata server, fake Vertex): the curl block, the Node example saved as an
// .mjs file, the Python one where the openai package is installed, and the
// `eval "$(…env)"` forms it recommends. The port is the only thing changed.

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { startDaemonWithFakes } from './helpers/daemon.ts';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('### Install the command'));

/** The fenced blocks of one language, in order. */
function blocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1] ?? '');
}

async function run(program: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return promisify(execFile)(program, args, { timeout: 30_000, ...options }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
  );
}

t.test('the project is set where the daemon starts, before npm start', async (t) => {
  const [start] = blocks(quickStart, 'sh');
  t.ok(start, 'a first sh block');
  const lines = (start ?? '').split('\n');
  const exported = lines.findIndex((line) => line.startsWith('export GOOGLE_CLOUD_PROJECT='));
  t.ok(exported >= 0 && exported < lines.findIndex((line) => line.startsWith('npm start')), 'export GOOGLE_CLOUD_PROJECT, then npm start');
});

t.test('the quick-start examples run as pasted', async (t) => {
  const daemon = await startDaemonWithFakes(t);
  const port = String(daemon.port);
  const clientEnv = { PATH: process.env.PATH, OPENAI_BASE_URL: `${daemon.url}/v1`, OPENAI_API_KEY: 'unused' };

  const curlBlock = blocks(quickStart, 'sh')[1] ?? '';
  t.match(curlBlock, /^curl /m, 'the second sh block calls curl');
  const curl = await run('sh', ['-c', curlBlock.replaceAll('8765', port)], { env: { PATH: process.env.PATH } });
  if (curl.code === 127) t.comment('skipped the curl block: no curl');
  else t.equal((JSON.parse(curl.stdout) as { choices: { message: { content: string } }[] }).choices[0]?.message.content, 'Hello from fake Vertex', 'curl');

  const [js] = blocks(quickStart, 'js');
  // Where `import 'openai'` resolves from this project's node_modules, as after `npm install openai`.
  const dir = join(root, 'node_modules', '.cache', `vop-readme-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'sky.mjs'), js ?? '');
  const node = await run(process.execPath, ['sky.mjs'], { cwd: dir, env: clientEnv });
  t.equal(node.code, 0, 'node sky.mjs', { stderr: node.stderr });
  t.match(node.stdout, /^Hello from fake Vertex\nembedding: \d+ numbers\n$/, 'it prints the answer and the embedding size');

  const [python] = blocks(quickStart, 'python');
  const hasOpenAI = (await run('python3', ['-c', 'import openai'])).code === 0;
  if (!hasOpenAI) t.comment('skipped the Python block: no python3 with the openai package');
  else {
    const result = await run('python3', ['-c', python ?? ''], { env: clientEnv });
    t.equal(result.stdout, 'part0 part1 part2 \n', 'python streams the answer');
  }
});

t.test('eval "$(… env)" as the README shows it: only the export line reaches eval', async (t) => {
  for (const command of ['npx vertex-openai-proxy env', 'npm start -s -- env']) {
    t.match(readme, `eval "$(${command})"`, `the README shows ${command}`);
    const script = `eval "$(${command})" && printf '%s|%s' "$OPENAI_BASE_URL" "$OPENAI_API_KEY"`;
    const result = await run('sh', ['-c', script], { cwd: root, env: { PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME, PORT: '9321', PROXY_API_KEY: 'k 1' } });
    t.equal(result.stdout, 'http://127.0.0.1:9321/v1|k 1', command, { stderr: result.stderr });
    t.equal(result.stderr, '', `${command}: nothing else is evaluated`);
  }
});
