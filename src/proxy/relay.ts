// How a successful upstream answer reaches the client on the passthrough
// route: metered as it flows (bytes, time to first byte), and for Gemini 3
// chat watched by the signature tap in the same data listener — never held
// back. Only a base64 embeddings answer is read whole, because its vectors
// must be re-encoded (compat/embeddings-base64.ts).

import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { AnswerTap, answerFormat } from '../compat/answer-tap.ts';
import { embeddingsToBase64 } from '../compat/embeddings-base64.ts';
import type { SignatureSink } from '../compat/signature-memory.ts';
import type { RequestRecord } from '../observability/request-record.ts';
import type { Exchange } from './exchange.ts';
import { answerBrokeOff } from './upstream-failure.ts';

/** A tap noting the answer's thought signatures in `sink`, when the answer is one it can read. */
export function signatureTap(headers: IncomingHttpHeaders, sink: SignatureSink, onRecorded?: (count: number) => void): AnswerTap | undefined {
  const contentType = headers['content-type'];
  const contentEncoding = headers['content-encoding'];
  const format = answerFormat(contentType, contentEncoding);
  if (format === undefined) return undefined;
  const tap = new AnswerTap(format, sink, { contentEncoding });
  if (onRecorded) void tap.finished.then(() => onRecorded(tap.recorded));
  return tap;
}

/** Counts bytes and time to first byte (and feeds `tap`) without altering or buffering the stream. */
export function meter(stream: Readable, record: RequestRecord, reply: FastifyReply, exchange: Exchange, tap?: AnswerTap): Readable {
  // Paused first, so the listener cannot start the flow before Fastify pipes it.
  stream.pause();
  stream.on('data', (chunk: Buffer) => {
    record.firstByte();
    record.bytes += chunk.length;
    tap?.write(chunk);
  });
  if (tap) {
    // On 'end' before the pipe's own listener ends the client's response, so a
    // whole answer's signatures are noted before the client can have it all;
    // 'close' covers an answer broken off or cut (end() runs once).
    const finish = () => tap.end();
    stream.once('end', finish);
    stream.once('close', finish);
  }
  // Fastify cuts the client's response when this fails; it cannot say why, we can.
  stream.once('error', (err: Error) => {
    if (!exchange.signal.aborted) reply.log.warn({ err }, 'upstream stream broke off; client response cut');
  });
  return stream;
}

/** Whether an answer body is plain bytes (base64 requests ask for identity; a server may still compress). */
export function isIdentity(headers: IncomingHttpHeaders): boolean {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  return encoding === undefined || encoding === '' || encoding === 'identity';
}

/** Reads a (metered) embeddings answer whole and sends it with each vector as base64 float32. */
export function sendAsBase64Embeddings(reply: FastifyReply, stream: Readable, exchange: Exchange): void {
  // The upstream's length is that of the float answer.
  reply.removeHeader('content-length');
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.once('end', () => {
    reply.send(embeddingsToBase64(Buffer.concat(chunks)));
  });
  stream.once('error', (err: Error) => {
    if (!reply.sent && !exchange.signal.aborted) reply.send(answerBrokeOff(err));
  });
  stream.resume();
}
