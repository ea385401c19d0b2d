// Every answer the proxy writes itself is an OpenAI-shaped error, so SDKs
// surface our message instead of a parse failure.

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error';

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; code: string | null; param: null };
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
  const error = isRecord(candidate) && isRecord(candidate.error) ? candidate.error : undefined;
  if (error && typeof error.type === 'string' && typeof error.message === 'string') {
    return {
      error: {
        message: error.message,
        type: error.type as OpenAIErrorType,
        code: typeof error.code === 'string' ? error.code : null,
        param: null,
      },
    };
  }
  if (error) {
    const google = error as GoogleError;
    const message = typeof google.message === 'string' && google.message ? google.message : `Vertex AI returned HTTP ${status}`;
    const code = typeof google.status === 'string' ? google.status : String(status);
    return openAIError(status, code, message);
  }
  const text = body.trim().slice(0, 500);
  return openAIError(status, String(status), text ? `Vertex AI returned HTTP ${status}: ${text}` : `Vertex AI returned HTTP ${status}`);
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
