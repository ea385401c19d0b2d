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
  if (typeof error === 'string' && isRecord(candidate)) return stringError(status, error, candidate);
  // vLLM's older top level `{"object":"error","message","type","param","code"}` (self-deployed endpoints).
  if (isRecord(candidate) && typeof candidate.message === 'string' && typeof candidate.type === 'string') {
    return { error: { message: candidate.message, type: candidate.type as OpenAIErrorType, code: codeText(candidate.code), param: paramText(candidate.param) } };
  }
  const text = readableText(body);
  return openAIError(status, 'upstream_error', text ? `Vertex AI returned HTTP ${status}: ${text}` : `Vertex AI returned HTTP ${status}`);
}

const ERROR_CODE = /^[a-z][a-z0-9_.-]{0,63}$/i;

/**
 * `{"error":"…"}`: OAuth's `{"error":"invalid_token","error_description":"…"}`,
 * or a model server's sentence, as Hugging Face TGI answers
 * (`{"error":"Input validation error: …","error_type":"validation"}`).
 */
function stringError(status: number, error: string, body: Record<string, unknown>): OpenAIErrorBody {
  if (typeof body.error_description === 'string' || ERROR_CODE.test(error)) {
    const description = typeof body.error_description === 'string' ? body.error_description : error;
    return openAIError(status, error, `Vertex AI returned HTTP ${status}: ${description}`);
  }
  const code = typeof body.error_type === 'string' && ERROR_CODE.test(body.error_type) ? body.error_type : 'upstream_error';
  return openAIError(status, code, error);
}

const MAX_MESSAGE_CHARS = 300;

/**
 * An HTML error page (load balancers, Google's front ends) or plain text, as
 * one short line. Every pattern here runs in one pass: a body of unclosed tags
 * must not hold the event loop (a backtracking pattern took minutes on 1 MiB).
 */
function readableText(body: string): string {
  const title = /<title[^<>]*>([^<]*)<\/title>/i.exec(body)?.[1];
  const text = withoutBlocks(body)
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const line = text || (title ?? '').trim();
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS)}…` : line;
}

/** Drops <head>, <style> and <script> blocks, markup and text alike; an unclosed one ends the text. */
function withoutBlocks(html: string): string {
  const lower = html.toLowerCase();
  const opening = /<(head|style|script)\b/gi;
  let kept = '';
  let from = 0;
  for (let open = opening.exec(html); open; open = opening.exec(html)) {
    kept += `${html.slice(from, open.index)} `;
    const close = lower.indexOf(`</${(open[1] as string).toLowerCase()}`, opening.lastIndex);
    const end = close === -1 ? -1 : html.indexOf('>', close);
    if (end === -1) return kept;
    from = opening.lastIndex = end + 1;
  }
  return kept + html.slice(from);
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
