// Watches a chat answer on its way to the client and notes each tool call's
// thought signature (`tool_calls[].extra_content.google.thought_signature`) by
// tool-call id. It only looks: the bytes go to the client exactly as they come,
// never held back (a compressed answer is decompressed on the side). Text-only
// answers cost a byte search per SSE line; only lines that mention
// `"tool_calls"` are parsed.
//
// Gemini's streams differ from OpenAI's: a tool call usually arrives whole in
// one delta, often without `index`, and the signature may come in a delta of
// its own. So ids and signatures are matched per choice and tool-call slot
// (`index`, else the position in the delta), whichever comes first.

import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { SignatureSink } from './signature-memory.ts';

export type AnswerFormat = 'sse' | 'json';

const LF = 0x0a;
const CR = 0x0d;
const DATA = Buffer.from('data:');
const TOOL_CALLS = Buffer.from('"tool_calls"');
const SIGNATURE = Buffer.from('thought_signature');
/** Lines or JSON bodies beyond this are left alone rather than held. */
const MAX_HELD_BYTES = 32 * 1024 * 1024;

type Decoder = zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress;

const DECODERS: Readonly<Record<string, () => Decoder>> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * Which answers can be tapped: SSE or JSON, plain or in a content encoding the
 * tap can undo on its own copy (gzip, deflate, br).
 */
export function answerFormat(contentType: string | undefined, contentEncoding?: string): AnswerFormat | undefined {
  if (!isPlain(contentEncoding) && !Object.hasOwn(DECODERS, contentEncoding!.trim().toLowerCase())) return undefined;
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/json') return 'json';
  return undefined;
}

function isPlain(contentEncoding: string | undefined): boolean {
  const encoding = contentEncoding?.trim().toLowerCase();
  return encoding === undefined || encoding === '' || encoding === 'identity';
}

export interface AnswerTapOptions {
  /** The answer's Content-Encoding; a compressed answer is decompressed on the side, for the tap only. */
  readonly contentEncoding?: string | undefined;
  /** Longest SSE line or JSON body inspected (default 32 MiB). */
  readonly maxHeldBytes?: number;
}

interface Slot {
  id?: string;
  signature?: string;
  remembered?: string;
}

export class AnswerTap {
  readonly #format: AnswerFormat;
  readonly #sink: SignatureSink;
  /** The unfinished SSE line, or the JSON body so far: views of the chunks, not copies. */
  #held: Buffer[] = [];
  #heldBytes = 0;
  #jsonHasSignature = false;
  #jsonTail: Buffer = Buffer.alloc(0);
  #slots = new Map<string, Slot>();
  #lastKey = new Map<number, string>();
  #stopped = false;
  /** The SSE line under way outgrew the hold limit and is ignored up to its end. */
  #skipLine = false;
  #recorded = 0;

