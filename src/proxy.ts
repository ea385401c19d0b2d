// The proxy routes: OpenAI paths in, the configured Vertex endpoint out, with
// the shared token attached and the answer streamed back unbuffered.

import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import { JsonBody } from './body.ts';
import { credentialError, type Credentials } from './credentials.ts';
import { withAbortSignal, type Requestable } from './dispatcher.ts';
import { ProxyError } from './errors.ts';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import type { AccessToken } from './token-cache.ts';
import { badUpstreamStatus, isHttpStatus, translateErrorResponse, upstreamFailure } from './upstream-errors.ts';
import { canFailOver, failoverDelayMs, isFailoverStatus, type FailoverEvent } from './failover.ts';
import type { RouteTable } from './routing.ts';
import { replaceTopLevelModel } from './model-rewrite.ts';
import { OPERATIONS, operationPath, upstreamOrigin, type EndpointTarget, type Operation } from './upstream.ts';

export interface ProxyOptions {
  readonly routes: RouteTable;
  readonly quotaProject: string | undefined;
  readonly credentials: Credentials;
  readonly dispatcher: Requestable;
  /** Longest Retry-After we wait before trying the next location. */
  readonly failoverMaxWaitMs: number;
  readonly onFailover?: (event: FailoverEvent) => void;
}

/** Per-request proxy state, hung on the Fastify request. */
export interface ProxyExchange {
  readonly body: JsonBody;
  /** What is sent upstream: the client's bytes, or them with an alias's model spliced in. */
  readonly payload: Buffer;
  readonly operation: Operation;
  /** Failover order; `targetIndex` is the one in use. */
  readonly targets: readonly EndpointTarget[];
  targetIndex: number;
  origin: string;
  path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly abort: AbortController;
  token: AccessToken;
  replayed: boolean;
  upstreamStatus?: number;
  firstByteMs?: number;
  bytes: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    exchange: ProxyExchange | null;
  }
}

