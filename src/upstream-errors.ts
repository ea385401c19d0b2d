// What the client sees when Vertex answers with an error, or cannot be reached.

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply } from 'fastify';
import { ProxyError, translateUpstreamError } from './errors.ts';
import type { UpstreamResponse } from './proxy.ts';

const MAX_ERROR_BODY_BYTES = 1024 * 1024;

const DECODERS: Record<string, (input: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/** Keeps the status (and headers such as Retry-After); reshapes the body. */
export async function translateErrorResponse(reply: FastifyReply, res: UpstreamResponse): Promise<void> {
  const text = await readErrorBody(res).catch(() => '');
  reply.removeHeader('content-length');
  reply.removeHeader('content-encoding');
  reply.removeHeader('cache-control');
  reply.removeHeader('x-accel-buffering');
  reply.code(res.statusCode).type('application/json').send(translateUpstreamError(res.statusCode, text));
}

async function readErrorBody(res: UpstreamResponse): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_ERROR_BODY_BYTES) {
      res.stream.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  const decode = DECODERS[encoding];
  const raw = Buffer.concat(chunks);
  return (decode ? await decode(raw) : raw).toString('utf8');
}

const TIMEOUT_CODES = new Set([
  'FST_REPLY_FROM_TIMEOUT',
  'FST_REPLY_FROM_GATEWAY_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Maps a reply-from/undici failure to 504 (timeout) or 502 (anything else). */
export function upstreamFailure(error: Error): ProxyError {
  const codes = errorCodes(error);
  if (codes.some((code) => TIMEOUT_CODES.has(code))) {
    return new ProxyError(504, 'upstream_timeout', 'Vertex AI did not answer in time (see PROXY_UPSTREAM_TIMEOUT_SECONDS).');
  }
  if (codes.some((code) => TLS_CODES.has(code))) {
    return new ProxyError(502, 'upstream_tls_error', `The upstream TLS certificate could not be verified (${codes.find((c) => TLS_CODES.has(c))}).`);
  }
  const cause = deepestMessage(error);
  return new ProxyError(502, 'upstream_unreachable', `Could not reach Vertex AI: ${cause}`);
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') codes.push(e.code);
    if (codes.length > 8) break;
  }
  return codes;
}

function deepestMessage(error: Error): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return (current as Error).message;
}
