// Every answer the proxy writes itself is an OpenAI-shaped error, so SDKs
// surface our message instead of a parse failure.

import type { Duplex } from 'node:stream';

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error';

export interface OpenAIErrorBody {
  /** `param` names the offending request field; only upstream OpenAI-shaped errors set it. */
  error: { message: string; type: OpenAIErrorType; code: string | null; param: string | null };
}

export class ProxyError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly type: OpenAIErrorType;

  constructor(statusCode: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.statusCode = statusCode;
    this.code = code;
    this.type = errorTypeForStatus(statusCode);
  }
}

export function errorTypeForStatus(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

export function openAIError(status: number, code: string | null, message: string): OpenAIErrorBody {
  return { error: { message, type: errorTypeForStatus(status), code, param: null } };
}

export function toOpenAIBody(err: ProxyError): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, code: err.code, param: null } };
}

/** A whole HTTP response, for requests Node's parser rejects before Fastify sees them. */
export function clientErrorResponse(errorCode: string | undefined): string {
  const [status, reason, code, message] =
    errorCode === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'Request headers are too large.']
      : errorCode === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request_timeout', 'The request was not received in time.']
        : [400, 'Bad Request', 'invalid_http_request', 'Malformed HTTP request (request line or headers).'];
  const body = JSON.stringify(openAIError(status, code, message));
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Fastify's `clientErrorHandler`: Node rejected the bytes (bad request line,
 * header overflow, timeout). The error's `rawPacket` holds the request, keys
 * included, so only its code is logged.
 */
export function answerClientError(this: { log: { debug(obj: object, msg: string): void } }, err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ code: err.code }, 'malformed HTTP request');
  if (socket.writable) socket.end(clientErrorResponse(err.code), () => socket.destroy());
  else socket.destroy();
}
