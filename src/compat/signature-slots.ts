// Which thought signature belongs to which tool call, from a chat answer's
// JSON: whole (`choices[].message.tool_calls[]`) or streamed deltas
// (`choices[].delta.tool_calls[]`). Gemini's streams differ from OpenAI's: a
// tool call usually arrives whole in one delta, often without `index`, and the
// signature may come in a delta of its own. So ids and signatures are matched
// per choice and tool-call slot (`index`, else the position in the delta),
// whichever comes first; each pair is handed to the sink once.

import type { SignatureSink } from './signature-memory.ts';

interface Slot {
  id?: string;
  signature?: string;
  remembered?: string;
}

export class SignatureSlots {
  readonly #sink: SignatureSink;
  #slots = new Map<string, Slot>();
  #lastKey = new Map<number, string>();
  #recorded = 0;

  constructor(sink: SignatureSink) {
    this.#sink = sink;
  }

  /** Signatures handed to the sink so far. */
  get recorded(): number {
    return this.#recorded;
  }

  /** One streamed chunk: `choices[].delta.tool_calls[]`. */
  delta(event: unknown): void {
    for (const [position, choice] of choicesOf(event)) {
      const choiceIndex = typeof choice.index === 'number' ? choice.index : position;
      const calls = toolCallsOf(choice.delta);
      calls.forEach((call, callPosition) => {
        const explicit = typeof call.index === 'number';
        let key = `${choiceIndex}:${explicit ? call.index : callPosition}`;
        const id = nonEmptyString(call.id);
        const signature = signatureOf(call);
        // A signature-only delta without `index` belongs to the call this choice saw last.
        if (id === undefined && !explicit && !this.#slots.has(key)) key = this.#lastKey.get(choiceIndex) ?? key;
        this.#lastKey.set(choiceIndex, key);
        this.#note(key, id, signature);
      });
    }
  }

  /** A whole answer: `choices[].message.tool_calls[]`. */
  answer(body: unknown): void {
    for (const [, choice] of choicesOf(body)) {
      for (const call of toolCallsOf(choice.message)) {
        const id = nonEmptyString(call.id);
        const signature = signatureOf(call);
        if (id !== undefined && signature !== undefined) this.#remember(id, signature);
      }
    }
  }

  clear(): void {
    this.#slots.clear();
    this.#lastKey.clear();
  }

  #note(key: string, id: string | undefined, signature: string | undefined): void {
    let slot = this.#slots.get(key);
    if (id !== undefined) {
      if (slot === undefined || (slot.id !== undefined && slot.id !== id)) this.#slots.set(key, (slot = { id }));
      else slot.id = id;
    }
    if (signature !== undefined) {
      if (slot === undefined) this.#slots.set(key, (slot = {}));
      slot.signature = signature;
    }
    if (slot?.id !== undefined && slot.signature !== undefined && slot.remembered !== slot.signature) {
      slot.remembered = slot.signature;
      this.#remember(slot.id, slot.signature);
    }
  }

  #remember(id: string, signature: string): void {
    this.#sink.remember(id, signature);
    this.#recorded++;
  }
}

type Json = Record<string, unknown>;

function choicesOf(body: unknown): Array<[number, Json]> {
  const choices = isObject(body) && Array.isArray(body.choices) ? body.choices : [];
  const out: Array<[number, Json]> = [];
  choices.forEach((choice: unknown, i: number) => {
    if (isObject(choice)) out.push([i, choice]);
  });
  return out;
}

function toolCallsOf(message: unknown): Json[] {
  if (!isObject(message) || !Array.isArray(message.tool_calls)) return [];
  return message.tool_calls.filter(isObject);
}

function signatureOf(call: Json): string | undefined {
  const extra = call.extra_content;
  const google = isObject(extra) ? extra.google : undefined;
  return isObject(google) ? nonEmptyString(google.thought_signature) : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
