// Reads what the proxy needs from a request body — the top-level `model`,
// `stream` and member names — and checks that the bytes are one JSON object, without building
// the object graph. JSON.parse of a 31 MB body of tiny objects takes over a
// gigabyte; this walk holds one small stack. Features that must see more parse
// fully themselves.

import { isUtf8 } from 'node:buffer';
import { ProxyError } from '../errors/proxy-error.ts';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE, skipWhitespace, stringAt, TRUE } from './json-members.ts';

export interface ScannedBody {
  readonly model: string | undefined;
  readonly stream: boolean;
  /** The top-level member names, in body order (decoded; repeated if the body repeats one). */
  readonly keys: readonly string[];
}

const MINUS = 0x2d;

class ScanError extends Error {}

export function scanJsonBody(raw: Buffer): ScannedBody {
  // JSON is UTF-8: other bytes would be read one way here (as U+FFFD) and another by Vertex.
  if (!isUtf8(raw)) throw new ProxyError('invalid_json', 'its bytes are not valid UTF-8');
  try {
    return new Scanner(raw).body();
  } catch (err) {
    if (err instanceof ProxyError) throw err;
    if (!(err instanceof ScanError)) throw err;
    if (raw.length === 0 || skipWhitespace(raw, 0) === raw.length) throw new ProxyError('invalid_json', '');
    throw new ProxyError('invalid_json', err.message);
  }
}

class Scanner {
  readonly #raw: Buffer;
  #i = 0;
  #model: string | undefined;
  #modelSeen = false;
  #stream = false;
  readonly #keys: string[] = [];

  constructor(raw: Buffer) {
    this.#raw = raw;
  }

