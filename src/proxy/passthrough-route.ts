// The passthrough routes: OpenAI paths in, the route's Vertex endpoint out,
// the client's bytes forwarded as sent (unless Vertex needs them changed:
// compat/upstream-body.ts), the shared token attached and the answer streamed
// back unbuffered, through @fastify/http-proxy (reply-from over undici). The
// exchange (exchange.ts) decides what each upstream answer means; this file
// only wires it.

import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import type { SignatureMemory } from '../compat/signature-memory.ts';
import { upstreamBody } from '../compat/upstream-body.ts';
import { credentialError } from '../credentials/errors.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import type { BodyAdjustment } from '../observability/compat-metrics.ts';
import { JsonBody } from './body.ts';
import { carrySignal } from './dispatcher.ts';
import { sendUpstreamError } from './error-answer.ts';
import type { Exchange } from './exchange.ts';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import { openExchange, openExchangeNow, type UpstreamContext } from './open-exchange.ts';
import { isIdentity, meter, sendAsBase64Embeddings, signatureTap } from './relay.ts';
import { upstreamFailure } from './upstream-failure.ts';
import { OPERATIONS, type Operation } from './upstream-url.ts';

/** A forwarded request: its exchange and the bytes it sends upstream. */
interface Passthrough {
  readonly exchange: Exchange;
  /** The client's bytes, or them as Vertex needs them; made once, resent as they are (401 replay, failover). */
  readonly payload: Buffer;
  /** Embeddings asked for base64: the float answer is converted. */
  readonly base64: boolean;
  /** A Gemini 3 chat request: its answer's thought signatures are noted. */
  readonly tapSignatures: boolean;
}

/** The Gemini 3 compatibility parts of the passthrough (issue 13). */
export interface PassthroughCompat {
  /** The process's one signature memory: noted from chat answers, recalled for follow-ups. */
  readonly signatures: SignatureMemory;
  /** Give Gemini 3 tool calls whose signature is unknown Google's sentinel. */
  readonly signatureFallback: boolean;
  readonly onBodyAdjusted?: (adjustment: BodyAdjustment) => void;
  readonly onSignaturesRemembered?: (count: number) => void;
}

export interface PassthroughOptions extends UpstreamContext {
  readonly compat: PassthroughCompat;
}

declare module 'fastify' {
  interface FastifyRequest {
    passthrough: Passthrough | null;
  }
}

/** What reply-from hands onResponse. */
interface ReplyFromResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly stream: Readable;
}

