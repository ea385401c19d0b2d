// Gemini 3 thought signatures across the Responses round trip.
//
// Gemini 3 hands out an opaque `thought_signature` with its function calls
// (`extra_content.google.thought_signature` on a chat tool call) and rejects
// the next turn with 400 when a function call of the current turn comes back
// without it. A Responses client keeps no such field on `function_call`
// items, but it does send `reasoning` items back with their
// `encrypted_content` (Codex asks for them with
// `include: ["reasoning.encrypted_content"]`). So the translation packs the
// signatures of an answer into the `encrypted_content` of a reasoning item:
// a versioned prefix and base64url JSON of { callId: signature }. Anything
// without our prefix (an OpenAI blob, a client's own data) is ignored.

import type { ThoughtSignatureExtra } from './chat-types.ts';

const PREFIX = 'gemini-ts.v1.';

export function encodeSignatures(signatures: ReadonlyMap<string, string>): string {
  const json = JSON.stringify(Object.fromEntries(signatures));
  return PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

/** The signatures an `encrypted_content` carries; empty for anything that is not ours. */
export function decodeSignatures(encrypted: unknown): Map<string, string> {
  const found = new Map<string, string>();
  if (typeof encrypted !== 'string' || !encrypted.startsWith(PREFIX)) return found;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return found;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return found;
  for (const [callId, signature] of Object.entries(parsed)) {
    if (typeof signature === 'string' && signature !== '') found.set(callId, signature);
  }
  return found;
}

/** The signature on a chat tool call (or on a streamed delta), if any. */
export function signatureOf(holder: { extra_content?: ThoughtSignatureExtra } | undefined): string | undefined {
  const signature = holder?.extra_content?.google?.thought_signature;
  return typeof signature === 'string' && signature !== '' ? signature : undefined;
}

/** The `extra_content` that carries a signature on an outgoing chat tool call. */
export function signatureExtra(signature: string): ThoughtSignatureExtra {
  return { google: { thought_signature: signature } };
}