  body(): ScannedBody {
    this.#i = skipWhitespace(this.#raw, 0);
    if (this.#raw[this.#i] !== OPEN_OBJECT) {
      if (this.#i >= this.#raw.length) throw new ScanError('empty');
      this.#value(); // a syntax error in a non-object says so first
      if (skipWhitespace(this.#raw, this.#i) !== this.#raw.length) throw this.#unexpected();
      throw new ProxyError('invalid_request_body', 'Request body must be a JSON object.');
    }
    this.#topObject();
    if (skipWhitespace(this.#raw, this.#i) !== this.#raw.length) throw this.#unexpected();
    return { model: this.#model, stream: this.#stream, keys: this.#keys };
  }

  #unexpected(): ScanError {
    const at = skipWhitespace(this.#raw, this.#i);
    return new ScanError(at >= this.#raw.length ? 'unexpected end of input' : `unexpected character at position ${at}`);
  }

  #expect(byte: number): void {
    this.#i = skipWhitespace(this.#raw, this.#i);
    if (this.#raw[this.#i] !== byte) throw this.#unexpected();
    this.#i++;
  }

  #topObject(): void {
    this.#i++; // past '{'
    this.#i = skipWhitespace(this.#raw, this.#i);
    if (this.#raw[this.#i] === CLOSE_OBJECT) {
      this.#i++;
      return;
    }
    for (;;) {
      this.#i = skipWhitespace(this.#raw, this.#i);
      const keyStart = this.#i;
      this.#string();
      const keyEnd = this.#i;
      this.#expect(COLON);
      this.#i = skipWhitespace(this.#raw, this.#i);
      const valueStart = this.#i;
      this.#value();
      this.#member(keyStart, keyEnd, valueStart, this.#i);
      this.#i = skipWhitespace(this.#raw, this.#i);
      const next = this.#raw[this.#i++];
      if (next === CLOSE_OBJECT) return;
      if (next !== COMMA) {
        this.#i--;
        throw this.#unexpected();
      }
    }
  }

  /** A top-level member, by byte offsets: its name is kept (for dropParams); only `model` and `stream` values are read. */
  #member(keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    const raw = this.#raw;
    const key = stringAt(raw, keyStart, keyEnd);
    this.#keys.push(key);
    if (key === 'model') {
      // Routing would read one value and Vertex might read another.
      if (this.#modelSeen) throw new ProxyError('invalid_request_body', 'Request body has more than one top-level "model" key.');
      this.#modelSeen = true;
      // Anything but a string would take the default route and reach Vertex as sent.
      if (raw[valueStart] !== QUOTE) throw new ProxyError('invalid_request_body', 'model must be a string naming the model.');
      this.#model = stringAt(raw, valueStart, valueEnd);
    } else if (key === 'stream') {
      this.#stream = valueEnd - valueStart === 4 && raw.compare(TRUE, 0, 4, valueStart, valueEnd) === 0;
    }
  }

  /** Any value, iteratively: nesting depth costs one stack entry, never call depth. */
  #value(): void {
    const open: number[] = [];
    for (;;) {
      this.#i = skipWhitespace(this.#raw, this.#i);
      const b = this.#raw[this.#i];
      if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        this.#i++;
        const close = b === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
        this.#i = skipWhitespace(this.#raw, this.#i);
        if (this.#raw[this.#i] === close) {
          this.#i++;
        } else {
          open.push(close);
          if (close === CLOSE_OBJECT) this.#key();
          continue;
        }
      } else {
        this.#scalar(b);
      }
      // After a value: close containers, or a comma and the next member.
      for (;;) {
        if (open.length === 0) return;
        this.#i = skipWhitespace(this.#raw, this.#i);
        const next = this.#raw[this.#i];
        const close = open[open.length - 1];
        if (next === close) {
          this.#i++;
          open.pop();
          continue;
        }
        if (next !== COMMA) throw this.#unexpected();
        this.#i++;
        if (close === CLOSE_OBJECT) this.#key();
        break;
      }
    }
  }

  #key(): void {
    this.#i = skipWhitespace(this.#raw, this.#i);
    this.#string();
    this.#expect(COLON);
  }

  #scalar(b: number | undefined): void {
    if (b === QUOTE) return this.#string();
    if (b === MINUS || isDigit(b)) return this.#number();
    for (const literal of LITERALS) {
      if (b === literal[0] && this.#raw.subarray(this.#i, this.#i + literal.length).equals(literal)) {
        this.#i += literal.length;
        return;
      }
    }
    throw this.#unexpected();
  }

  #string(): void {
    const raw = this.#raw;
    if (raw[this.#i] !== QUOTE) throw this.#unexpected();
    let i = this.#i + 1;
    for (;;) {
      const b = raw[i];
      if (b === undefined) throw new ScanError('unterminated string');
      if (b === QUOTE) break;
      if (b < 0x20) throw new ScanError(`control character in string at position ${i}`);
      if (b === BACKSLASH) {
        const e = raw[i + 1];
        if (e === 0x75) {
          if (!/^[0-9a-fA-F]{4}$/.test(raw.toString('latin1', i + 2, i + 6))) throw new ScanError(`bad \\u escape at position ${i}`);
          i += 6;
          continue;
        }
        if (e === undefined || !SIMPLE_ESCAPES.has(e)) throw new ScanError(`bad escape at position ${i}`);
        i += 2;
        continue;
      }
      i++;
    }
    this.#i = i + 1;
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  #number(): void {
    const raw = this.#raw;
    let i = this.#i;
    if (raw[i] === MINUS) i++;
    if (raw[i] === 0x30) i++;
    else i = this.#digits(i);
    if (raw[i] === 0x2e) i = this.#digits(i + 1);
    if (raw[i] === 0x65 || raw[i] === 0x45) {
      i++;
      if (raw[i] === 0x2b || raw[i] === MINUS) i++;
      i = this.#digits(i);
    }
    this.#i = i;
  }

  /** One or more digits from `i`; returns the index after them. */
  #digits(i: number): number {
    const start = i;
    while (isDigit(this.#raw[i])) i++;
    if (i === start) {
      this.#i = i;
      throw this.#unexpected();
    }
    return i;
  }
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

const SIMPLE_ESCAPES = new Set([QUOTE, BACKSLASH, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const LITERALS = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];
