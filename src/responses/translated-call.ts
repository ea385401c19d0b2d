// One POST /v1/responses served by translation: the Responses body becomes a
// Chat Completions body (with the stored history when it names a previous
// response), goes upstream through the exchange like any chat request (route,
// token, 401 replay, failover, abort), and the answer comes back as a
// Responses object or event stream. Finished responses are kept in the store
// unless the client asked for `store: false`.

import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { SignatureMemory } from '../compat/signature-memory.ts';
import { repairThoughtSignatures } from '../compat/thought-signatures.ts';
import type { Route } from '../config/routing.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { sendUpstreamError } from '../proxy/error-answer.ts';
import { openExchange, type UpstreamContext } from '../proxy/open-exchange.ts';
import { callUpstream, ClientGoneError } from '../proxy/upstream-call.ts';
import { answerBrokeOff } from '../proxy/upstream-failure.ts';
import type { ChatCompletionRequest } from './chat-types.ts';
import { reportDropped } from './dropped.ts';
import { badUpstreamAnswer, previousResponseNotFound } from './errors.ts';
import { relayEvents } from './event-relay.ts';
import type { AnswerContext } from './output.ts';
import { withItemIds } from './input-items.ts';
import { toChatRequest, type DroppedFeature } from './request.ts';
import type { ResponseObject } from './response-types.ts';
import { toResponse } from './response.ts';
import { SSE_HEADERS } from './sse.ts';
import { historyAfter, type ResponseStore } from './store.ts';
import { createResponseStream } from './stream.ts';
import { requireShallow } from './validate.ts';

export interface TranslatedOptions {
  readonly upstream: UpstreamContext;
  readonly store: ResponseStore;
  /** The process's one signature memory, shared with the chat route. */
  readonly signatures: SignatureMemory;
  /** Give Gemini 3 tool calls with no known signature Google's sentinel. */
  readonly signatureFallback: boolean;
  /** Counts a dropped built-in tool or item (kind, bounded type). */
  readonly countDropped?: ((kind: string, type: string) => void) | undefined;
  readonly now: () => number;
}

/** A non-streamed chat answer is read whole; one beyond this is refused rather than held. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

// The translation needs these whatever a route's dropParams says.
const KEPT = new Set(['model', 'messages', 'stream', 'stream_options']);

export async function serveTranslated(
  request: FastifyRequest,
  reply: FastifyReply,
  json: unknown,
  route: Route,
  options: TranslatedOptions,
): Promise<FastifyReply> {
  const { store, signatures } = options;
  const record = request.record;
  requireShallow(json);
  const previousId = previousIdOf(json);
  const previous = previousId === undefined ? undefined : store.get(previousId);
  if (previousId !== undefined && previous === undefined) throw previousResponseNotFound(previousId);

  const dropped: DroppedFeature[] = [];
  const translated = toChatRequest(json, {
    history: previous?.history,
    resolveItem: (id) => store.findItem(id),
    recallSignature: (id) => signatures.recall(id),
    onDropped: (feature) => dropped.push(feature),
  });
  reportDropped(dropped, { log: request.log, count: options.countDropped });

  const exchange = await openExchange(options.upstream, { model: translated.chat.model, operation: 'chat/completions', signal: record.signal });
  const body = chatBytes(translated.chat, exchange.upstreamModel, route, options, request.log);
  const answer = await callUpstream(options.upstream, exchange, { body, headers: request.headers, record, log: request.log });
  if (answer.statusCode >= 400) {
    await sendUpstreamError(reply, answer, record);
    return reply;
  }

  const context: AnswerContext = {
    request: translated.request,
    names: translated.names,
    now: options.now,
    onSignature: (callId, signature) => signatures.remember(callId, signature),
  };
  const keep = (response: ResponseObject): void => {
    if (translated.request.store === false || response.status === 'failed') return;
    try {
      // Ids for items sent without one, given once here so every listing of them agrees.
      const input = withItemIds(translated.input);
      store.put(response, historyAfter(previous?.history ?? [], input, response), input);
    } catch (err) {
      // The client still gets its answer; only a follow-up naming it will not find it.
      request.log.error({ err }, 'response not stored');
    }
  };

  if (translated.chat.stream === true) {
    record.streamStarted();
    let broke = false;
    const events = relayEvents(answer.body, createResponseStream(context), {
      onBreak: (err) => {
        broke = true;
        if (!record.signal.aborted) request.log.warn({ err }, 'upstream stream broke off; the client gets response.failed');
      },
      onFinish: (response) => {
        if (response.status === 'failed') {
          record.failed = true;
          // What the upstream sent made the answer fail: an error event, or one that is not JSON or is too large.
          if (!broke) request.log.warn({ failure: response.error }, 'upstream answer failed; the client gets response.failed');
        }
        keep(response);
      },
    });
    reply.code(200).headers(SSE_HEADERS);
    return reply.send(events);
  }

  const response = toResponse(await readJson(answer.body, record.signal), context);
  keep(response);
  return reply.code(200).send(response);
}

function previousIdOf(json: unknown): string | undefined {
  const id = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['previous_response_id'] : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * The bytes sent upstream: the alias's model, the route's dropParams taken
 * out, then missing Gemini 3 thought signatures put back (from the memory, or
 * Google's sentinel for calls nobody remembers) as on the chat route.
 */
function chatBytes(chat: ChatCompletionRequest, upstreamModel: string | undefined, route: Route, options: TranslatedOptions, log: FastifyBaseLogger): Buffer {
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

async function readJson(body: Readable, signal: AbortSignal): Promise<unknown> {
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
