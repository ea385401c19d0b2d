// The two top-level members the proxy reads from a request body, found by
// comparing bytes: a key token is decoded only when escapes could spell a name.

const BACKSLASH = 0x5c;

const MODEL_KEY = Buffer.from('"model"');
const STREAM_KEY = Buffer.from('"stream"');
export const TRUE = Buffer.from('true');

/** `model` or `stream` when the key token at [start, end) names one of them (escapes decoded); else undefined. */
export function memberName(raw: Buffer, start: number, end: number): 'model' | 'stream' | undefined {
  const length = end - start;
  if (length === MODEL_KEY.length && raw.compare(MODEL_KEY, 0, length, start, end) === 0) return 'model';
  if (length === STREAM_KEY.length && raw.compare(STREAM_KEY, 0, length, start, end) === 0) return 'stream';
  // Escapes can spell either name ("mod\u0065l"); only then is the key decoded.
  const escaped = raw.indexOf(BACKSLASH, start);
  if (escaped === -1 || escaped >= end) return undefined;
  const name = decodeString(raw.subarray(start, end));
  return name === 'model' || name === 'stream' ? name : undefined;
}

/** A JSON string token's value; JSON.parse only where escapes make it necessary. */
export function decodeString(token: Buffer): string {
  return token.includes(BACKSLASH) ? (JSON.parse(token.toString('utf8')) as string) : token.toString('utf8', 1, token.length - 1);
}
