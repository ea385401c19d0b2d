// POST /v1/responses with `background: true`, as OpenAI's background mode:
// the response is registered (BackgroundRuns) and generated apart from the
// request that asked for it, through the same exchange as any translated
// request, but with the run's own abort signal, so a client that leaves does
// not cut it; only a cancel (or shutdown's end) does. Without `stream` the
// client gets the `queued` response at once and polls GET; with `stream` it
// follows the run's event log live, and may resume it after a disconnect.
// The upstream is always asked for a stream, so GET shows the response as it
// grows. When the run ends its response (whatever its status) goes to the
// store with its events, and one log line says how it ended.
//
// The run holds what the request's body became (translation, input, the bytes
// sent upstream), so the body stays counted against PROXY_BODY_MEMORY_MB until
// the run ends; the generation keeps only what it needs, not the request.

import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Route } from '../config/routing.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { readUpstreamError, type UpstreamAnswer } from '../proxy/error-answer.ts';
import { openExchange } from '../proxy/open-exchange.ts';
import { callUpstream, ClientGoneError } from '../proxy/upstream-call.ts';
import type { BackgroundRun } from './background-runs.ts';
import type { ChatCompletionRequest } from './chat-types.ts';
import { relayEvents } from './event-relay.ts';
import { randomId } from './ids.ts';
import { withItemIds } from './input-items.ts';
import type { ResponseObject } from './response-types.ts';
import { SSE_HEADERS } from './sse.ts';
import { historyAfter } from './store.ts';
import { createResponseStream, upstreamFailure, type ResponseStream } from './stream.ts';
import { chatBytes, type Prepared, type TranslatedOptions } from './translated-parts.ts';

/** Retry-After of the 429 past PROXY_RESPONSES_BACKGROUND_MAX: a running response takes a while to end. */
export const BACKGROUND_RETRY_AFTER_SECONDS = 10;

/** What the generation needs of its request: the chat to send (taken once sent), never the request itself. */
interface Job {
  chat: ChatCompletionRequest | undefined;
  readonly model: string | undefined;
  readonly clientStreams: boolean;
  readonly headers: IncomingHttpHeaders;
  readonly log: FastifyBaseLogger;
}

export async function serveBackground(request: FastifyRequest, reply: FastifyReply, prepared: Prepared, route: Route, options: TranslatedOptions): Promise<FastifyReply> {
  const { translated, previous } = prepared;
  // A background response exists to be fetched later: OpenAI refuses one that may not be kept.
  if (translated.request.store === false) throw new ProxyError('background_requires_store');
  // Nor can one be kept, or its events, when the store may hold nothing.
  if (!options.store.canHold) throw new ProxyError('background_store_disabled');
  if (options.background.full) reply.header('retry-after', String(BACKGROUND_RETRY_AFTER_SECONDS));
  const id = randomId('resp');
  const stream = createResponseStream({ ...prepared.context, responseId: id });
  // Ids for items sent without one, given once here so every listing of them agrees.
  const input = withItemIds(translated.input);
  const log = request.log;
  const history = previous?.history ?? [];
  const keep = (final: ResponseObject, events: readonly string[] | undefined): void => {
    try {
      const kept = options.store.put(final, historyAfter(history, input, final), input, events);
      if (!kept) log.warn({ responseId: id }, 'background response larger than the store allows; not stored');
    } catch (err) {
      log.error({ err, responseId: id }, 'background response not stored');
    }
  };
  const run = options.background.start(id, stream, input, keep);
  // What the body became stays counted against PROXY_BODY_MEMORY_MB until the run ends.
  void run.done.then(request.record.keepAfterEnd());
  // The client's follower before the first event: a log dropped at once (a
  // store too small for even that event) still hands a follower every frame.
  const events = prepared.clientStreams ? run.log.follow(-1) : undefined;
  // OpenAI's first event of a background stream, at once: the response exists, queued.
  run.append(stream.queue());
  const job: Job = { chat: translated.chat, model: translated.request.model, clientStreams: prepared.clientStreams, headers: request.headers, log };
  generate(run, stream, job, route, options).catch((err: unknown) => log.error({ err, responseId: id }, 'background response: unexpected failure'));

  if (!events) return reply.code(200).send(run.response());
  request.record.streamStarted();
  // The client follows the run; leaving ends only its own stream.
  return reply.code(200).headers(SSE_HEADERS).send(events);
}

/**
 * The generation, start to end: every ending becomes the response's status,
 * and the run is finished whatever happens (its slot, and shutdown, wait on it).
 */
async function generate(run: BackgroundRun, stream: ResponseStream, job: Job, route: Route, options: TranslatedOptions): Promise<void> {
  const { log } = job;
  const started = performance.now();
  let cause: unknown;
  let final: ResponseObject;
  try {
    // A cancel ends the wait for a token or an answer at once.
    const answer = await untilCancelled(upstreamAnswer(job, route, options, run.signal), run.signal);
    run.upstreamStatus = answer.statusCode;
    if (answer.statusCode >= 400) {
      const { error } = await readUpstreamError(answer);
      const googleStatus = error.code === null ? undefined : error.code;
      run.append(stream.fail(upstreamFailure(answer.statusCode, googleStatus, error.message)));
    } else {
      const events = relayEvents(answer.body, stream, { onBreak: (err) => (cause = err), onFinish: () => {} });
      for await (const frames of events) run.append(frames as string);
    }
  } catch (err) {
    // A cancel cuts the call (ClientGoneError); anything else failed it before an answer: no token, unreachable, timed out.
    if (!run.cancelled) {
      cause = err;
      run.append(stream.fail(err));
    }
  } finally {
    final = run.finish();
  }
  const line = {
    responseId: run.id,
    model: job.model,
    background: true,
    stream: job.clientStreams,
    status: final.status,
    upstreamStatus: run.upstreamStatus,
    events: run.log.size,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
  if (final.status === 'failed') log.warn({ ...line, failure: final.error, err: cause }, 'background response failed');
  else log.info(line, 'background response');
}

/** Token, exchange and the call; the chat and its bytes are let go once sent. */
async function upstreamAnswer(job: Job, route: Route, options: TranslatedOptions, signal: AbortSignal): Promise<UpstreamAnswer> {
  const chat = job.chat as ChatCompletionRequest;
  job.chat = undefined;
  const exchange = await openExchange(options.upstream, { model: chat.model, operation: 'chat/completions', signal });
  const body = chatBytes(chat, exchange.upstreamModel, route, options, job.log);
  return callUpstream(options.upstream, exchange, { body, headers: job.headers, log: job.log });
}

/** Rejects with ClientGoneError the moment `signal` aborts; an answer that comes after is let go. */
function untilCancelled(call: Promise<UpstreamAnswer>, signal: AbortSignal): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const cancelled = (): void => reject(new ClientGoneError());
    if (signal.aborted) cancelled();
    else signal.addEventListener('abort', cancelled, { once: true });
    call.then(
      (answer) => {
        signal.removeEventListener('abort', cancelled);
        if (signal.aborted) answer.body.destroy();
        resolve(answer);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', cancelled);
        reject(err as Error);
      },
    );
  });
}
