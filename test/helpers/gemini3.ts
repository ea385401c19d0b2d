// How Gemini 3 treats thought signatures on Vertex's OpenAI-compatible Chat
// Completions endpoint, per Google's "Thought signatures" pages:
// - an answer with function calls carries a signature on its first tool call
//   (parallel calls: only the first), in `extra_content.google.thought_signature`;
// - a request is validated on its current turn only (everything after the last
//   user message): the first tool call of every assistant step in it must carry
//   its signature back, or the request fails with 400 INVALID_ARGUMENT;
// - the documented dummy values skip that check (for histories built elsewhere).

export const GEMINI_3_MODEL = /(^|\/)gemini-3/;
export const SIGNATURE_SENTINELS: ReadonlySet<string> = new Set(['skip_thought_signature_validator', 'context_engineering_is_the_way_to_go']);

export function isGemini3(model: unknown): boolean {
  return typeof model === 'string' && GEMINI_3_MODEL.test(model);
}

/** An opaque, recognisable signature for the tool call `id` (real ones are encrypted bytes, base64). */
export function signatureFor(id: string): string {
  return Buffer.from(`fake-thought-signature/${id}`).toString('base64');
}

interface ToolCall {
  id?: string;
  function?: { name?: string };
  extra_content?: { google?: { thought_signature?: unknown } };
}
interface Message {
  role?: string;
  tool_calls?: ToolCall[];
}

/** A tool call as a follow-up request carried it back, with the signature it had (if any). */
export interface CarriedToolCall {
  readonly id: string;
  readonly name: string;
  readonly signature: string | undefined;
}

function signatureOf(call: ToolCall): string | undefined {
  const value = call.extra_content?.google?.thought_signature;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Every assistant tool call in the request's history, in order. */
export function carriedToolCalls(messages: readonly Message[]): CarriedToolCall[] {
  return messages.flatMap((message) =>
    // Junk entries (null, numbers) are the request's problem, not a crash of the fake.
    message?.role === 'assistant'
      ? (message.tool_calls ?? []).map((call) => ({ id: call.id ?? '', name: call.function?.name ?? '', signature: signatureOf(call) }))
      : [],
  );
}

/**
 * The first tool call of the current turn that lacks the signature Gemini 3 requires, with
 * its position the way Google counts it: 1-based among the request's contents (system
 * messages excluded, consecutive tool results merged into one).
 */
export function missingSignature(messages: readonly Message[]): { name: string; position: number } | undefined {
  const lastUser = messages.findLastIndex((message) => message.role === 'user');
  let position = 0;
  let previousRole = '';
  for (const [index, message] of messages.entries()) {
    if (message.role === 'system' || message.role === 'developer') continue;
    if (!(message.role === 'tool' && previousRole === 'tool')) position++;
    previousRole = message.role ?? '';
    const first = message.role === 'assistant' ? message.tool_calls?.[0] : undefined;
    if (index > lastUser && first && signatureOf(first) === undefined) return { name: first.function?.name ?? '', position };
  }
  return undefined;
}

/** Google's 400 for a missing signature, word for word as Gemini 3 writes it. */
export function missingSignatureError(name: string, position: number) {
  return {
    error: {
      code: 400,
      message:
        'Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, ' +
        `and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${name}\` , ` +
        `position ${position}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
      status: 'INVALID_ARGUMENT',
    },
  };
}
