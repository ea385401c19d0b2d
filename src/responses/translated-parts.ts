// What a translated POST /v1/responses needs whether it is answered in the
// foreground (translated-call.ts) or runs in the background
// (background-call.ts): the translation with the stored history, the answer's
// context, the bytes sent upstream, and a whole chat answer read.

import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { SignatureMemory } from '../compat/signature-memory.ts';
import { repairThoughtSignatures } from '../compat/thought-signatures.ts';
import type { Route } from '../config/routing.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import type { UpstreamContext } from '../proxy/open-exchange.ts';
import { ClientGoneError } from '../proxy/upstream-call.ts';
import { answerBrokeOff } from '../proxy/upstream-failure.ts';
import type { BackgroundRuns } from './background-runs.ts';
import type { ChatCompletionRequest } from './chat-types.ts';
import { reportDropped } from './dropped.ts';
import { badUpstreamAnswer, previousResponseNotFound } from './errors.ts';
import type { AnswerContext } from './output.ts';
import { toChatRequest, type DroppedFeature, type TranslatedRequest } from './request.ts';
import type { ResponseStore, StoredResponse } from './store.ts';
import { isRecord, requireShallow } from './validate.ts';

export interface TranslatedOptions {
  readonly upstream: UpstreamContext;
  readonly store: ResponseStore;
  /** Background responses while they run. */
  readonly background: BackgroundRuns;
  /** The process's one signature memory, shared with the chat route. */
  readonly signatures: SignatureMemory;
  /** Give Gemini 3 tool calls with no known signature Google's sentinel. */
  readonly signatureFallback: boolean;
  /** Counts a dropped built-in tool or item (kind, bounded type). */
  readonly countDropped?: ((kind: string, type: string) => void) | undefined;
  readonly now: () => number;
}

/** A request translated, with what answering it needs. */
export interface Prepared {
  readonly translated: TranslatedRequest;
  /** The stored response `previous_response_id` names. */
  readonly previous: StoredResponse | undefined;
  readonly context: AnswerContext;
  /** `background: true`: the translation always streams from upstream, whatever the client asked. */
  readonly background: boolean;
  /** The client asked for an event stream. */
  readonly clientStreams: boolean;
}

/** A non-streamed chat answer is read whole; one beyond this is refused rather than held. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

// The translation needs these whatever a route's dropParams says.
const KEPT = new Set(['model', 'messages', 'stream', 'stream_options']);

export function prepare(request: FastifyRequest, json: unknown, options: TranslatedOptions): Prepared {
  const { store, signatures } = options;
  requireShallow(json);
  const previousId = previousIdOf(json);
  const previous = previousId === undefined ? undefined : store.get(previousId);
  if (previousId !== undefined && previous === undefined) throw previousResponseNotFound(previousId);
  const background = isRecord(json) && json['background'] === true;
  const clientStreams = isRecord(json) && json['stream'] === true;

  const dropped: DroppedFeature[] = [];
  // A background response is made from an upstream stream, so GET shows it as it grows.
  const translated = toChatRequest(background ? { ...(json as object), stream: true } : json, {
    history: previous?.history,
    resolveItem: (id) => store.findItem(id),
    recallSignature: (id) => signatures.recall(id),
    onDropped: (feature) => dropped.push(feature),
  });
  reportDropped(dropped, { log: request.log, count: options.countDropped });
  const context: AnswerContext = {
    request: translated.request,
    names: translated.names,
    now: options.now,
    onSignature: (callId, signature) => signatures.remember(callId, signature),
  };
  return { translated, previous, context, background, clientStreams };
}

function previousIdOf(json: unknown): string | undefined {
  const id = isRecord(json) ? json['previous_response_id'] : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * The bytes sent upstream: the alias's model, the route's dropParams taken
 * out, then missing Gemini 3 thought signatures put back (from the memory, or
 * Google's sentinel for calls nobody remembers) as on the chat route.
 */
export function chatBytes(chat: ChatCompletionRequest, upstreamModel: string | undefined, route: Route, options: TranslatedOptions, log: FastifyBaseLogger): Buffer {
  if (upstreamModel !== undefined) chat.model = upstreamModel;
  const fields = chat as unknown as Record<string, unknown>;
  const dropped = route.dropParams.filter((name) => !KEPT.has(name) && Object.hasOwn(fields, name));
  for (const name of dropped) delete fields[name];
  if (dropped.length > 0) log.debug({ droppedParams: dropped }, 'responses: fields dropped by dropParams');
  const raw = Buffer.from(JSON.stringify(chat), 'utf8');
  const repair = repairThoughtSignatures(raw, chat, { model: chat.model, memory: options.signatures, fallback: options.signatureFallback });
  if (repair === undefined) return raw;
  if (repair.sentinels > 0) log.debug({ sentinels: repair.sentinels, restored: repair.restored }, 'thought signatures: unknown ones given the skip sentinel');
  return repair.body;
}

export async function readJson(body: Readable, signal: AbortSignal): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > MAX_ANSWER_BYTES) {
        body.destroy();
        throw badUpstreamAnswer(`The upstream answer is larger than ${MAX_ANSWER_BYTES} bytes.`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof ProxyError) throw err;
    if (signal.aborted) throw new ClientGoneError();
    throw answerBrokeOff(err as Error);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badUpstreamAnswer('The upstream answer is not JSON.');
  }
}
