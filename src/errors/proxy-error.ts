// Every answer the proxy writes itself is an OpenAI-shaped error, so SDKs
// surface our message instead of a parse failure. One class carries a
// catalogue code; one renderer writes it.

import type { FastifyReply } from 'fastify';
import { catalogueEntry, errorTypeForStatus, type ErrorCode, type ErrorDetail, type OpenAIErrorType } from './catalogue.ts';

export { errorTypeForStatus, type ErrorCode, type OpenAIErrorType };

export interface OpenAIErrorBody {
  /** `param` names the offending request field, where there is one. */
  error: { message: string; type: OpenAIErrorType; code: string | null; param: string | null };
}

export class ProxyError<C extends ErrorCode = ErrorCode> extends Error {
  readonly statusCode: number;
  readonly code: C;
  readonly type: OpenAIErrorType;
  readonly param: string | null;

  constructor(code: C, ...detail: ErrorDetail<C>) {
    const entry = catalogueEntry(code, ...detail);
    super(entry.message);
    this.name = 'ProxyError';
    this.statusCode = entry.status;
    this.code = code;
    this.type = entry.type;
    this.param = entry.param;
  }
}

/** A path the proxy does not serve, named as the request named it (method and path, without the query). */
export function unsupportedPath(request: { readonly method: string; readonly url: string }): ProxyError {
  return new ProxyError('unsupported_path', `${request.method} ${request.url.split('?', 1)[0]}`);
}

/** The OpenAI error shape for any status and code (upstream errors keep Google's codes). */
export function openAIError(status: number, code: string | null, message: string): OpenAIErrorBody {
  return { error: { message, type: errorTypeForStatus(status), code, param: null } };
}

export function errorBody(err: ProxyError): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, code: err.code, param: err.param } };
}

/** Writes `err` as the whole answer: its status, JSON, the OpenAI shape. */
export function sendError(reply: FastifyReply, err: ProxyError): FastifyReply {
  return reply.code(err.statusCode).type('application/json').send(errorBody(err));
}
