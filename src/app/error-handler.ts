// Every error that reaches Fastify — thrown by a hook or handler, or passed to
// reply.send — is answered through the catalogue's one renderer. Details of
// faults stay in the log, never in the answer.

import type { FastifyError, FastifyInstance } from 'fastify';
import { CREDENTIAL_RETRY_AFTER_SECONDS, isCredentialError } from '../credentials/errors.ts';
import { ProxyError, sendError, unsupportedPath } from '../errors/proxy-error.ts';
import { answerBrokeOff, isUpstreamCallError } from '../proxy/upstream-failure.ts';

// Fastify's own body errors, as the catalogue's.
const BODY_ERRORS: Record<string, () => ProxyError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ProxyError('unsupported_media_type'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ProxyError('request_too_large'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ProxyError('invalid_json', ''),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ProxyError('invalid_request', 'Content-Length does not match the body.'),
};

export function toProxyError(error: FastifyError | Error): ProxyError {
  if (error instanceof ProxyError) return error;
  const code = (error as FastifyError).code;
  const known = code ? BODY_ERRORS[code] : undefined;
  if (known) return known();
  // An answer's body that failed before its first byte reached the client (Fastify then answers instead).
  if (isUpstreamCallError(error)) return answerBrokeOff(error);
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new ProxyError('invalid_request', error.message);
  return new ProxyError('internal_error');
}

export function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const proxyError = toProxyError(error);
    if (isCredentialError(proxyError)) {
      // Logged once per change by CredentialStatus, not per request. The client is told when the credentials are next looked up.
      reply.header('retry-after', String(CREDENTIAL_RETRY_AFTER_SECONDS));
    } else if (proxyError.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    return sendError(reply, proxyError);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, unsupportedPath(request)));
}
