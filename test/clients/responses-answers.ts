// OpenAI Responses API answers for the recording server: the response object
// a non-streamed call gets, and the event sequence a streamed one gets
// (created, in_progress, per item added/deltas/done, completed), shaped as
// OpenAI sends them so strict parsers (Codex, the Agents SDK) accept them.

import type { ServerResponse } from 'node:http';
import type { ScriptedAnswer } from '../helpers/chat-answers.ts';

type Item = Record<string, unknown>;

export function responseObject(id: string, request: Record<string, unknown>, output: Item[], status: string) {
  return {
    id,
    object: 'response',
    created_at: 1_700_000_000,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model ?? 'gpt-test',
    output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: 'disabled',
    usage:
      status === 'completed'
        ? {
            input_tokens: 11,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 7,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 18,
          }
        : null,
    user: null,
    metadata: request.metadata ?? {},
  };
}

/** The output items of `answer`, in their final (completed) state. */
export function outputItems(answer: ScriptedAnswer, ids: () => string): Item[] {
  const items: Item[] = [];
  if (answer.text !== undefined) {
    items.push({
      id: `msg_${ids()}`,
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: answer.text }],
    });
  }
  for (const call of answer.toolCalls ?? []) {
    items.push({
      id: `fc_${ids()}`,
      type: 'function_call',
      status: 'completed',
      arguments: call.arguments,
      call_id: call.id ?? `call_${ids()}`,
      name: call.name,
    });
  }
  return items;
}

/** The streamed events that build `response` item by item, numbered from 0. */
export function responseEvents(response: ReturnType<typeof responseObject>): Item[] {
  const events: Item[] = [];
  const emit = (type: string, fields: Item) => events.push({ type, sequence_number: events.length, ...fields });
  const pending = { ...response, status: 'in_progress', output: [], usage: null };
  emit('response.created', { response: pending });
  emit('response.in_progress', { response: pending });
  response.output.forEach((item, output_index) => {
    const item_id = item.id;
    if (item.type === 'message') {
      const part = (item.content as Item[])[0] as Item;
      const text = String(part.text);
      emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
      emit('response.content_part.added', { item_id, output_index, content_index: 0, part: { ...part, text: '' } });
      const half = Math.ceil(text.length / 2);
      for (const delta of [text.slice(0, half), text.slice(half)]) {
        if (delta) emit('response.output_text.delta', { item_id, output_index, content_index: 0, delta, logprobs: [] });
      }
      emit('response.output_text.done', { item_id, output_index, content_index: 0, text, logprobs: [] });
      emit('response.content_part.done', { item_id, output_index, content_index: 0, part });
    } else {
      const args = String(item.arguments);
      emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      emit('response.function_call_arguments.delta', { item_id, output_index, delta: args });
      emit('response.function_call_arguments.done', { item_id, output_index, name: item.name, arguments: args });
    }
    emit('response.output_item.done', { output_index, item });
  });
  emit('response.completed', { response });
  return events;
}

export function writeResponseEvents(res: ServerResponse, events: readonly Item[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of events) res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}
