// Every error the proxy answers itself, one line each: its code, HTTP status
// and message (a text, or a text built from one detail such as the refused
// Host). The OpenAI `type` follows from the status (errorTypeForStatus). The
// README's "Errors" section lists exactly these codes; a test keeps it so.
// Adding an error is adding a line here.

const FIX_HINT =
  'If this persists, run `gcloud auth application-default login`, ' +
  'or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file.';

export const NO_CREDENTIALS_HELP =
  'No Google credentials found. Run `gcloud auth application-default login`, ' +
  'or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, ' +
  'or run where a metadata server provides them (GCE, GKE, Cloud Run).';

const PERMISSION_HELP =
  'When impersonating a service account, the signed-in principal needs ' +
  '`roles/iam.serviceAccountTokenCreator` on it (`gcloud iam service-accounts add-iam-policy-binding SA_EMAIL ' +
  '--member=user:YOU --role=roles/iam.serviceAccountTokenCreator`). On GCE or GKE, check that the VM or node ' +
  'service account (or the Workload Identity binding) exists and allows the cloud-platform scope. ' +
  'Or log in again with `gcloud auth application-default login`.';

/** The paths the proxy serves, for the 404 message (a test checks it against the routes). */
export const SUPPORTED_PATHS =
  'POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses, GET and DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items, POST /v1/responses/{id}/cancel, and GET /v1/models (also without /v1)';

/** The most items a list page holds, as OpenAI's list endpoints allow (`limit`). */
export const MAX_LIST_LIMIT = 100;

/** How much of a client's value (a header, a path, an id) an error message quotes. */
export const MAX_ECHOED_CHARS = 64;

/** A client's value as a message quotes it: enough to recognise, never a whole header's or query's worth. */
export function echoed(value: string): string {
  return value.length > MAX_ECHOED_CHARS ? `${value.slice(0, MAX_ECHOED_CHARS)}…` : value;
}

type Message = string | ((detail: string) => string);