export async function passthroughRoutes(app: FastifyInstance, context: PassthroughOptions): Promise<void> {
  const { compat } = context;
  const signaturePolicy = { memory: compat.signatures, fallback: compat.signatureFallback };
  app.decorateRequest('passthrough', null);

  // Callback style: with a cached token and a known project (nearly always) no promise is made.
  function prepare(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    const body = request.body;
    if (!(body instanceof JsonBody)) return done(new ProxyError('unsupported_media_type'));
    const record = request.record;
    // Before any wait: the log line names the model even when no token comes,
    // and a client that leaves while we wait for one is not missed.
    record.model = body.model;
    record.stream = body.stream;
    const operation = OPERATIONS.get(request.routeOptions.url ?? '') as Operation;
    const opening = { model: body.model, operation, signal: record.signal };
    const ready = (exchange: Exchange): void => {
      const { upstreamModel, dropParams } = exchange;
      const upstream = upstreamBody({ operation, raw: body.raw, keys: body.keys, model: body.model, upstreamModel, dropParams }, signaturePolicy);
      if (upstream.dropped.length > 0 || upstream.restored > 0 || upstream.sentinels > 0 || upstream.base64) {
        const { dropped, restored, sentinels, base64 } = upstream;
        request.log.debug({ dropped, restored, sentinels, base64 }, 'request body adjusted for Vertex');
        compat.onBodyAdjusted?.(upstream);
      }
      request.passthrough = { exchange, payload: upstream.body, base64: upstream.base64, tapSignatures: upstream.tapSignatures };
      done();
    };
    const now = openExchangeNow(context, opening);
    if (now) return ready(now);
    openExchange(context, opening).then(ready, done).catch(done);
  }

  function forward(request: FastifyRequest, reply: FastifyReply): void {
    const { exchange, payload } = request.passthrough as Passthrough;
    reply.from(exchange.target.path, {
      ...replyOptions,
      body: payload,
      contentType: request.headers['content-type'] as string,
    } as never);
  }

  const replyOptions = {
    getUpstream: (request: FastifyRequest) => request.passthrough?.exchange.target.origin ?? '',
    // Client query strings are dropped: nothing a client sends may shape the upstream URL.
    queryString: () => '',
    rewriteRequestHeaders: (request: FastifyRequest, headers: IncomingHttpHeaders) => {
      const { exchange, base64 } = request.passthrough as Passthrough;
      const upstream = upstreamRequestHeaders(headers, {
        token: exchange.token.value,
        quotaProject: context.quotaProject ?? exchange.token.quotaProject,
        extra: exchange.headers,
      });
      // The answer is re-encoded, so it must come as plain JSON.
      if (base64) upstream['accept-encoding'] = 'identity';
      // The client leaving aborts the upstream request, even before its headers.
      return carrySignal(upstream, exchange.signal);
    },
    rewriteHeaders: (headers: IncomingHttpHeaders) => clientResponseHeaders(headers),
    onResponse: (request: FastifyRequest, reply: FastifyReply, res: ReplyFromResponse) => {
      const passthrough = request.passthrough as Passthrough;
      const { exchange } = passthrough;
      const record = request.record;
      record.upstreamStatus = res.statusCode;
      let step = exchange.onAnswer(res.statusCode, res.headers, context.failoverMaxWaitMs);
      // The token is rejected only when Google says so; the cache says whether another is to be had.
      if (step.kind === 'rejected') step = exchange.onRejected(context.credentials.rejectToken(exchange.token));
      switch (step.kind) {
        case 'relay': {
          if (record.stream) record.streamStarted();
          const tap = passthrough.tapSignatures ? signatureTap(res.headers, compat.signatures, compat.onSignaturesRemembered) : undefined;
          const stream = meter(res.stream, record, reply, exchange, tap);
          if (passthrough.base64 && res.statusCode === 200 && isIdentity(res.headers)) return sendAsBase64Embeddings(reply, stream, exchange);
          return void reply.send(stream);
        }
        case 'error':
          return void sendUpstreamError(reply, { statusCode: res.statusCode, headers: res.headers, body: res.stream }, record).catch((err: unknown) => {
            reply.log.error({ err }, 'could not relay the upstream error');
            if (!reply.sent) reply.send(upstreamFailure(err as Error));
          });
        case 'replay':
          // Send the (kept) body once more, with the new token.
          discard(reply, res);
          return resend(request, reply);
        case 'failover':
          discard(reply, res);
          return failOver(request, reply, step.delayMs, { status: res.statusCode });
        case 'fail':
          // A status Node cannot send: answering it would throw outside any request.
          res.stream.on('error', () => {}).destroy();
          dropUpstreamHeaders(reply, res);
          return void reply.send(step.error);
        case 'aborted':
          return; // an answer is never an abort
      }
    },
    onError: (reply: FastifyReply, { error }: { error: Error }) => {
      // reply-from's only use of this code: a status Node cannot send. onResponse follows and answers it.
      if ((error as { code?: unknown }).code === 'FST_REPLY_FROM_BAD_GATEWAY') return;
      const passthrough = reply.request.passthrough;
      const step = passthrough ? passthrough.exchange.onFailure(error) : { kind: 'fail' as const, error: upstreamFailure(error) };
      if (step.kind === 'aborted') {
        // Not a failure: the client left, so its upstream request was cut on purpose.
        reply.log.debug('client went away before the upstream answered; upstream request aborted');
        return void reply.code(499).send();
      }
      if (step.kind === 'failover') return failOver(reply.request, reply, step.delayMs, { error });
      if (step.kind === 'fail') reply.send(step.error);
    },
  };

  /** Sends again with the token in force now: after a wait, the one the request began with may be near expiry. */
  function resend(request: FastifyRequest, reply: FastifyReply): void {
    const { exchange } = request.passthrough as Passthrough;
    context.credentials
      .getToken()
      .then(
        (token) => {
          exchange.token = token;
          forward(request, reply);
        },
        (err: unknown) => reply.send(credentialError(err)),
      )
      // A throw while sending again would otherwise leave the client unanswered.
      .catch((err: unknown) => {
        reply.log.error({ err }, 'could not send the request upstream again');
        if (!reply.sent) reply.send(upstreamFailure(err as Error));
      });
  }

  // Nothing has reached the client yet: try the entry's next location, never one it does not list.
  function failOver(request: FastifyRequest, reply: FastifyReply, delayMs: number, cause: { status?: number; error?: Error }): void {
    const { exchange } = request.passthrough as Passthrough;
    const event = exchange.failOver(delayMs, cause);
    request.log.warn(event, 'failing over to the next location');
    context.onFailover?.(event);
    const timer = setTimeout(() => {
      exchange.signal.removeEventListener('abort', cancel);
      resend(request, reply);
    }, delayMs);
    const cancel = () => clearTimeout(timer);
    exchange.signal.addEventListener('abort', cancel, { once: true });
  }

  await app.register(httpProxy, {
    upstream: '',
    routes: [...OPERATIONS.keys()],
    httpMethods: ['POST'],
    // Our JSON parser keeps the raw bytes; the default would stream them once and lose them.
    proxyPayloads: false,
    undici: context.dispatcher as never,
    disableRequestLogging: true,
    preHandler: prepare,
    // Returns nothing: a returned reply is a thenable Fastify would wait on, with
    // end-of-stream listeners of its own on every response; reply-from sends.
    handler: (request, reply) => void forward(request, reply),
    replyOptions: replyOptions as never,
  });
}

/** Drops an upstream answer we will not forward, and the headers reply-from already copied from it. */
function discard(reply: FastifyReply, res: ReplyFromResponse): void {
  res.stream.on('error', () => {}).resume();
  dropUpstreamHeaders(reply, res);
}

/** reply-from has already copied the upstream's headers onto the reply (its Content-Encoding too): an answer of our own must not carry them. */
function dropUpstreamHeaders(reply: FastifyReply, res: ReplyFromResponse): void {
  for (const name of Object.keys(clientResponseHeaders(res.headers))) reply.removeHeader(name);
}