  readonly #maxHeldBytes: number;
  readonly #decoder: Decoder | undefined;
  #settle!: () => void;
  /** Resolves once the tap is done with the answer (for compressed ones, after decoding). */
  readonly finished = new Promise<void>((resolve) => (this.#settle = resolve));

  constructor(format: AnswerFormat, sink: SignatureSink, options: AnswerTapOptions = {}) {
    this.#format = format;
    this.#sink = sink;
    this.#maxHeldBytes = options.maxHeldBytes ?? MAX_HELD_BYTES;
    if (!isPlain(options.contentEncoding)) {
      const create = DECODERS[options.contentEncoding!.trim().toLowerCase()];
      if (create === undefined) {
        this.#stop();
      } else {
        const decoder = (this.#decoder = create());
        decoder.on('data', (chunk: Buffer) => this.#consume(chunk));
        decoder.once('end', () => this.#finish());
        decoder.once('error', () => this.#stop());
      }
    }
  }

  /** Signatures handed to the sink so far (for compressed answers, once decoded). */
  get recorded(): number {
    return this.#recorded;
  }

  write(chunk: Buffer): void {
    if (this.#stopped) return;
    if (this.#decoder) this.#decoder.write(chunk);
    else this.#consume(chunk);
  }

  end(): void {
    if (this.#stopped) return;
    if (this.#decoder) this.#decoder.end();
    else this.#finish();
  }

  #consume(chunk: Buffer): void {
    if (this.#stopped) return;
    try {
      if (this.#format === 'sse') this.#writeSse(chunk);
      else this.#writeJson(chunk);
    } catch {
      this.#stop(); // the tap must never disturb the relay
    }
  }

  #finish(): void {
    if (this.#stopped) return;
    try {
      if (this.#format === 'sse') {
        if (this.#heldBytes > 0 && !this.#skipLine) this.#line(this.#takeHeld());
      } else if (this.#jsonHasSignature) {
        this.#answer(JSON.parse(this.#takeHeld().toString('utf8')));
      }
    } catch {
      // A broken or truncated answer: nothing to learn from it.
    }
    this.#stop();
  }

  #writeSse(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(LF, start);
      if (newline === -1) {
        if (start < chunk.length) this.#hold(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, newline);
      if (this.#skipLine) this.#skipLine = false;
      else if (this.#heldBytes === 0) this.#line(piece);
      else {
        this.#hold(piece);
        if (!this.#skipLine) this.#line(this.#takeHeld());
        this.#skipLine = false;
      }
      start = newline + 1;
    }
  }

  #line(raw: Buffer): void {
    const line = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, -1) : raw;
    if (!startsWith(line, DATA) || !line.includes(TOOL_CALLS)) return;
    let payload = line.subarray(DATA.length);
    if (payload[0] === 0x20) payload = payload.subarray(1);
    let event: unknown;
    try {
      event = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    this.#delta(event);
  }

  #writeJson(chunk: Buffer): void {
    if (!this.#jsonHasSignature) {
      this.#jsonHasSignature = chunk.includes(SIGNATURE) || straddles(this.#jsonTail, chunk, SIGNATURE);
      this.#jsonTail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - SIGNATURE.length + 1)));
    }
    this.#hold(chunk);
  }

  /** One streamed chunk: `choices[].delta.tool_calls[]`. */
  #delta(event: unknown): void {
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
  #answer(body: unknown): void {
    for (const [, choice] of choicesOf(body)) {
      for (const call of toolCallsOf(choice.message)) {
        const id = nonEmptyString(call.id);
        const signature = signatureOf(call);
        if (id !== undefined && signature !== undefined) this.#remember(id, signature);
      }
    }
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

  #hold(piece: Buffer): void {
    if (this.#skipLine) return;
    if (this.#heldBytes + piece.length > this.#maxHeldBytes) {
      // Too large to inspect: let this line (or body) pass unexamined.
      this.#held = [];
      this.#heldBytes = 0;
      if (this.#format === 'json') this.#stop();
      else this.#skipLine = true; // until the line ends
      return;
    }
    this.#held.push(piece);
    this.#heldBytes += piece.length;
  }

  #takeHeld(): Buffer {
    const whole = this.#held.length === 1 ? (this.#held[0] as Buffer) : Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    return whole;
  }

  #stop(): void {
    if (this.#decoder && !this.#decoder.destroyed) this.#decoder.destroy();
    this.#settle();
    this.#stopped = true;
    this.#held = [];
    this.#heldBytes = 0;
    this.#slots.clear();
  }
}

/**
 * Taps a relayed upstream body without altering or delaying it. Call before the
 * stream is piped (like the byte meter): it leaves the stream paused.
 */
export function tapAnswer(stream: Readable, tap: AnswerTap): Readable {
  stream.pause();
  stream.on('data', (chunk: Buffer) => tap.write(chunk));
  stream.once('end', () => tap.end());
  stream.once('error', () => tap.end());
  return stream;
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

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** Whether `needle` spans the end of `tail` and the start of `next`. */
function straddles(tail: Buffer, next: Buffer, needle: Buffer): boolean {
  if (tail.length === 0) return false;
  return Buffer.concat([tail, next.subarray(0, needle.length - 1)]).includes(needle);
}
