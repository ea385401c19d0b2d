// Reading a top-level member of a request body in place: the string token at
// a byte range decoded without a copy of the range unless escapes need JSON.parse.

// The bytes of JSON's structure; the scanner and the model splice share them.
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

export const TRUE = Buffer.from('true');

/** The value of the JSON string token at [start, end) (quotes included). */
export function stringAt(raw: Buffer, start: number, end: number): string {
  if (hasBackslash(raw, start, end)) return JSON.parse(raw.toString('utf8', start, end)) as string;
  return raw.toString('utf8', start + 1, end - 1);
}

// Tokens read here are names and short values: a loop over the token alone,
// where raw.indexOf(BACKSLASH, start) searched on to the body's end for each.
function hasBackslash(raw: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (raw[i] === BACKSLASH) return true;
  return false;
}

/** The index of the first byte at or after `i` that is not JSON whitespace. */
export function skipWhitespace(raw: Buffer, i: number): number {
  while (i < raw.length) {
    const b = raw[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    i++;
  }
  return i;
}
