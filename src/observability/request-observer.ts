// One observer per request: a single `close` listener works out how the
// request ended — once — and feeds both the log line and the metrics. `close`
// and not Fastify's onResponse: onResponse never runs for a client that left
// part-way (mid-stream, or before upstream headers), and that is when the
// upstream request must be cut at once.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ProxyMetrics } from './metrics.ts';
import { modelLabeler } from './model-labels.ts';
import { RequestRecord } from './request-record.ts';

declare module 'fastify' {
  interface FastifyRequest {
    record: RequestRecord;
  }
  interface FastifyContextConfig {
    /** Log this route's requests at debug: probes and scrapes arrive every few seconds. */
    quietLog?: boolean;
  }
}

export interface ObserverOptions {
  readonly metrics: ProxyMetrics;
  /** Model names that may become metric labels; read per request, so a reload shows at once. */
  readonly modelIds: () => readonly string[];
}

async function observer(app: FastifyInstance, options: ObserverOptions): Promise<void> {
  const { metrics } = options;
  const modelLabel = modelLabeler(options.modelIds);
  const onStream = () => metrics.streamStarted();
  app.decorateRequest('record', null as unknown as RequestRecord);

  const ended = (request: FastifyRequest, reply: FastifyReply): void => {
    const record = request.record;
    const res = reply.raw;
    const finished = res.writableFinished;
    record.end(finished);
    if (record.streaming) metrics.streamEnded();
    // Fastify builds routeOptions afresh on each read: read once.
    const { url, config } = request.routeOptions;
    const route = url ?? 'unmatched';
    // 499 (as nginx logs it): the connection closed before any answer.
    const status = finished || res.headersSent ? reply.statusCode : 499;
    const durationMs = reply.elapsedTime;
    const answered = record.upstreamStatus !== undefined;
    metrics.requestEnded({
      route,
      model: modelLabel(record.model),
      status,
      durationSeconds: answered ? durationMs / 1000 : undefined,
      firstByteSeconds: answered && record.firstByteMs !== undefined ? record.firstByteMs / 1000 : undefined,
    });
    // `reqId` comes from the request logger's bindings.
    const line = {
      method: request.method,
      route,
      model: record.model,
      stream: record.stream,
      status,
      // The response never finished (the client left, the upstream broke off, or
      // shutdown's grace ran out), or it ended in a failure event.
      incomplete: finished && !record.failed ? undefined : true,
      upstreamStatus: record.upstreamStatus,
      ttfbMs: record.firstByteMs === undefined ? undefined : round(record.firstByteMs),
      durationMs: round(durationMs),
      // Answers the proxy writes itself (errors) have a length instead of a metered stream.
      bytes: record.bytes || Number(reply.getHeader('content-length') ?? 0),
    };
    if (config?.quietLog) request.log.debug(line, 'probe');
    else request.log.info(line, 'request');
  };

  // Callback style: on the hot path, an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    metrics.requestStarted();
    request.record = new RequestRecord(reply, onStream);
    reply.raw.once('close', () => ended(request, reply));
    done();
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export const requestObserver = fp(observer, { name: 'request-observer' });
