// One POST /v1/responses for a route set to `responsesApi: native`: partner
// models on Vertex that serve the Responses API themselves (xAI Grok) get
// the client's bytes as sent (an alias's model spliced in) at the endpoint's
// own `…/responses`, and the answer comes back as it is, streamed or not.
// Same exchange as every other upstream call: route, token, 401 replay,
// failover before the first byte, the upstream request cut when the client leaves.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonBody } from '../proxy/body.ts';
import { sendUpstreamError } from '../proxy/error-answer.ts';
import { clientResponseHeaders, isEventStream } from '../proxy/headers.ts';
import { replaceTopLevelModel } from '../proxy/model-rewrite.ts';
import { openExchange, type UpstreamContext } from '../proxy/open-exchange.ts';
import { callUpstream } from '../proxy/upstream-call.ts';

export async function serveNative(request: FastifyRequest, reply: FastifyReply, body: JsonBody, upstream: UpstreamContext): Promise<FastifyReply> {
  const record = request.record;
  const exchange = await openExchange(upstream, { model: body.model, operation: 'responses', signal: record.signal });
  const payload = exchange.upstreamModel === undefined ? body.raw : replaceTopLevelModel(body.raw, exchange.upstreamModel);
  const answer = await callUpstream(upstream, exchange, { body: payload, headers: request.headers, record, log: request.log });
  if (answer.statusCode >= 400) {
    await sendUpstreamError(reply, answer, record);
    return reply;
  }
  if (isEventStream(answer.headers)) record.streamStarted();
  // Fastify cuts the client's response when this fails; it cannot say why, we can.
  answer.body.once('error', (err: Error) => {
    if (!record.signal.aborted) request.log.warn({ err }, 'upstream stream broke off; client response cut');
  });
  return reply.code(answer.statusCode).headers(clientResponseHeaders(answer.headers)).send(answer.body);
}
