// Table tests of the request mapping over what real clients send (the captured
// fixtures): every Responses request translates into a Chat Completions body
// that holds only fields Vertex accepts, with each tool call of the history
// answered by its tool message; the chat requests clients send need no
// translation and hold only such fields already.

import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { toChatRequest, type DroppedFeature } from '../../src/responses/request.ts';
import { unknownFields } from '../helpers/vertex-chat-fields.ts';
import type { ChatMessage } from './proxy.ts';
import type { RecordedCall } from './recorder.ts';

const DIR = new URL('../fixtures/clients/', import.meta.url);

for (const file of readdirSync(DIR).filter((name) => name.endsWith('.json'))) {
  const name = file.replace(/\.json$/, '');
  const { requests } = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as { requests: RecordedCall[] };
  requests.forEach((request, index) => {
    const body = request.body as Record<string, unknown>;
    if (request.path.endsWith('/chat/completions')) {
      t.test(`${name} #${index}: a chat request needs no field dropped`, async (t) => {
        t.same(unknownFields(body), []);
      });
      return;
    }
    t.test(`${name} #${index}: Responses → Chat Completions`, async (t) => {
      const dropped: DroppedFeature[] = [];
      const { chat } = toChatRequest(body, { onDropped: (feature) => dropped.push(feature) });
      t.same(unknownFields(chat as unknown as Record<string, unknown>), [], 'only fields Vertex accepts');
      t.equal(chat.model, body.model);
      t.equal(chat.stream ?? false, body.stream === true);
      if (chat.stream) t.same(chat.stream_options, { include_usage: true });
      const messages = chat.messages as ChatMessage[];
      const callIds = messages.flatMap((m) => (m.role === 'assistant' ? (m.tool_calls ?? []).map((call) => call.id) : []));
      const answered = messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id);
      // With previous_response_id the history comes from the proxy's store (tested end to end).
      if (!body.previous_response_id) t.same(answered, callIds, 'every tool call of the history is answered by its tool message, in order');
      for (const tool of chat.tools ?? []) t.equal(tool.type, 'function', 'only function tools go upstream');
      const builtIn = ((body.tools ?? []) as { type: string }[]).filter((tool) => !['function', 'namespace', 'custom'].includes(tool.type));
      t.same(
        dropped.filter((d) => d.kind === 'tool').map((d) => d.type),
        builtIn.map((tool) => tool.type),
        'built-in tools are dropped and reported',
      );
    });
  });
}
