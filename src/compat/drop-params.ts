// Vertex's OpenAI-compatible parser answers 400 INVALID_ARGUMENT ("Unknown
// name ...") for some OpenAI fields that SDKs and agent frameworks send by
// default. This removes named top-level members by splicing bytes, so every
// other byte of the body (nested keys of the same name included) is forwarded
// exactly as sent, and a body without them comes back as the same Buffer.

import { DEFAULT_DROP_PARAMS } from '../config/compat-settings.ts';
import { topLevelValueRanges } from '../proxy/model-rewrite.ts';

export { DEFAULT_DROP_PARAMS };

export interface DroppedParams {
  /** The body to send: `raw` itself when nothing was dropped. */
  readonly body: Buffer;
  /** Names removed, in the order they appear in the body (once each). */
  readonly dropped: readonly string[];
}

const WHITESPACE = new Set([0x20, 0x0a, 0x0d, 0x09]);
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;

/**
 * Removes the top-level members named in `names` from the JSON object `raw`
 * (which must already have parsed). Pass the parsed object as `json` to skip
 * the byte search for names it does not hold.
 */
export function dropTopLevelParams(raw: Buffer, names: readonly string[], json?: Record<string, unknown>): DroppedParams {
  const present = names.filter((name) => (json ? Object.hasOwn(json, name) : raw.includes(`"${name}"`)));
  if (present.length === 0) return { body: raw, dropped: [] };

  const members: Array<{ name: string; keyStart: number; valueEnd: number }> = [];
  for (const name of new Set(present)) {
    for (const [valueStart, valueEnd] of topLevelValueRanges(raw, name)) {
      members.push({ name, keyStart: keyStartBefore(raw, valueStart), valueEnd });
    }
  }
  if (members.length === 0) return { body: raw, dropped: [] };
  members.sort((a, b) => a.keyStart - b.keyStart);

  // Each member leaves with one comma: the one before it, or, while every
  // member so far has been dropped, the one after it (and the space after that).
  const cuts: Array<[number, number]> = [];
  let leadingComma = -1;
  for (const { keyStart, valueEnd } of members) {
    const before = skipBack(raw, keyStart - 1);
    if (raw[before] === OPEN_OBJECT || (leadingComma !== -1 && before === leadingComma)) {
      const after = skipForward(raw, valueEnd);
      const hasComma = raw[after] === COMMA;
      cuts.push([keyStart, hasComma ? skipForward(raw, after + 1) : valueEnd]);
      leadingComma = hasComma ? after : -1;
    } else {
      cuts.push([before, valueEnd]);
      leadingComma = -1;
    }
  }

  const parts: Buffer[] = [];
  let last = 0;
  for (const [start, end] of cuts) {
    parts.push(raw.subarray(last, start));
    last = end;
  }
  parts.push(raw.subarray(last));
  const dropped = [...new Set(members.map((m) => m.name))];
  return { body: Buffer.concat(parts), dropped };
}

/** A route's own list replaces the top-level one; `[]` turns dropping off. */
export function effectiveDropParams(routeList: readonly string[] | undefined, defaultList: readonly string[]): readonly string[] {
  return routeList ?? defaultList;
}

/** From a member's value back over `:` and the key string to the key's opening quote. */
function keyStartBefore(raw: Buffer, valueStart: number): number {
  let i = skipBack(raw, valueStart - 1);
  if (raw[i] === COLON) i = skipBack(raw, i - 1);
  // raw[i] is the key's closing quote; find the opening one (a quote not escaped by an odd run of backslashes).
  for (let k = i - 1; k >= 0; k--) {
    if (raw[k] !== QUOTE) continue;
    let slashes = 0;
    while (k - 1 - slashes >= 0 && raw[k - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return k;
  }
  return i;
}

function skipBack(raw: Buffer, i: number): number {
  while (i > 0 && WHITESPACE.has(raw[i] as number)) i--;
  return i;
}

function skipForward(raw: Buffer, i: number): number {
  while (i < raw.length && WHITESPACE.has(raw[i] as number)) i++;
  return i;
}
