// One POST /v1/responses served by translation: the Responses body becomes a
// Chat Completions body (with the stored history when it names a previous
// response), goes upstream through the exchange like any chat request (route,
// token, 401 replay, failover, abort), and the answer comes back as a
// Responses object or event stream. Finished responses are kept in the store
// unless the client asked for `store: false`. `background: true` runs apart
// from its request (background-call.ts).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Route } from '../config/routing.ts';
import { sendUpstreamError } from '../proxy/error-answer.ts';
import { openExchange } from '../proxy/open-exchange.ts';
import { callUpstream } from '../proxy/upstream-call.ts';
import { serveBackground } from './background-call.ts';
import { relayEvents } from './event-relay.ts';
import { withItemIds } from './input-items.ts';
import type { ResponseObject } from './response-types.ts';
import { toResponse } from './response.ts';
import { SSE_HEADERS } from './sse.ts';
import { historyAfter } from './store.ts';
import { createResponseStream } from './stream.ts';
import { chatBytes, prepare, readJson, type TranslatedOptions } from './translated-parts.ts';


export async function serveTranslated(
  request: FastifyRequest,
  reply: FastifyReply,
  json: unknown,
  route: Route,
  options: TranslatedOptions,
): Promise<FastifyReply> {
  const prepared = prepare(request, json, options);
  if (prepared.background) return serveBackground(request, reply, prepared, route, options);
  const { translated, previous, context } = prepared;
  const { store } = options;
  const record = request.record;

  const exchange = await openExchange(options.upstream, { model: translated.chat.model, operation: 'chat/completions', signal: record.signal });
  const body = chatBytes(translated.chat, exchange.upstreamModel, route, options, request.log);
  const answer = await callUpstream(options.upstream, exchange, { body, headers: request.headers, record, log: request.log });
  if (answer.statusCode >= 400) {
    await sendUpstreamError(reply, answer, record);
    return reply;
  }

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
