// Errors the translation raises. They are ProxyErrors, so the route renders
// them with the same OpenAI-shaped body as every other error of the proxy.

import { ProxyError } from '../errors/proxy-error.ts';

/** A body the translation cannot read: wrong type, missing field. */
export function invalidBody(message: string): ProxyError {
  return new ProxyError('invalid_request_body', message);
}

/** Input that is valid Responses API but cannot be carried to a Chat Completions upstream. */
export function unsupportedInput(message: string): ProxyError {
  return new ProxyError('unsupported_input', message);
}

/** An `item_reference` to an item the store does not hold (never stored, evicted, expired). */
export function itemNotFound(id: string): ProxyError {
  return new ProxyError('item_not_found', id);
}

/** `previous_response_id` names a response the store does not hold (never stored, evicted, expired, other replica). */
export function previousResponseNotFound(id: string): ProxyError {
  return new ProxyError('previous_response_not_found', id);
}

/** GET or DELETE /v1/responses/{id} for a response the store does not hold. */
export function responseNotFound(id: string): ProxyError {
  return new ProxyError('response_not_found', id);
}

/** A bad `limit`, `order` or `after` of GET /v1/responses/{id}/input_items: a 400 naming that key. */
export function invalidListQuery(key: 'limit' | 'order', value: string): ProxyError {
  return key === 'limit' ? new ProxyError('invalid_limit', value) : new ProxyError('invalid_order', value);
}

/** A `stream` or `starting_after` of GET /v1/responses/{id} that is not a boolean or a non-negative integer. */
export function invalidRetrieveQuery(key: 'stream' | 'starting_after', value: string): ProxyError {
  return key === 'stream' ? new ProxyError('invalid_stream', value) : new ProxyError('invalid_starting_after', value);
}

/** An `after` cursor that names no item of the list (or was given more than once). */
export function invalidAfter(problem: string): ProxyError {
  return new ProxyError('invalid_after', problem);
}

/** The upstream answered 200 with a body that is not a chat completion. */
export function badUpstreamAnswer(message: string): ProxyError {
  return new ProxyError('upstream_invalid_response', message);
}
