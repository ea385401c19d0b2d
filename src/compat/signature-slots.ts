// Which thought signature belongs to which tool call, from a chat answer's
// JSON: whole (`choices[].message.tool_calls[]`) or streamed deltas
// (`choices[].delta.tool_calls[]`). Gemini's streams differ from OpenAI's: a
// tool call usually arrives whole in one delta, often without `index`, and the
// signature may come in a delta of its own. So ids and signatures are matched
// per choice and tool-call slot (by `index`; without one, by id), whichever
// comes first; each pair is handed to the sink once. A signature that comes
// alone belongs to the earliest call still without one: parallel calls carry
// a single signature, on the first call.

import type { SignatureSink } from './signature-memory.ts';

interface Slot {
  id?: string;
  signature?: string;
  remembered?: string;
}

export class SignatureSlots {
  readonly #sink: SignatureSink;
  /** Slots of calls that came with an `index`, by choice and index. */
  readonly #indexed = new Map<string, Slot>();
  /** Every slot of each choice, in the order the calls came. */
  readonly #byChoice = new Map<number, Slot[]>();
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
      for (const call of toolCallsOf(choice.delta)) {
        const id = nonEmptyString(call.id);
        const slot = typeof call.index === 'number' ? this.#indexedSlot(choiceIndex, call.index, id) : this.#unindexedSlot(choiceIndex, id);
        this.#note(slot, id, signatureOf(call));
      }
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
    this.#indexed.clear();
    this.#byChoice.clear();
  }

  /** Some upstreams repeat an `index` for a new call: a new id there is a new slot. */
  #indexedSlot(choice: number, index: number, id: string | undefined): Slot {
    const key = `${choice}:${index}`;
    const slot = this.#indexed.get(key);
    if (slot !== undefined && (id === undefined || slot.id === undefined || slot.id === id)) return slot;
    const added = this.#add(choice);
    this.#indexed.set(key, added);
    return added;
  }

  #unindexedSlot(choice: number, id: string | undefined): Slot {
    const slots = this.#byChoice.get(choice) ?? [];
    if (id !== undefined) {
      // The same call again, or the call a signature already came for.
      return slots.find((slot) => slot.id === id) ?? slots.find((slot) => slot.id === undefined) ?? this.#add(choice);
    }
    return slots.find((slot) => slot.signature === undefined) ?? slots.at(-1) ?? this.#add(choice);
  }

  #add(choice: number): Slot {
    const slot: Slot = {};
    const slots = this.#byChoice.get(choice);
    if (slots === undefined) this.#byChoice.set(choice, [slot]);
    else slots.push(slot);
    return slot;
  }

  #note(slot: Slot, id: string | undefined, signature: string | undefined): void {
    if (id !== undefined) slot.id = id;
    if (signature !== undefined) slot.signature = signature;
    if (slot.id !== undefined && slot.signature !== undefined && slot.remembered !== slot.signature) {
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
