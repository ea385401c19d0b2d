// Watches a chat answer on its way to the client and notes each tool call's
// thought signature (`tool_calls[].extra_content.google.thought_signature`) by
// tool-call id. It only looks: the bytes go to the client exactly as they come,
// never held back (a compressed answer is decompressed on the side). Text-only
// answers cost a byte search per SSE line; only lines that mention
// `"tool_calls"` are parsed, and signature-slots.ts matches what they hold.

import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { SignatureSink } from './signature-memory.ts';
import { SignatureSlots } from './signature-slots.ts';

export type AnswerFormat = 'sse' | 'json';

const LF = 0x0a;
const CR = 0x0d;
const DATA = Buffer.from('data:');
const TOOL_CALLS = Buffer.from('"tool_calls"');
const SIGNATURE = Buffer.from('thought_signature');
/** Lines or JSON bodies beyond this are left alone rather than held. */
const MAX_HELD_BYTES = 32 * 1024 * 1024;
// A compressed answer could inflate far beyond what it is (a gzip bomb): the
// tap stops decoding past this; the client still gets the original bytes.
const MAX_DECODED_BYTES = 256 * 1024 * 1024;

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
  /** Decoded bytes of a compressed answer after which the tap stops; default 256 MiB. */
  readonly maxDecodedBytes?: number;
}

export class AnswerTap {
  readonly #format: AnswerFormat;
  readonly #signatures: SignatureSlots;
  /** The unfinished SSE line, or the JSON body so far: views of the chunks, not copies. */
  #held: Buffer[] = [];
  #heldBytes = 0;
  #decodedBytes = 0;
  #jsonHasSignature = false;
  #jsonTail: Buffer = Buffer.alloc(0);
  #stopped = false;
  /** The SSE line under way outgrew the hold limit and is ignored up to its end. */
  #skipLine = false;

  readonly #maxHeldBytes: number;
  readonly #maxDecodedBytes: number;
  readonly #decoder: Decoder | undefined;
  #settle!: () => void;
  /** Resolves once the tap is done with the answer (for compressed ones, after decoding). */
  readonly finished = new Promise<void>((resolve) => (this.#settle = resolve));

  constructor(format: AnswerFormat, sink: SignatureSink, options: AnswerTapOptions = {}) {
    this.#format = format;
    this.#signatures = new SignatureSlots(sink);
    this.#maxHeldBytes = options.maxHeldBytes ?? MAX_HELD_BYTES;
    this.#maxDecodedBytes = options.maxDecodedBytes ?? MAX_DECODED_BYTES;
    if (!isPlain(options.contentEncoding)) {
      const create = DECODERS[options.contentEncoding!.trim().toLowerCase()];
      if (create === undefined) {
        this.#stop();
      } else {
        const decoder = (this.#decoder = create());
        decoder.on('data', (chunk: Buffer) => {
          this.#decodedBytes += chunk.length;
          if (this.#decodedBytes > this.#maxDecodedBytes) this.#stop();
          else this.#consume(chunk);
        });
        decoder.once('end', () => this.#finish());
        decoder.once('error', () => this.#stop());
      }
    }
  }

  /** Signatures handed to the sink so far (for compressed answers, once decoded). */
  get recorded(): number {
    return this.#signatures.recorded;
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
        this.#signatures.answer(JSON.parse(this.#takeHeld().toString('utf8')));
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
    this.#signatures.delta(event);
  }

  #writeJson(chunk: Buffer): void {
    if (!this.#jsonHasSignature) {
      this.#jsonHasSignature = chunk.includes(SIGNATURE) || straddles(this.#jsonTail, chunk, SIGNATURE);
      this.#jsonTail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - SIGNATURE.length + 1)));
    }
    this.#hold(chunk);
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
    this.#signatures.clear();
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

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** Whether `needle` spans the end of `tail` and the start of `next`. */
function straddles(tail: Buffer, next: Buffer, needle: Buffer): boolean {
  if (tail.length === 0) return false;
  return Buffer.concat([tail, next.subarray(0, needle.length - 1)]).includes(needle);
}
