// What the fake Vertex does with a Chat Completions request, beyond checking
// the token: refuse fields Vertex does not know (vertex-chat-fields.ts); for
// Gemini 3 models, refuse a follow-up whose tool calls lost their thought
// signature and sign the tool calls it answers with (gemini3.ts); answer from
// the tests' scripts, streamed or not as the request asks. It keeps what tests
// assert on: the refusals, each follow-up's tool calls with their signatures,
// and the signatures it handed out.

import type { ServerResponse } from 'node:http';
import { chatChunks, chatCompletion, sendJson, withIds, writeSse, type ScriptedAnswer } from './chat-answers.ts';
import { carriedToolCalls, isGemini3, missingSignature, missingSignatureError, signatureFor, type CarriedToolCall } from './gemini3.ts';
import { unknownFields, unknownFieldsError, VERTEX_CHAT_FIELDS } from './vertex-chat-fields.ts';

export type ChatBody = Record<string, unknown> & { model?: string; stream?: boolean; messages?: unknown[] };
/** Decides the answer to a chat request; `undefined` leaves the fake's default answer. */
export type ChatScript = (body: ChatBody) => ScriptedAnswer | undefined;

/** A chat request that carried assistant tool calls back, and what each carried. */
export interface FollowUp {
  readonly model: string;
  readonly toolCalls: readonly CarriedToolCall[];
  /** False when it was refused for a missing signature. */
  readonly accepted: boolean;
}

/** A request refused with a 400 the way Vertex would. */
export interface Rejection {
  readonly reason: 'unknown-fields' | 'missing-signature' | 'invalid-json';
  readonly message: string;
  readonly body: Buffer;
}

export interface VertexChatOptions {
  /** Refuse chat fields Vertex does not know with its 400; default true. */
  strictFields?: boolean;
  /** Top-level chat fields accepted besides Vertex's own (VERTEX_CHAT_FIELDS). */
  extraFields?: readonly string[];
  /** Gemini 3 behaviour (signatures handed out and required) for gemini-3* models; default true. */
  gemini3?: boolean;
  /** Answers every chat request no queued script answers (see `VertexChat.script`). */
  script?: ChatScript;
}

export class VertexChat {
  strictFields: boolean;
  gemini3: boolean;
  /** Answers chat requests that no queued answer takes; `undefined` keeps the default text. */
  script: ChatScript | undefined;
  readonly rejections: Rejection[] = [];
  readonly followUps: FollowUp[] = [];
  /** The thought signature handed out for each tool call id (Gemini 3 models). */
  readonly signatures = new Map<string, string>();
  readonly #accepted: ReadonlySet<string>;
  readonly #queue: (ScriptedAnswer | ChatScript)[] = [];
  #ids = 0;

  constructor(options: VertexChatOptions = {}) {
    this.strictFields = options.strictFields ?? true;
    this.gemini3 = options.gemini3 ?? true;
    this.script = options.script;
    this.#accepted = new Set([...VERTEX_CHAT_FIELDS, ...(options.extraFields ?? [])]);
  }

  /** Answer the next chat requests, one each, with these (before `script`). */
  queue(...answers: (ScriptedAnswer | ChatScript)[]): this {
    this.#queue.push(...answers);
    return this;
  }

  reject(res: ServerResponse, reason: Rejection['reason'], body: Buffer, error: { error: { message: string } }): void {
    this.rejections.push({ reason, message: error.error.message, body });
    sendJson(res, 400, error);
  }

  /** Answers `json`; `fallback` writes the default answer when no script has one. */
  async answer(res: ServerResponse, json: ChatBody, body: Buffer, delayMs: number, fallback: () => unknown): Promise<void> {
    const unknown = this.strictFields ? unknownFields(json, this.#accepted) : [];
    if (unknown.length) return this.reject(res, 'unknown-fields', body, unknownFieldsError(unknown));
    const messages = Array.isArray(json.messages) ? (json.messages as Parameters<typeof carriedToolCalls>[0]) : [];
    const gemini3 = this.gemini3 && isGemini3(json.model);
    const missing = gemini3 ? missingSignature(messages) : undefined;
    const toolCalls = carriedToolCalls(messages);
    if (toolCalls.length) this.followUps.push({ model: String(json.model), toolCalls, accepted: !missing });
    if (missing) return this.reject(res, 'missing-signature', body, missingSignatureError(missing.name, missing.position));

    const queued = this.#queue.shift();
    const scripted = typeof queued === 'function' ? queued(json) : (queued ?? this.script?.(json));
    if (!scripted) return void (await fallback());
    const answer = this.#sign(withIds(scripted, () => `call_vertex_${++this.#ids}`), gemini3);
    const model = json.model ?? 'google/gemini-2.5-flash';
    if (!json.stream) return sendJson(res, 200, chatCompletion(model, answer, `chatcmpl-vertex-${this.#ids}`));
    const includeUsage = (json.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    await writeSse(res, chatChunks(model, answer, { includeUsage, id: `chatcmpl-vertex-${this.#ids}` }), delayMs);
  }

  /** Gemini 3 signs the first tool call of an answer (parallel calls: only the first). */
  #sign(answer: ScriptedAnswer, gemini3: boolean): ScriptedAnswer {
    const [first, ...rest] = answer.toolCalls ?? [];
    if (!gemini3 || !first?.id || first.signature !== undefined) return answer;
    const signature = signatureFor(first.id);
    this.signatures.set(first.id, signature);
    return { ...answer, toolCalls: [{ ...first, signature }, ...rest] };
  }
}
