// Reading a top-level member of a request body in place: the string token at
// a byte range decoded without a copy of the range unless escapes need JSON.parse.

const BACKSLASH = 0x5c;

export const TRUE = Buffer.from('true');

/** The value of the JSON string token at [start, end) (quotes included). */
export function stringAt(raw: Buffer, start: number, end: number): string {
  const escaped = raw.indexOf(BACKSLASH, start);
  if (escaped !== -1 && escaped < end) return JSON.parse(raw.toString('utf8', start, end)) as string;
  return raw.toString('utf8', start + 1, end - 1);
}
