// Gemini 3 rejects a follow-up turn whose function calls lack the thought
// signature it handed out ("Function call is missing a thought_signature").
// On the OpenAI-compatible endpoint the signature rides on each tool call as
// `extra_content.google.thought_signature`, and many OpenAI clients drop it
// when they rebuild the assistant message. This puts it back: from the
// signature memory by tool-call id, or, when the id is unknown, with the
// sentinel Google documents for history it cannot validate.
//
// Only requests that change are re-serialized, and then only their `messages`
// value: every other byte of the body stays as the client sent it.

import { topLevelValueRanges } from '../proxy/model-rewrite.ts';
import type { SignatureLookup } from './signature-memory.ts';

/** Google's documented stand-in for a signature that cannot be had ("Thought signatures", Vertex AI and Gemini API docs). */
export const SKIP_SIGNATURE_VALIDATOR = 'skip_thought_signature_validator';

const TOOL_CALLS = Buffer.from('"tool_calls"');
const GEMINI_VERSION = /^(?:google\/)?gemini-(\d+)(?:[.-]|$)/i;
const GEMINI_LATEST = /^(?:google\/)?gemini-(?:pro|flash|flash-lite)-latest$/i;

/**
 * Whether the model validates thought signatures on function calls: Gemini 3
 * and later (`google/gemini-3.5-flash`, `gemini-3-flash-preview`, the
 * `-latest` aliases). Gemini 2.x accepts calls without them.
 */
export function requiresThoughtSignatures(model: string | undefined): boolean {
  if (model === undefined) return false;
  const version = GEMINI_VERSION.exec(model);
  if (version) return Number(version[1]) >= 3;
  return GEMINI_LATEST.test(model);
}

export interface SignatureRepairOptions {
  /** The model Vertex will receive (after alias resolution). */
  readonly model: string | undefined;
  readonly memory: SignatureLookup;
  /** Insert SKIP_SIGNATURE_VALIDATOR where no signature is known. */
  readonly fallback: boolean;
}

export interface SignatureRepair {
  /** The body to send instead of the client's. */
  readonly body: Buffer;
  /** Tool calls given back their remembered signature. */
  readonly restored: number;
  /** Assistant messages given the sentinel. */
  readonly sentinels: number;
}

type Json = Record<string, unknown>;

/**
 * Fills in missing thought signatures on the assistant messages of a chat
 * request. `raw` is the body as received; `json` its parse, or undefined to
 * have it parsed here, and only for Gemini 3 requests that hold tool calls.
 * Returns undefined when nothing changes, so the caller forwards `raw`
 * untouched. Signatures the client sent are never replaced.
 */
export function repairThoughtSignatures(raw: Buffer, json: unknown, options: SignatureRepairOptions): SignatureRepair | undefined {
  if (!requiresThoughtSignatures(options.model) || !raw.includes(TOOL_CALLS)) return undefined;
  if (json === undefined) json = parseOrUndefined(raw);
  if (!isObject(json) || !Array.isArray(json.messages)) return undefined;
  const messages = json.messages as unknown[];
  // Google validates the current turn: everything after the latest user message
  // (tool results are `tool` messages, so they do not end the turn).
  const currentTurnStart = messages.findLastIndex((m) => isObject(m) && m.role === 'user') + 1;

  let restored = 0;
  let sentinels = 0;
  let changed: unknown[] | undefined;
  messages.forEach((message, i) => {
    if (!isObject(message) || message.role !== 'assistant' || !Array.isArray(message.tool_calls)) return;
    const calls = message.tool_calls as unknown[];
    let newCalls: unknown[] | undefined;
    calls.forEach((call, j) => {
      if (!isObject(call) || signatureOf(call) !== undefined || typeof call.id !== 'string') return;
      const remembered = options.memory.recall(call.id);
      if (remembered === undefined) return;
      (newCalls ??= [...calls])[j] = withSignature(call, remembered);
      restored++;
    });
    const after = newCalls ?? calls;
    const first = after.findIndex(isObject);
    // Parallel calls carry one signature, on the first call, and that one is what
    // Gemini checks: a signature on a later call (the client reordered them) does not count.
    if (options.fallback && first !== -1 && signatureOf(after[first] as Json) === undefined && i >= currentTurnStart) {
      (newCalls ??= [...calls])[first] = withSignature(after[first] as Json, SKIP_SIGNATURE_VALIDATOR);
      sentinels++;
    }
    if (newCalls) (changed ??= [...messages])[i] = { ...message, tool_calls: newCalls };
  });
  if (!changed) return undefined;
  const messagesJson = stringifyOrUndefined(changed);
  if (messagesJson === undefined) return undefined;
  return { body: replaceTopLevel(raw, 'messages', messagesJson), restored, sentinels };
}

function signatureOf(call: Json): string | undefined {
  const extra = call.extra_content;
  const google = isObject(extra) ? extra.google : undefined;
  const signature = isObject(google) ? google.thought_signature : undefined;
  return typeof signature === 'string' && signature !== '' ? signature : undefined;
}

function withSignature(call: Json, signature: string): Json {
  const extra = isObject(call.extra_content) ? call.extra_content : {};
  const google = isObject(extra.google) ? extra.google : {};
  return { ...call, extra_content: { ...extra, google: { ...google, thought_signature: signature } } };
}

function replaceTopLevel(raw: Buffer, key: string, valueJson: string): Buffer {
  const value = Buffer.from(valueJson, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const [start, end] of topLevelValueRanges(raw, key)) {
    parts.push(raw.subarray(last, start), value);
    last = end;
  }
  parts.push(raw.subarray(last));
  return Buffer.concat(parts);
}

/** JSON.parse takes deeper nesting than JSON.stringify can write back: such a body goes as it came, for Vertex to answer. */
function stringifyOrUndefined(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function parseOrUndefined(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