export const ERROR_CATALOGUE = {
  // The request itself
  invalid_http_request: [400, 'Malformed HTTP request (request line or headers).'],
  request_timeout: [408, 'The request was not received in time.'],
  headers_too_large: [431, 'Request headers are too large.'],
  invalid_request_target: [400, 'Send requests to a path such as /v1/chat/completions; this is not a forward proxy.'],
  missing_host: [400, 'Send a Host header (HTTP/1.1 requires one).'],
  duplicate_host: [400, 'Send one Host header: this request has more than one.'],
  expectation_failed: [417, 'Only "Expect: 100-continue" is supported.'],
  invalid_request: [400, (detail) => detail],
  invalid_json: [400, (detail) => (detail ? `Request body is not valid JSON: ${detail}` : 'Request body is empty; send a JSON object.')],
  invalid_request_body: [400, (problem) => problem],
  unsupported_input: [400, (problem) => problem],
  request_too_large: [413, 'Request body is larger than the limit (see PROXY_BODY_LIMIT_MB).'],
  unsupported_media_type: [415, 'Send the request body as JSON with Content-Type: application/json.'],
  unsupported_content_encoding: [415, (encoding) => `Send the request body uncompressed: Content-Encoding "${echoed(encoding)}" is not supported.`],
  unsupported_charset: [415, (charset) => `Send the request body as UTF-8 JSON: charset "${echoed(charset)}" is not supported.`],
  unsupported_path: [404, (request) => `${echoed(request)} is not supported by this proxy. Supported: ${SUPPORTED_PATHS}.`],
  model_not_found: [404, (id) => `The model "${echoed(id)}" is not listed by this proxy. Any model ID is still forwarded to Vertex AI.`],
  // The Responses API: as OpenAI answers, a missing reference in a request is a 400 naming its field
  previous_response_not_found: [400, (id) => `Previous response with id '${echoed(id)}' not found.`, 'previous_response_id'],
  item_not_found: [400, (id) => `Item with id '${echoed(id)}' not found.`, 'input'],
  response_not_found: [404, (id) => `Response with id '${echoed(id)}' not found.`],
  // Background responses: refused as OpenAI refuses them, and the proxy's cap on those running at once
  background_requires_store: [400, 'background can only be used when `store` is true', 'background'],
  background_store_disabled: [400, 'background needs the response store, and PROXY_RESPONSES_STORE_MB or PROXY_RESPONSES_STORE_ENTRIES is 0 here.', 'background'],
  response_not_background: [400, 'Cannot cancel a synchronous response.'],
  response_events_dropped: [400, (id) => `The events of response '${echoed(id)}' were not kept (they outgrew PROXY_RESPONSES_STORE_MB while it ran), so it cannot resume after an event; stream it whole with stream=true alone, once it has ended.`, 'starting_after'],
  background_limit_reached: [429, (max) => `The proxy is running as many background responses as PROXY_RESPONSES_BACKGROUND_MAX allows (${max}); retry shortly.`],
  // The query of GET /v1/responses/{id}/input_items, one code per key so each names its param
  invalid_limit: [400, (value) => `Invalid 'limit': '${echoed(value)}'. Expected an integer from 1 to ${MAX_LIST_LIMIT}.`, 'limit'],
  invalid_order: [400, (value) => `Invalid 'order': '${echoed(value)}'. Supported values are 'asc' and 'desc'.`, 'order'],
  invalid_after: [400, (problem) => `Invalid 'after': ${problem}.`, 'after'],
  // The query of GET /v1/responses/{id}
  invalid_stream: [400, (value) => `Invalid 'stream': '${echoed(value)}'. Expected 'true' or 'false'.`, 'stream'],
  invalid_starting_after: [400, (value) => `Invalid 'starting_after': '${echoed(value)}'. Expected a non-negative integer.`, 'starting_after'],
  // Local safety
  host_not_allowed: [403, (host) => `Host "${echoed(host)}" is not allowed. Add it to PROXY_ALLOWED_HOSTS to serve it (or, for /metrics, send PROXY_API_KEY).`],
  origin_not_allowed: [403, (origin) => `Origin "${echoed(origin)}" is not allowed. Add it to PROXY_CORS_ORIGINS to serve it.`],
  invalid_preflight: [400, 'OPTIONS is only answered as a CORS preflight (Origin and Access-Control-Request-Method).'],
  invalid_api_key: [401, 'Missing or wrong API key for this proxy (see PROXY_API_KEY).'],
  // Credentials
  credentials_not_found: [503, NO_CREDENTIALS_HELP],
  credentials_expired: [503, 'Google rejected the stored credentials (invalid_grant). Run `gcloud auth application-default login` again.'],
  credentials_permission_denied: [503, (detail) => `Google denied the token request: ${detail}. ${PERMISSION_HELP}`],
  token_unavailable: [503, (detail) => `Could not get a Google access token: ${detail}. ${FIX_HINT}`],
  not_ready: [503, 'Not ready.'],
  project_unknown: [503, 'No Google Cloud project configured and ADC reports none. Set GOOGLE_CLOUD_PROJECT (or `gcloud config set project PROJECT_ID`).'],
  // Upstream
  upstream_unreachable: [502, (cause) => `Could not reach Vertex AI: ${cause}`],
  upstream_tls_error: [502, (code) => `TLS to Vertex AI failed (${code}): the certificate could not be verified, so no token was sent.`],
  upstream_timeout: [504, 'Vertex AI did not answer in time (see PROXY_UPSTREAM_TIMEOUT_SECONDS).'],
  upstream_bad_status: [502, (status) => `Vertex AI answered with an invalid HTTP status (${status}).`],
  upstream_invalid_response: [502, (problem) => problem],
  // The proxy itself
  shutting_down: [503, 'The proxy is shutting down; retry on a new connection.'],
  proxy_overloaded: [503, 'The proxy is holding as many request bodies as PROXY_BODY_MEMORY_MB allows; retry shortly.'],
  internal_error: [500, 'The proxy failed to handle this request; see its log.'],
} as const satisfies Record<string, readonly [status: number, message: Message] | readonly [status: number, message: Message, param: string]>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** `[detail]` for codes whose message is built from one, `[]` for fixed messages. */
export type ErrorDetail<C extends ErrorCode> = (typeof ERROR_CATALOGUE)[C][1] extends string ? [] : [detail: string];

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error';

export function errorTypeForStatus(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

export interface CatalogueEntry {
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly message: string;
  /** The request field the error is about, where OpenAI names one. */
  readonly param: string | null;
}

export function catalogueEntry<C extends ErrorCode>(code: C, ...[detail]: ErrorDetail<C>): CatalogueEntry {
  const [status, message, param] = ERROR_CATALOGUE[code] as readonly [number, Message, string?];
  return { status, type: errorTypeForStatus(status), message: typeof message === 'string' ? message : message(detail ?? ''), param: param ?? null };
}
