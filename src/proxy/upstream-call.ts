// One upstream call through the exchange, for routes that send a body of
// their own (a translated request) rather than the client's bytes — the seam
// the Responses API route uses. Same dispatcher, same token, same rules as the
// passthrough route: the 401 replay with a fresh token, failover to the next
// location before any byte reached the client (after Retry-After, capped),
// the upstream request cut the moment the client leaves.
//
//   const exchange = await openExchange(context, { model, operation: 'chat/completions', signal: request.record.signal });
//   const answer = await callUpstream(context, exchange, { body, headers: request.headers, record: request.record, log: request.log });
//   if (answer.statusCode >= 400) return sendUpstreamError(reply, answer, request.record);
//   for await (const chunk of answer.body) …   // bytes and first byte are counted in the record
//
// It resolves with the answer that stands — a success, or an upstream error
// whose status the client should see — and rejects with a ProxyError when
// there is nothing to relay (unreachable, timed out, no token), or with a
// ClientGoneError once the client has left.

import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { credentialError } from '../credentials/errors.ts';
import type { RequestRecord } from '../observability/request-record.ts';
import type { UpstreamAnswer } from './error-answer.ts';
import type { Exchange } from './exchange.ts';
import { upstreamRequestHeaders } from './headers.ts';
import type { UpstreamContext } from './open-exchange.ts';

export interface UpstreamCall {
  /** The bytes to send, JSON; sent as they are on every attempt. */
  readonly body: Buffer;
  /**
   * The client's request headers. They pass the same filter as on the
   * passthrough route (client credentials and hop-by-hop headers dropped, the
   * token, quota project and route headers added); the body's own type and
   * length are set here, and `accept-encoding: identity` so the answer can be read.
   */
  readonly headers: IncomingHttpHeaders;
  /** The request's record: upstream status, first byte and bytes go there. */
  readonly record?: RequestRecord | undefined;
  /** Where a failover is logged (the request's logger). */
  readonly log: { warn(fields: object, message: string): void };
}

/** The client went away; the upstream request was cut. Named AbortError, so it is logged at debug. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client went away; the upstream request was aborted');
    this.name = 'AbortError';
  }
}

export async function callUpstream(context: UpstreamContext, exchange: Exchange, call: UpstreamCall): Promise<UpstreamAnswer> {
  for (;;) {
    let answer: UpstreamAnswer;
    try {
      answer = await send(context, exchange, call);
    } catch (err) {
      const step = exchange.onFailure(err as Error);
      if (step.kind === 'aborted') throw new ClientGoneError();
      if (step.kind === 'fail') throw step.error;
      await failOver(context, exchange, call, step.kind === 'failover' ? step.delayMs : 0, { error: err as Error });
      continue;
    }
    if (call.record) call.record.upstreamStatus = answer.statusCode;
    let step = exchange.onAnswer(answer.statusCode, answer.headers, context.failoverMaxWaitMs);
    // Google rejected the token: the cache says whether another is to be had (else the 401 stands).
    if (step.kind === 'rejected') step = exchange.onRejected(context.credentials.rejectToken(exchange.token));
    if (step.kind === 'relay') return metered(answer, call.record);
    if (step.kind === 'error') return answer;
    answer.body.on('error', () => {}).resume();
    if (step.kind === 'fail') throw step.error;
    if (step.kind === 'replay') {
      await freshToken(context, exchange);
    } else if (step.kind === 'failover') {
      await failOver(context, exchange, call, step.delayMs, { status: answer.statusCode });
    }
  }
}

async function failOver(context: UpstreamContext, exchange: Exchange, call: UpstreamCall, delayMs: number, cause: { status?: number; error?: Error }): Promise<void> {
  const event = exchange.failOver(delayMs, cause);
  call.log.warn(event, 'failing over to the next location');
  context.onFailover?.(event);
  if (delayMs > 0) await sleep(delayMs, undefined, { signal: exchange.signal }).catch(() => Promise.reject(new ClientGoneError()));
  // After a wait, the token the request began with may be near its expiry.
  await freshToken(context, exchange);
}

async function freshToken(context: UpstreamContext, exchange: Exchange): Promise<void> {
  exchange.token = await context.credentials.getToken().catch((err: unknown) => Promise.reject(credentialError(err)));
}

function send(context: UpstreamContext, exchange: Exchange, call: UpstreamCall): Promise<UpstreamAnswer> {
  const headers = upstreamRequestHeaders(call.headers, {
    token: exchange.token.value,
    quotaProject: context.quotaProject ?? exchange.token.quotaProject,
    extra: exchange.headers,
  });
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(call.body.length);
  headers['accept-encoding'] = 'identity';
  const { origin, path } = exchange.target;
  return new Promise((resolve, reject) => {
    const options: Dispatcher.RequestOptions = { origin, path, method: 'POST', headers, body: call.body, signal: exchange.signal };
    context.dispatcher.request(options, (err, data) => (err ? reject(err) : resolve({ statusCode: data.statusCode, headers: data.headers, body: data.body })));
  });
}

/** Counts bytes and the first byte into the record as the caller reads the body. */
function metered(answer: UpstreamAnswer, record: RequestRecord | undefined): UpstreamAnswer {
  if (!record) return answer;
  // Paused first, so the listener cannot start the flow before the caller reads.
  answer.body.pause();
  answer.body.on('data', (chunk: Buffer) => {
    record.firstByte();
    record.bytes += chunk.length;
  });
  return answer;
}
