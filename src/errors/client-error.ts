// Requests Node answers before Fastify sees them (a bad request line,
// oversized headers, a slow client, a CONNECT, an Expect other than
// 100-continue) still get an OpenAI-shaped answer.

import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, ProxyError } from './proxy-error.ts';

/** `error` as Node writes it without Fastify: its status, headers and JSON body. */
function errorPayload(error: ProxyError): { status: number; headers: Record<string, string | number>; body: string } {
  const body = JSON.stringify(errorBody(error));
  return { status: error.statusCode, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }, body };
}

/** `error` as a whole HTTP response, for a socket no request object was made for. */
function rawErrorResponse(error: ProxyError): string {
  const { status, headers, body } = errorPayload(error);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`;
}

/** A whole HTTP response for a parser error code. */
export function clientErrorResponse(errorCode: string | undefined): string {
  const error =
    errorCode === 'HPE_HEADER_OVERFLOW'
      ? new ProxyError('headers_too_large')
      : errorCode === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ProxyError('request_timeout')
        : new ProxyError('invalid_http_request');
  return rawErrorResponse(error);
}

/** Node's own answers to requests Fastify never sees (empty, or none at all), as the catalogue's. */
export function answerProtocolEdges(server: Server): void {
  // A tunnel request: this is not a forward proxy (Node would drop the connection unanswered).
  server.on('connect', (_request, socket: Duplex) => {
    socket.on('error', () => {});
    socket.end(rawErrorResponse(new ProxyError('invalid_request_target')), () => socket.destroy());
  });
  // An Expect other than 100-continue (Node would answer 417 with no body).
  server.on('checkExpectation', (_request, response) => {
    const { status, headers, body } = errorPayload(new ProxyError('expectation_failed'));
    response.writeHead(status, headers).end(body);
  });
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
