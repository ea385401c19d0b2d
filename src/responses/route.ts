// The Responses API: POST /v1/responses (translated to Chat Completions, or
// forwarded as it is for routes set to `responsesApi: native`), and from the
// store GET and DELETE /v1/responses/{id} (GET with `?stream=true` replays it
// as events) and GET /v1/responses/{id}/input_items. A background response
// that is still running is served from its run instead (background-runs.ts):
// GET shows it as it stands, `?stream=true` follows its events, and
// POST /v1/responses/{id}/cancel stops it.
// Also without the /v1 prefix, like every other path of the proxy. Requests
// pass the same hooks as chat: local safety, the body budget, the JSON check,
// the log line and metrics.

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProxyError, unsupportedPath } from '../errors/proxy-error.ts';
import { JsonBody } from '../proxy/body.ts';
import { ClientGoneError } from '../proxy/upstream-call.ts';
import { responseNotFound } from './errors.ts';
import { framesAfter } from './event-log.ts';
import { inputItemsPage, parseListQuery } from './input-items.ts';
import { serveNative } from './native-call.ts';
import { replayFrameStream } from './replay.ts';
import { parseRetrieveQuery } from './retrieve-query.ts';
import { SSE_HEADERS } from './sse.ts';
import type { StoredResponse } from './store.ts';
import { serveTranslated } from './translated-call.ts';
import type { TranslatedOptions } from './translated-parts.ts';

export type ResponsesRouteOptions = TranslatedOptions;

interface ById {
  Params: { id: string };
}

export async function responsesRoutes(app: FastifyInstance, options: ResponsesRouteOptions): Promise<void> {
  const { store, background: runs } = options;

  async function create(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = request.body;
    if (!(body instanceof JsonBody)) throw new ProxyError('unsupported_media_type');
    const record = request.record;
    // Before any await: the log line names the model even when no token comes.
    record.model = body.model;
    record.stream = body.stream;
    const route = options.upstream.routes.resolve(body.model);
    try {
      if (route.responsesApi === 'native') return await serveNative(request, reply, body, options.upstream);
      return await serveTranslated(request, reply, JSON.parse(body.raw.toString('utf8')), route, options);
    } catch (err) {
      if (!(err instanceof ClientGoneError)) throw err;
      // Not a failure: the client left, so its upstream request was cut on purpose.
      request.log.debug('client went away before the upstream answered; upstream request aborted');
      return reply.code(499).send();
    }
  }

  async function retrieve(request: FastifyRequest<ById>, reply: FastifyReply): Promise<unknown> {
    const query = parseRetrieveQuery(request.query);
    const run = runs.get(idOf(request));
    if (!query.stream) return run?.response() ?? storedOf(request).response;
    request.record.stream = true;
    if (run && !run.log.dropped) {
      // Still running: the events so far with their own numbers, then live until it ends.
      request.record.streamStarted();
      return reply.code(200).headers(SSE_HEADERS).send(run.log.follow(query.startingAfter ?? -1));
    }
    // Events that were not kept cannot be resumed after one: the replay's numbers are not the live stream's.
    if (run && query.startingAfter !== undefined) throw new ProxyError('response_events_dropped', run.id);
    // A run whose events outgrew the budget is replayed whole once it has ended.
    if (run) await run.done;
    const stored = storedOf(request);
    const eventsDropped = stored.response.background === true && stored.events === undefined;
    if (eventsDropped && query.startingAfter !== undefined) throw new ProxyError('response_events_dropped', stored.response.id);
    const frames = stored.events ? framesAfter(stored.events, query.startingAfter) : replayFrameStream(stored.response, query.startingAfter);
    // Frame by frame, as the client reads: the frames together are a few times the stored response's size.
    return reply.code(200).headers(SSE_HEADERS).send(Readable.from(frames));
  }

  /** Stops a running background response; a finished one comes back as it is. */
  async function cancel(request: FastifyRequest<ById>): Promise<unknown> {
    const run = runs.get(idOf(request));
    if (run) return await run.cancel();
    const stored = storedOf(request);
    if (!stored.response.background) throw new ProxyError('response_not_background');
    return stored.response;
  }

  async function listInput(request: FastifyRequest<ById>): Promise<unknown> {
    const query = parseListQuery(request.query);
    return inputItemsPage(runs.get(idOf(request))?.input ?? storedOf(request).input, query);
  }

  /** The stored response the path names; 404 when the store does not hold it. */
  function storedOf(request: FastifyRequest<ById>): StoredResponse {
    const id = idOf(request);
    const stored = store.get(id);
    if (stored === undefined) throw responseNotFound(id);
    return stored;
  }

  async function remove(request: FastifyRequest<ById>): Promise<unknown> {
    const id = idOf(request);
    // A running one is cancelled and not kept.
    const run = runs.get(id);
    if (run) await run.cancel({ discard: true });
    else if (!store.delete(id)) throw responseNotFound(id);
    return { id, object: 'response', deleted: true };
  }

  for (const prefix of ['/v1', '']) {
    app.post(`${prefix}/responses`, create);
    app.get<ById>(`${prefix}/responses/:id`, retrieve);
    app.get<ById>(`${prefix}/responses/:id/input_items`, listInput);
    app.delete<ById>(`${prefix}/responses/:id`, { config: { noBody: true } }, remove);
    app.post<ById>(`${prefix}/responses/:id/cancel`, { config: { noBody: true } }, cancel);
  }
}

/** `/v1/responses/` (an empty id) names no response: a path the proxy does not serve, as any other. */
function idOf(request: FastifyRequest<ById>): string {
  const { id } = request.params;
  if (id === '') throw unsupportedPath(request);
  return id;
}
