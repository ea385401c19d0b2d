// What the client sees when Vertex answers with an error, or cannot be reached.

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply } from 'fastify';
import { openAIError, ProxyError, type OpenAIErrorBody, type OpenAIErrorType } from './errors.ts';
import type { UpstreamResponse } from './proxy.ts';

const MAX_ERROR_BODY_BYTES = 1024 * 1024;

type Decoder = (input: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

// The decoded size is capped like the read: a small gzip body can inflate to gigabytes.
const DECODERS: Record<string, Decoder> = {
  gzip: promisify(zlib.gunzip) as Decoder,
  'x-gzip': promisify(zlib.gunzip) as Decoder,
  deflate: promisify(zlib.inflate) as Decoder,
  br: promisify(zlib.brotliDecompress) as Decoder,
};

/** Statuses Node can send on; undici passes on whatever three digits an upstream wrote. */
export function isHttpStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status <= 599;
}

export function badUpstreamStatus(status: number): ProxyError {
  return new ProxyError(502, 'upstream_bad_status', `Vertex AI answered with an invalid HTTP status (${status}).`);
}

/** Keeps the status (and headers such as Retry-After); reshapes the body. */
export async function translateErrorResponse(reply: FastifyReply, res: UpstreamResponse): Promise<void> {
  const exchange = reply.request.exchange;
  const firstByte = () => {
    if (exchange) exchange.firstByteMs ??= reply.elapsedTime;
  };
  const text = await readErrorBody(res, firstByte).catch(() => '');
  reply.removeHeader('content-length');
  reply.removeHeader('content-encoding');
  reply.removeHeader('cache-control');
  reply.removeHeader('x-accel-buffering');
  reply.code(res.statusCode).type('application/json').send(translateUpstreamError(res.statusCode, text));
}

async function readErrorBody(res: UpstreamResponse, onFirstChunk: () => void): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.stream) {
    if (size === 0) onFirstChunk();
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
  return (decode ? await decode(raw, { maxOutputLength: MAX_ERROR_BODY_BYTES }) : raw).toString('utf8');
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
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');
}

/** Maps a reply-from/undici failure to 504 (timeout) or 502 (anything else). */
export function upstreamFailure(error: Error): ProxyError {
  const codes = errorCodes(error);
  if (codes.some((code) => TIMEOUT_CODES.has(code))) {
    return new ProxyError(504, 'upstream_timeout', 'Vertex AI did not answer in time (see PROXY_UPSTREAM_TIMEOUT_SECONDS).');
  }
  const tlsCode = codes.find(isTlsCode);
  if (tlsCode) {
    return new ProxyError(502, 'upstream_tls_error', `TLS to Vertex AI failed (${tlsCode}): the certificate could not be verified, so no token was sent.`);
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

interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
}

/**
 * Google APIs answer errors as `{"error":{code,message,status}}` or, on some
 * Vertex paths, `[{"error":{...}}]`. OpenAI clients only understand
 * `{"error":{message,type,code}}`, so we translate; a body that is already
 * OpenAI-shaped (has `error.type`) is kept as it is.
 */
export function translateUpstreamError(status: number, body: string): OpenAIErrorBody {
  const parsed = parseJson(body);
  const candidate = Array.isArray(parsed) ? parsed[0] : parsed;
  const error = isRecord(candidate) ? candidate.error : undefined;
  if (isRecord(error) && typeof error.type === 'string' && typeof error.message === 'string') {
    return { error: { message: error.message, type: error.type as OpenAIErrorType, code: codeText(error.code), param: paramText(error.param) } };
  }
  if (isRecord(error)) {
    const google = error as GoogleError;
    const message = typeof google.message === 'string' && google.message ? google.message : `Vertex AI returned HTTP ${status}`;
    const code = typeof google.status === 'string' ? google.status : String(status);
    return openAIError(status, code, message);
  }
  // OAuth-style `{"error":"invalid_token","error_description":"..."}`.
  if (typeof error === 'string' && isRecord(candidate)) {
    const description = typeof candidate.error_description === 'string' ? candidate.error_description : error;
    return openAIError(status, error, `Vertex AI returned HTTP ${status}: ${description}`);
  }
  const text = readableText(body);
  return openAIError(status, 'upstream_error', text ? `Vertex AI returned HTTP ${status}: ${text}` : `Vertex AI returned HTTP ${status}`);
}

const MAX_MESSAGE_CHARS = 300;

/** An HTML error page (load balancers, Google's front ends) or plain text, as one short line. */
function readableText(body: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1];
  const text = body
    .replace(/<(head|style|script)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const line = text || (title ?? '').trim();
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS)}…` : line;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

function codeText(code: unknown): string | null {
  if (typeof code === 'string') return code;
  return typeof code === 'number' ? String(code) : null;
}

function paramText(param: unknown): string | null {
  return typeof param === 'string' ? param : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
