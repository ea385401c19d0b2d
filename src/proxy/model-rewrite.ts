// Aliases change the `model` value and nothing else: every other byte of the
// body (Google's extra_body, tool calls, images, key order, whitespace) is
// forwarded exactly as the client sent it. So we splice bytes instead of
// re-serializing the parsed JSON.

import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE, skipWhitespace } from './json-members.ts';

/** `raw` must be a JSON object that already parsed. */
export function replaceTopLevelModel(raw: Buffer, model: string): Buffer {
  const ranges = topLevelValueRanges(raw, 'model');
  if (ranges.length === 0) return raw;
  const replacement = Buffer.from(JSON.stringify(model), 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const [start, end] of ranges) {
    parts.push(raw.subarray(last, start), replacement);
    last = end;
  }
  parts.push(raw.subarray(last));
  return Buffer.concat(parts);
}

/** Byte ranges of the values of every top-level member named `key`. */
export function topLevelValueRanges(raw: Buffer, key: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let i = skipWhitespace(raw, 0) + 1; // past '{'
  for (;;) {
    i = skipWhitespace(raw, i);
    const byte = raw[i];
    if (byte === undefined || byte === CLOSE_OBJECT) return ranges;
    if (byte === COMMA) {
      i++;
      continue;
    }
    const keyEnd = stringEnd(raw, i);
    const name = JSON.parse(raw.subarray(i, keyEnd).toString('utf8')) as string;
    i = skipWhitespace(raw, keyEnd);
    if (raw[i] === COLON) i = skipWhitespace(raw, i + 1);
    const valueEnd = valueEndAt(raw, i);
    if (name === key) ranges.push([i, valueEnd]);
    i = valueEnd;
  }
}

// UTF-8 continuation bytes are all >= 0x80, so byte-wise scanning for ASCII
// structure characters is safe inside multi-byte text.
function stringEnd(raw: Buffer, start: number): number {
  let i = start + 1;
  while (i < raw.length && raw[i] !== QUOTE) i += raw[i] === BACKSLASH ? 2 : 1;
  return i + 1;
}

function valueEndAt(raw: Buffer, start: number): number {
  const first = raw[start];
  if (first === QUOTE) return stringEnd(raw, start);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) return containerEnd(raw, start);
  let i = start;
  while (i < raw.length && raw[i] !== COMMA && raw[i] !== CLOSE_OBJECT && raw[i] !== CLOSE_ARRAY && raw[i]! > 0x20) i++;
  return i;
}

function containerEnd(raw: Buffer, start: number): number {
  let depth = 0;
  let i = start;
  while (i < raw.length) {
    const byte = raw[i];
    if (byte === QUOTE) {
      i = stringEnd(raw, i);
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
    else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
    i++;
    if (depth === 0) return i;
  }
  return i;
}
