// Upstream chat SSE → Responses SSE, chunk by chunk.
//
// Pure: the route feeds it the upstream bytes as they come and writes back
// what each call returns, so nothing waits for the whole answer. The stream
// ends with `response.completed` (or `response.incomplete` when the model hit
// its token limit) once the upstream sent `[DONE]` or ended after a
// `finish_reason`; an upstream that breaks off, sends an error or garbage
// ends it with `response.failed` (Codex retries on that event).

import { ProxyError } from '../errors/proxy-error.ts';
import type { ChatCompletionChunk } from './chat-types.ts';
import { startEvents, terminalEvent } from './event-builders.ts';
import { finalStatus, resolveContext, responseObject, responseUsage, type AnswerContext, type Resolved } from './output.ts';
import type { ResponseError, ResponseObject, ResponseUsage } from './response-types.ts';
import { signatureOf } from './signatures.ts';
import { EventWriter, upstreamParser } from './sse.ts';
import { StreamItems } from './stream-items.ts';
import { isRecord } from './validate.ts';

export interface ResponseStreamOptions extends AnswerContext {
  /** Largest single upstream SSE event accepted, in characters (default 16 MiB). */
  maxEventSize?: number;
}

export interface ResponseStream {
  /**
   * `response.created` with the response `queued`, before any upstream answer
   * (a background response, as OpenAI starts one); start() then writes only
   * `response.in_progress`. Until then result() says `queued`.
   */
  queue(): string;
  /** `response.created` and `response.in_progress`; written as soon as the upstream answered 200. */
  start(): string;
  /** The Responses frames that this piece of upstream body produces (may be ''). */
  push(chunk: Buffer | string): string;
  /** The upstream body ended: completes the response, or fails it if the answer was cut off. */
  end(): string;
  /** The upstream broke (socket error, timeout, abort), or a `{code, message}` it answered with: `response.failed`. */
  fail(error?: unknown): string;
  /** The response as it stands: the final object once finished, for the store. */
  result(): ResponseObject;
  /** True once a terminal event (completed, incomplete, failed) was written. */
  readonly finished: boolean;
}

const DEFAULT_MAX_EVENT = 16 * 1024 * 1024;

export function createResponseStream(options: ResponseStreamOptions): ResponseStream {
  const ctx: Resolved = resolveContext(options);
  const writer = new EventWriter();
  const items = new StreamItems(ctx, (event) => writer.emit(event));
  let queued = false;
  let started = false;
  let final: ResponseObject | undefined;
  let finishReason: string | undefined;
  let usage: ResponseUsage | undefined;

  const start = (): void => {
    if (started) return;
    started = true;
    const [created, inProgress] = startEvents(responseObject(ctx, 'in_progress', []));
    if (!queued && created) writer.emit(created);
    if (inProgress) writer.emit(inProgress);
  };

  const complete = (): void => {
    if (final !== undefined) return;
    const { status, incompleteReason } = finalStatus(finishReason);
    items.finish(status === 'completed' ? 'completed' : 'incomplete');
    final = responseObject(ctx, status, items.output, { usage: usage ?? responseUsage(null), incompleteReason });
    const end = terminalEvent(final);
    if (end !== undefined) writer.emit(end);
  };

  const failWith = (code: string, message: string): void => {
    if (final !== undefined) return;
    start();
    final = responseObject(ctx, 'failed', items.output, { usage: usage ?? null, error: { code, message } });
    const end = terminalEvent(final);
    if (end !== undefined) writer.emit(end);
  };

  const onChunk = (chunk: ChatCompletionChunk): void => {
    if (chunk.error !== undefined) {
      const { code, status, message } = chunk.error;
      const failure = upstreamFailure(typeof code === 'number' ? code : undefined, status, message ?? 'The upstream reported an error.');
      failWith(failure.code, failure.message);
      return;
    }
    if (chunk.usage != null) usage = responseUsage(chunk.usage);
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!isRecord(choice)) return;
    const delta = isRecord(choice.delta) ? choice.delta : undefined;
    if (delta !== undefined) {
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') items.reasoning(delta.reasoning_content);
      if (typeof delta.content === 'string' && delta.content !== '') items.text(delta.content, 'text');
      if (typeof delta.refusal === 'string' && delta.refusal !== '') items.text(delta.refusal, 'refusal');
      if (Array.isArray(delta.tool_calls)) {
        // A signature on the delta itself belongs to the first call it carries.
        let inherited = signatureOf(delta);
        delta.tool_calls.forEach((call, position) => {
          if (!isRecord(call)) return;
          items.toolCall(call, position, inherited);
          inherited = undefined;
        });
      }
    }
    if (typeof choice.finish_reason === 'string' && finishReason === undefined) finishReason = choice.finish_reason;
  };

  const parser = upstreamParser(
    (data) => {
      if (final !== undefined) return;
      if (data.trim() === '[DONE]') return complete();
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        return failWith('server_error', 'The upstream sent an event that is not JSON.');
      }
      // Vertex wraps some errors in an array.
      if (Array.isArray(chunk)) chunk = chunk[0];
      if (isRecord(chunk)) onChunk(chunk as ChatCompletionChunk);
    },
    (message) => failWith('server_error', message),
    options.maxEventSize ?? DEFAULT_MAX_EVENT,
  );

  return {
    queue() {
      if (started || queued) return '';
      queued = true;
      writer.emit({ type: 'response.created', response: responseObject(ctx, 'queued', []) });
      return writer.take();
    },
    start() {
      start();
      return writer.take();
    },
    push(chunk) {
      start();
      if (final === undefined) parser.push(chunk);
      return writer.take();
    },
    end() {
      start();
      if (final === undefined) parser.end();
      if (final === undefined) {
        if (finishReason !== undefined) complete();
        else failWith('server_error', 'The upstream stream ended before the answer was complete.');
      }
      return writer.take();
    },
    fail(error) {
      if (isResponseError(error)) {
        failWith(error.code, error.message);
        return writer.take();
      }
      // Only our own errors have messages meant for clients; others may carry internals.
      const message = error instanceof ProxyError ? error.message : 'The upstream stream broke off before the answer was complete.';
      failWith('server_error', message);
      return writer.take();
    },
    result() {
      return final ?? responseObject(ctx, started || !queued ? 'in_progress' : 'queued', items.output, { usage: usage ?? null });
    },
    get finished() {
      return final !== undefined;
    },
  };
}

/**
 * A failure Vertex reported (an error answer or an error event) as a
 * response's `error`: OpenAI's codes for it are only `rate_limit_exceeded`
 * and `server_error` (Google's status, such as RESOURCE_EXHAUSTED, is none of
 * its codes, so it goes into the message).
 */
export function upstreamFailure(httpStatus: number | undefined, googleStatus: string | undefined, message: string): ResponseError {
  const rateLimited = httpStatus === 429 || googleStatus === 'RESOURCE_EXHAUSTED';
  const parts = [httpStatus === undefined ? undefined : String(httpStatus), googleStatus];
  const said = parts.filter((part, at) => part !== undefined && parts.indexOf(part) === at).join(' ');
  return { code: rateLimited ? 'rate_limit_exceeded' : 'server_error', message: said === '' ? message : `${message} (Vertex AI: ${said})` };
}

/** An upstream error answer already shaped as the response's `error` (not an Error, whose message may carry internals). */
function isResponseError(value: unknown): value is ResponseError {
  return isRecord(value) && !(value instanceof Error) && typeof value['code'] === 'string' && typeof value['message'] === 'string';
}
