// The output items of a streamed answer, built delta by delta.
//
// Each item is announced with `output_item.added`, fed with its deltas and
// closed with its `.done` events and `output_item.done`. A message or a
// reasoning item closes when another kind of output starts; tool calls stay
// open to the end because chat interleaves their fragments by `index`. A
// call that carries a thought signature is preceded by a reasoning item
// holding it (see signatures.ts), so a client replaying the output sends the
// signature back.

import type { ChatToolCallDelta } from './chat-types.ts';
import { callDoneEvent, partDoneEvents, summaryDoneEvents } from './event-builders.ts';
import { signatureItem, toolCallItem, type Resolved } from './output.ts';
import type { ItemStatus, OutputItem, OutputMessage, OutputReasoning, StreamEvent } from './response-types.ts';
import { signatureOf } from './signatures.ts';

type Emit = (event: StreamEvent) => void;

interface Call {
  index: number;
  callId: string;
  chatName: string;
  args: string;
  /** Output position once announced (the name is known). */
  at?: number;
  custom: boolean;
  /** Its thought signature was handed out already (upstreams may repeat it). */
  signed: boolean;
}

export class StreamItems {
  readonly output: OutputItem[] = [];
  readonly #ctx: Resolved;
  readonly #emit: Emit;
  #message: { at: number; item: OutputMessage; part?: { kind: 'text' | 'refusal'; index: number } } | undefined;
  #reasoning: { at: number; item: OutputReasoning; text: string } | undefined;
  // The call now using each chat index, and every call in order of arrival.
  readonly #calls = new Map<number, Call>();
  readonly #allCalls: Call[] = [];

  constructor(ctx: Resolved, emit: Emit) {
    this.#ctx = ctx;
    this.#emit = emit;
  }

