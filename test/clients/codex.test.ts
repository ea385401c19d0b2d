// A real `codex exec` through the proxy (issue 10): Codex speaks only the
// Responses API, with ~40 KB bodies full of keys Vertex refuses, a namespace
// tool and built-in tools Vertex cannot run. The fake Vertex (as Gemini 3)
// answers with a call of Codex's shell tool, Codex runs `echo hi` and sends the
// output back, and the final text must arrive. Bounded in time; loopback only.

import t from 'tap';
import { CODEX_FINAL_TEXT, codexExec, codexScript } from './drive-codex.ts';
import { assertSignaturesCarried, assertVertexAccepted, chatRequests, startProxy, textOf } from './proxy.ts';
import { GEMINI_3 } from './weather.ts';

t.test('codex exec runs a shell tool through the proxy and reports its output', { timeout: 55_000 }, async (t) => {
  const { h, target } = await startProxy(t);
  h.vertex.chat.script = codexScript;
  const run = await codexExec(target(GEMINI_3), { timeoutMs: 45_000 });
  t.equal(run.code, 0, 'codex exec succeeds', { stderr: run.stderr.slice(-2000) });
  t.same(run.escaped, [], 'Codex reached nothing beyond loopback');
  t.equal(run.lastMessage.trim(), CODEX_FINAL_TEXT, 'the final text arrives');

  const [first, followUp] = chatRequests(h.vertex);
  t.equal(chatRequests(h.vertex).length, 2, 'the question, then the command output');
  t.equal(first?.stream, true);
  const names = ((first?.tools ?? []) as { type: string; function?: { name: string } }[]).map((tool) => tool.function?.name);
  t.ok(names.includes('exec_command'), 'Codex shell tool is offered to the model');
  t.ok(
    (first?.tools as { type: string }[]).every((tool) => tool.type === 'function'),
    'only function tools reach Vertex (web_search dropped, namespace flattened)',
  );
  const tool = followUp?.messages?.find((m) => m.role === 'tool');
  t.match(textOf(tool?.content), /\bhi\b/, 'the command output goes back to the model');
  assertSignaturesCarried(t, h.vertex);
  assertVertexAccepted(t, h.vertex);
});