export async function proxyRoutes(app: FastifyInstance, options: ProxyOptions): Promise<void> {
  const { credentials } = options;
  app.decorateRequest('exchange', null);

  async function prepare(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const body = request.body;
    if (!(body instanceof JsonBody)) {
      throw new ProxyError(415, 'unsupported_media_type', 'Send the request body as JSON with Content-Type: application/json.');
    }
    // Before any await: a client that leaves while we wait for a token must not be missed.
    const abort = abortOnClientClose(reply);
    const operation = OPERATIONS.get(request.routeOptions.url ?? '') as Operation;
    const route = options.routes.resolve(body.model);
    const token = await credentials.getToken();
    const adcProject = route.targets.some((t) => t.project === undefined) ? await credentials.projectId() : undefined;
    const targets = route.targets.map((t) => ({ ...t, project: t.project ?? (adcProject as string) }));
    const first = targets[0] as EndpointTarget;
    request.exchange = {
      body,
      payload: route.upstreamModel === undefined ? body.raw : replaceTopLevelModel(body.raw, route.upstreamModel),
      operation,
      targets,
      targetIndex: 0,
      origin: upstreamOrigin(first),
      path: operationPath(first, operation),
      headers: route.headers,
      abort,
      token,
      replayed: false,
      bytes: 0,
    };
  }

  function forward(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const exchange = request.exchange as ProxyExchange;
    return withAbortSignal(exchange.abort.signal, () =>
      reply.from(exchange.path, {
        ...replyOptions,
        getUpstream: () => exchange.origin,
        body: exchange.payload,
        contentType: request.headers['content-type'] as string,
      } as never),
    );
  }

  const replyOptions = {
    getUpstream: (request: FastifyRequest) => (request.exchange as ProxyExchange | null)?.origin ?? '',
    // Client query strings are dropped: nothing a client sends may shape the upstream URL.
    queryString: () => '',
    rewriteRequestHeaders: (request: FastifyRequest, headers: IncomingHttpHeaders) => {
      const exchange = request.exchange as ProxyExchange;
      return upstreamRequestHeaders(headers, {
        token: exchange.token.value,
        quotaProject: options.quotaProject ?? exchange.token.quotaProject,
        extra: exchange.headers,
      });
    },
    rewriteHeaders: (headers: IncomingHttpHeaders) => clientResponseHeaders(headers),
    onResponse: (request: FastifyRequest, reply: FastifyReply, res: UpstreamResponse) => {
      const exchange = request.exchange as ProxyExchange;
      exchange.upstreamStatus = res.statusCode;
      if (!isHttpStatus(res.statusCode)) {
        // Fastify cannot send such a status; answering it would throw outside any request.
        res.stream.on('error', () => {}).destroy();
        return void reply.code(502).send(badUpstreamStatus(res.statusCode));
      }
      if (res.statusCode === 401 && !exchange.replayed) return replayWithFreshToken(request, reply, res);
      if (isFailoverStatus(res.statusCode) && canFailOver(exchange)) {
        return failOver(request, reply, res, failoverDelayMs(res.headers, options.failoverMaxWaitMs));
      }
      if (res.statusCode >= 400) {
        return void translateErrorResponse(reply, res).catch((err: unknown) => {
          reply.log.error({ err }, 'could not relay the upstream error');
          if (!reply.sent) reply.send(upstreamFailure(err as Error));
        });
      }
      reply.send(meter(res.stream, exchange, reply));
    },
    onError: (reply: FastifyReply, { error }: { error: Error }) => {
      // reply-from's only use of this code: a status Node cannot send. onResponse follows and answers it.
      if ((error as { code?: unknown }).code === 'FST_REPLY_FROM_BAD_GATEWAY') return;
      if (reply.request.exchange?.abort.signal.aborted) {
        // Not a failure: the client left, so its upstream request was cut on purpose.
        reply.log.debug('client went away before the upstream answered; upstream request aborted');
        reply.code(499).send();
        return;
      }
      const exchange = reply.request.exchange;
      if (exchange && canFailOver(exchange)) return failOver(reply.request, reply, undefined, 0, error);
      reply.send(upstreamFailure(error));
    },
  };

  // The token is rejected only when Google says so; fetch a new one and send the
  // (buffered) body once more. A second 401 goes back to the client.
  function replayWithFreshToken(request: FastifyRequest, reply: FastifyReply, res: UpstreamResponse): void {
    const exchange = request.exchange as ProxyExchange;
    exchange.replayed = true;
    discardResponse(reply, res);
    credentials.invalidate(exchange.token);
    resend(request, reply);
  }

  /** Sends again with the token in force now: after a wait, the one the request began with may be near expiry. */
  function resend(request: FastifyRequest, reply: FastifyReply): void {
    const exchange = request.exchange as ProxyExchange;
    credentials.getToken().then(
      (token) => {
        exchange.token = token;
        forward(request, reply);
      },
      (err: unknown) => reply.send(credentialError(err)),
    );
  }

  // Nothing has reached the client yet: try the entry's next location, never one it does not list.
  function failOver(request: FastifyRequest, reply: FastifyReply, res: UpstreamResponse | undefined, delayMs: number, error?: Error): void {
    const exchange = request.exchange as ProxyExchange;
    const from = exchange.targets[exchange.targetIndex] as EndpointTarget;
    const to = exchange.targets[exchange.targetIndex + 1] as EndpointTarget;
    if (res) discardResponse(reply, res);
    exchange.targetIndex++;
    exchange.origin = upstreamOrigin(to);
    exchange.path = operationPath(to, exchange.operation);
    exchange.replayed = false;
    const event: FailoverEvent = { from: from.location, to: to.location, status: res?.statusCode, error: error?.message, delayMs };
    request.log.warn(event, 'failing over to the next location');
    options.onFailover?.(event);
    const timer = setTimeout(() => {
      exchange.abort.signal.removeEventListener('abort', cancel);
      resend(request, reply);
    }, delayMs);
    const cancel = () => clearTimeout(timer);
    exchange.abort.signal.addEventListener('abort', cancel, { once: true });
  }

  await app.register(httpProxy, {
    upstream: '',
    routes: [...OPERATIONS.keys()],
    httpMethods: ['POST'],
    // Our JSON parser keeps the raw bytes; the default would stream them once and lose them.
    proxyPayloads: false,
    undici: options.dispatcher as never,
    disableRequestLogging: true,
    preHandler: prepare,
    handler: (request, reply) => forward(request, reply),
    replyOptions: replyOptions as never,
  });
}

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly stream: Readable;
}

/** Drops an upstream answer we will not forward, and the headers reply-from already copied from it. */
function discardResponse(reply: FastifyReply, res: UpstreamResponse): void {
  res.stream.on('error', () => {}).resume();
  for (const name of Object.keys(clientResponseHeaders(res.headers))) reply.removeHeader(name);
}

/**
 * Aborts the upstream request the moment the client goes away without having
 * had its whole response, even before upstream headers (Fastify itself cuts
 * the upstream body only once it is piping it).
 */
function abortOnClientClose(reply: FastifyReply): AbortController {
  const abort = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  if (res.destroyed) onClose();
  else res.once('close', onClose);
  return abort;
}

/** Counts bytes and time to first byte without altering or buffering the stream. */
function meter(stream: Readable, exchange: ProxyExchange, reply: FastifyReply): Readable {
  // Paused first, so the listener cannot start the flow before Fastify pipes it.
  stream.pause();
  stream.on('data', (chunk: Buffer) => {
    exchange.firstByteMs ??= reply.elapsedTime;
    exchange.bytes += chunk.length;
  });
  // Fastify cuts the client's response when this fails; it cannot say why, we can.
  stream.once('error', (err: Error) => {
    if (!exchange.abort.signal.aborted) reply.log.warn({ err }, 'upstream stream broke off; client response cut');
  });
  return stream;
}
