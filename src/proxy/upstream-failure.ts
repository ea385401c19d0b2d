// What the client sees when Vertex cannot be reached, does not answer in time,
// or answers with a status that is not HTTP.

import { ProxyError } from '../errors/proxy-error.ts';

/** Statuses Node can send on; undici passes on whatever three digits an upstream wrote. */
export function isHttpStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status <= 599;
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

/**
 * A failed upstream call as the client's error: 504 for a timeout, 502 for a
 * TLS failure or anything else; a number is a status Node cannot send (502).
 */
export function upstreamFailure(failure: Error | number): ProxyError {
  if (typeof failure === 'number') return new ProxyError('upstream_bad_status', String(failure));
  const codes = errorCodes(failure);
  if (codes.some((code) => TIMEOUT_CODES.has(code))) return new ProxyError('upstream_timeout');
  const tlsCode = codes.find(isTlsCode);
  if (tlsCode) return new ProxyError('upstream_tls_error', tlsCode);
  return new ProxyError('upstream_unreachable', deepestMessage(failure));
}

/**
 * Vertex answered, then its body failed before any of it reached the client:
 * 504 if it stalled past the timeout, else 502 saying the answer broke off
 * (Vertex was reached, so not "could not reach").
 */
export function answerBrokeOff(failure: Error): ProxyError {
  if (errorCodes(failure).some((code) => TIMEOUT_CODES.has(code))) return new ProxyError('upstream_timeout');
  return new ProxyError('upstream_invalid_response', `The upstream answer broke off before its end: ${deepestMessage(failure)}`);
}

/** An undici error: the upstream call failed, whatever part of our code met it. */
export function isUpstreamCallError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('UND_ERR_');
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