  reasoning(delta: string): void {
    this.#closeMessage('completed');
    if (this.#reasoning === undefined) {
      const item: OutputReasoning = { type: 'reasoning', id: this.#ctx.newId('rs'), summary: [] };
      const at = this.#add(item);
      this.#reasoning = { at, item, text: '' };
      this.#emit({ type: 'response.reasoning_summary_part.added', item_id: item.id, output_index: at, summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    const r = this.#reasoning;
    r.text += delta;
    this.#emit({ type: 'response.reasoning_summary_text.delta', item_id: r.item.id, output_index: r.at, summary_index: 0, delta });
  }

  text(delta: string, kind: 'text' | 'refusal'): void {
    this.#closeReasoning();
    if (this.#message === undefined) {
      const item: OutputMessage = { type: 'message', id: this.#ctx.newId('msg'), status: 'in_progress', role: 'assistant', content: [] };
      this.#message = { at: this.#add(item), item };
    }
    const m = this.#message;
    if (m.part?.kind !== kind) {
      this.#closePart();
      const index = m.item.content.length;
      m.item.content.push(kind === 'text' ? { type: 'output_text', text: '', annotations: [] } : { type: 'refusal', refusal: '' });
      m.part = { kind, index };
      this.#emit({ type: 'response.content_part.added', item_id: m.item.id, output_index: m.at, content_index: index, part: { ...m.item.content[index] } });
    }
    const part = m.item.content[m.part.index];
    const where = { item_id: m.item.id, output_index: m.at, content_index: m.part.index, delta };
    if (part?.type === 'output_text') {
      part.text += delta;
      this.#emit({ type: 'response.output_text.delta', ...where, logprobs: [] });
    } else if (part?.type === 'refusal') {
      part.refusal += delta;
      this.#emit({ type: 'response.refusal.delta', ...where });
    }
  }

  /** One tool-call fragment; `position` stands in for a missing `index`. */
  toolCall(delta: ChatToolCallDelta, position: number, inheritedSignature: string | undefined): void {
    const explicit = typeof delta.index === 'number';
    const index = delta.index ?? position;
    let call = this.#calls.get(index);
    if (call !== undefined && !explicit && !delta.id && (signatureOf(delta) ?? inheritedSignature) !== undefined) {
      // A signature alone belongs to the earliest call still without one: parallel calls carry one, on the first.
      call = this.#allCalls.find((earlier) => !earlier.signed) ?? call;
    }
    // Some upstreams repeat an index for a new call; a new id means a new call.
    if (call === undefined || (typeof delta.id === 'string' && delta.id !== '' && delta.id !== call.callId)) {
      call = { index, callId: delta.id || this.#ctx.newId('call'), chatName: '', args: '', custom: false, signed: false };
      this.#calls.set(index, call);
      this.#allCalls.push(call);
    }
    const signature = call.signed ? undefined : (signatureOf(delta) ?? inheritedSignature);
    if (signature !== undefined) {
      call.signed = true;
      this.#ctx.onSignature(call.callId, signature);
    }
    if (typeof delta.function?.name === 'string') call.chatName += delta.function.name;
    const args = typeof delta.function?.arguments === 'string' ? delta.function.arguments : '';
    if (call.at === undefined) {
      call.args += args;
      if (call.chatName !== '') this.#announce(call, signature);
      else if (signature !== undefined) this.#signatureItem(new Map([[call.callId, signature]]));
      return;
    }
    if (signature !== undefined) this.#signatureItem(new Map([[call.callId, signature]]));
    call.args += args;
    const item = this.output[call.at];
    if (args !== '' && !call.custom && item?.type === 'function_call') {
      item.arguments = call.args;
      this.#emit({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: call.at, delta: args });
    }
  }

  /** Closes every open item; `status` is `incomplete` when the answer was cut short. */
  finish(status: ItemStatus): void {
    this.#closeReasoning();
    this.#closeMessage(status);
    // A call whose name never came is still announced, so its call_id gets an answer slot.
    for (const call of this.#allCalls) if (call.at === undefined) this.#announce(call, undefined);
    for (const call of this.#allCalls) {
      const at = call.at as number;
      const item = toolCallItem(this.#ctx, { callId: call.callId, chatName: call.chatName, arguments: call.args }, status, this.output[at]?.id);
      this.output[at] = item;
      // A custom tool's input is only known whole (it is read from the arguments at the end).
      if (item.type === 'custom_tool_call' && item.input !== '') this.#emit({ type: 'response.custom_tool_call_input.delta', item_id: item.id, output_index: at, delta: item.input });
      this.#emit(callDoneEvent(item, at));
      this.#emit({ type: 'response.output_item.done', output_index: at, item });
    }
    this.#allCalls.length = 0;
    this.#calls.clear();
  }

  #announce(call: Call, signature: string | undefined): void {
    this.#closeReasoning();
    this.#closeMessage('completed');
    if (signature !== undefined) this.#signatureItem(new Map([[call.callId, signature]]));
    const item = toolCallItem(this.#ctx, { callId: call.callId, chatName: call.chatName, arguments: '' }, 'in_progress');
    call.custom = item.type === 'custom_tool_call';
    call.at = this.#add(item);
    if (item.type === 'function_call' && call.args !== '') {
      item.arguments = call.args;
      this.#emit({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: call.at, delta: call.args });
    }
  }

  #signatureItem(signatures: Map<string, string>): void {
    const item = signatureItem(this.#ctx, signatures);
    const at = this.#add(item);
    this.#emit({ type: 'response.output_item.done', output_index: at, item });
  }

  #add(item: OutputItem): number {
    const at = this.output.push(item) - 1;
    this.#emit({ type: 'response.output_item.added', output_index: at, item });
    return at;
  }

  #closePart(): void {
    const m = this.#message;
    const part = m?.part === undefined ? undefined : m.item.content[m.part.index];
    if (m === undefined || m.part === undefined || part === undefined) return;
    for (const event of partDoneEvents({ item_id: m.item.id, output_index: m.at, content_index: m.part.index }, part)) this.#emit(event);
    m.part = undefined;
  }

  #closeMessage(status: ItemStatus): void {
    if (this.#message === undefined) return;
    this.#closePart();
    const { at, item } = this.#message;
    item.status = status;
    this.#emit({ type: 'response.output_item.done', output_index: at, item });
    this.#message = undefined;
  }

  #closeReasoning(): void {
    const r = this.#reasoning;
    if (r === undefined) return;
    const part = { type: 'summary_text' as const, text: r.text };
    for (const event of summaryDoneEvents({ item_id: r.item.id, output_index: r.at, summary_index: 0 }, part)) this.#emit(event);
    r.item.summary = [part];
    this.#emit({ type: 'response.output_item.done', output_index: r.at, item: r.item });
    this.#reasoning = undefined;
  }
}

