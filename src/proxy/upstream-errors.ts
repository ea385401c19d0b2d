// What the client sees when Vertex answers with an error: Google's error
// shapes reshaped to OpenAI's, the status kept. Pure: bodies in, bodies out.

import { openAIError, type OpenAIErrorBody, type OpenAIErrorType } from '../errors/proxy-error.ts';

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
