// A non-streaming chat completion → the Responses response object.
//
// Output order: a reasoning item (Gemini's thought summary and/or the
// thought signatures of the calls), the assistant message, then one item per
// tool call, the order a Responses client replays them in.

import type { ChatCompletion, ChatToolCallDelta } from './chat-types.ts';
import { badUpstreamAnswer } from './errors.ts';
import { finalStatus, resolveContext, responseObject, responseUsage, signatureItem, toolCallItem, type AnswerContext } from './output.ts';
import type { OutputItem, OutputMessage, ResponseObject } from './response-types.ts';
import { signatureOf } from './signatures.ts';
import { isRecord } from './validate.ts';

export function toResponse(completion: unknown, context: AnswerContext): ResponseObject {
  const ctx = resolveContext(context);
  const body = completion as ChatCompletion;
  const choice = isRecord(completion) && Array.isArray(body.choices) ? body.choices[0] : undefined;
  const message = choice?.message;
  if (!isRecord(message)) throw badUpstreamAnswer('The upstream answer has no choices[0].message.');
  const { status, incompleteReason } = finalStatus(choice?.finish_reason);

  const calls = (Array.isArray(message.tool_calls) ? message.tool_calls : []).filter(isRecord) as ChatToolCallDelta[];
  const signatures = new Map<string, string>();
  const items: OutputItem[] = calls.map((call, i) => {
    const callId = typeof call.id === 'string' && call.id !== '' ? call.id : ctx.newId('call');
    // Gemini signs the first call of a step; a message-level signature belongs to it too.
    const signature = signatureOf(call) ?? (i === 0 ? signatureOf(message) : undefined);
    if (signature !== undefined) {
      signatures.set(callId, signature);
      ctx.onSignature(callId, signature);
    }
    const chatName = typeof call.function?.name === 'string' ? call.function.name : '';
    const args = typeof call.function?.arguments === 'string' ? call.function.arguments : '';
    return toolCallItem(ctx, { callId, chatName, arguments: args }, status === 'completed' ? 'completed' : 'incomplete');
  });

  const content: OutputMessage['content'] = [];
  if (typeof message.content === 'string' && message.content !== '') {
    content.push({ type: 'output_text', text: message.content, annotations: [] });
  }
  if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'refusal', refusal: message.refusal });
  if (content.length > 0) {
    const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
    items.unshift({ type: 'message', id: ctx.newId('msg'), status: itemStatus, role: 'assistant', content });
  }

  const summary = typeof message.reasoning_content === 'string' ? message.reasoning_content : '';
  if (summary !== '' || signatures.size > 0) items.unshift(signatureItem(ctx, signatures, summary));
  return responseObject(ctx, status, items, { usage: responseUsage(body.usage), incompleteReason });
}
