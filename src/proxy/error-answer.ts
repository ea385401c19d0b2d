// An upstream error answer relayed to the client: its body read (capped, and
// decoded within the same cap), reshaped to OpenAI's error, its status and
// Retry-After kept. Used by both drivers of the exchange.

import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply } from 'fastify';
import type { OpenAIErrorBody } from '../errors/proxy-error.ts';
import type { RequestRecord } from '../observability/request-record.ts';
import { translateUpstreamError } from './upstream-errors.ts';

/** Error bodies are read up to this, decoded up to this; enough for any message Google writes. */
export const MAX_ERROR_BODY_BYTES = 1024 * 1024;

type Decoder = (input: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

// The decoded size is capped like the read: a small gzip body can inflate to gigabytes.
const DECODERS: Record<string, Decoder> = {
  gzip: promisify(zlib.gunzip) as Decoder,
  'x-gzip': promisify(zlib.gunzip) as Decoder,
  deflate: promisify(zlib.inflate) as Decoder,
  br: promisify(zlib.brotliDecompress) as Decoder,
};

/** An upstream answer as the dispatcher hands it over. */
export interface UpstreamAnswer {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
}

/** Reads and reshapes an error answer; never throws (an unreadable body says only its status). */
export async function readUpstreamError(answer: UpstreamAnswer, record?: RequestRecord): Promise<OpenAIErrorBody> {
  const text = await readErrorBody(answer, () => record?.firstByte()).catch(() => '');
  return translateUpstreamError(answer.statusCode, text);
}

/**
 * Answers the client with the upstream error: its status, its Retry-After, an
 * OpenAI-shaped body. Headers reply-from copied from the upstream answer that
 * no longer describe the body are dropped.
 */
export async function sendUpstreamError(reply: FastifyReply, answer: UpstreamAnswer, record?: RequestRecord): Promise<void> {
  const body = await readUpstreamError(answer, record);
  reply.removeHeader('content-length');
  reply.removeHeader('content-encoding');
  reply.removeHeader('cache-control');
  reply.removeHeader('x-accel-buffering');
  const retryAfter = answer.headers['retry-after'];
  if (typeof retryAfter === 'string') reply.header('retry-after', retryAfter);
  reply.code(answer.statusCode).type('application/json').send(body);
}

async function readErrorBody(answer: UpstreamAnswer, onFirstChunk: () => void): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer.body) {
    if (size === 0) onFirstChunk();
    size += (chunk as Buffer).length;
    if (size > MAX_ERROR_BODY_BYTES) {
      answer.body.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  const encoding = String(answer.headers['content-encoding'] ?? '').toLowerCase();
  const decode = DECODERS[encoding];
  const raw = Buffer.concat(chunks);
  return (decode ? await decode(raw, { maxOutputLength: MAX_ERROR_BODY_BYTES }) : raw).toString('utf8');
}
