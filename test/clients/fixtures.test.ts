// The captured client requests (test/fixtures/clients/, see README.md here)
// stay usable as table-test inputs: well-formed, one per scenario, and free of
// credentials and of the capturing machine's temporary paths.

import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import type { RecordedCall } from './recorder.ts';
import { SCENARIOS } from './scenarios.ts';
import { CLIENT_KEY } from './weather.ts';

const DIR = new URL('../fixtures/clients/', import.meta.url);
const files = readdirSync(DIR).filter((name) => name.endsWith('.json'));

t.test('one fixture per scenario, and no other', async (t) => {
  const expected = [...SCENARIOS.map((s) => `${s.client}-${s.scenario}.json`), 'codex-exec.json'].sort();
  t.same(files.sort(), expected);
});

for (const name of files) {
  t.test(name, async (t) => {
    const text = readFileSync(new URL(name, DIR), 'utf8');
    const fixture = JSON.parse(text) as { client: string; version: string; scenario: string; requests: RecordedCall[] };
    t.equal(`${fixture.scenario}.json`, name);
    t.match(fixture.version, /^\d+\.\d+\.\d+/);
    t.ok(fixture.requests.length > 0, 'records at least one request');
    for (const request of fixture.requests) {
      t.match(request, { method: 'POST', path: /^\/v1\/(responses|chat\/completions)$/, body: { model: String } });
      t.match(request.headers.authorization ?? '', /^Bearer <credential>$/, 'the credential is a placeholder');
    }
    t.notOk(text.includes(CLIENT_KEY), 'no client key');
    t.notMatch(text, /\/tmp\/|codex-(home|work)-/, 'no temporary path of the machine that captured it');
  });
}
