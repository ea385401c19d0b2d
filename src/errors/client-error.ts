// Requests Node's HTTP parser rejects before Fastify sees them (a bad request
// line, oversized headers, a slow client) still get an OpenAI-shaped answer,
// written to the socket as a whole HTTP response.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, ProxyError } from './proxy-error.ts';

/** A whole HTTP response for a parser error code. */
export function clientErrorResponse(errorCode: string | undefined): string {
  const error =
    errorCode === 'HPE_HEADER_OVERFLOW'
      ? new ProxyError('headers_too_large')
      : errorCode === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ProxyError('request_timeout')
        : new ProxyError('invalid_http_request');
  const body = JSON.stringify(errorBody(error));
  const status = error.statusCode;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
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
