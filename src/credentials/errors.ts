// What the proxy says when Google credentials fail: a 503 that tells the user
// how to fix it, built from the library's message and nothing else. Library
// errors carry request configs (refresh tokens, assertions, client secrets) and
// their messages can quote a key file, so only a scrubbed first line survives.

import { withoutJsonExcerpt } from '../errors/parser-text.ts';
import { ProxyError, type ErrorCode } from '../errors/proxy-error.ts';
import { REDISCOVER_AFTER_MS } from './adc-source.ts';

const MAX_DETAIL_CHARS = 300;

/**
 * The Retry-After (seconds) of a credential 503. After a failure the
 * credentials are looked up afresh REDISCOVER_AFTER_MS later (adc-source.ts);
 * a retry sooner most likely meets the same failure. The openai SDKs retry a
 * 503 twice, waiting what Retry-After says (under a minute) instead of their
 * own 0.5 s and 1 s, so both retries come after a fresh look.
 */
export const CREDENTIAL_RETRY_AFTER_SECONDS = Math.ceil(REDISCOVER_AFTER_MS / 1000);

// google-auth-library's messages, matched loosely across versions.
const NO_ADC = /could not load the default credentials/i;
const NO_PROJECT = /unable to detect a project id/i;
const REJECTED_GRANT = /invalid_grant|invalid_rapt|reauth/i;
// IAM generateAccessToken (impersonation) and STS refusing the principal.
const PERMISSION_DENIED = /PERMISSION_DENIED|access_denied|unauthorized_client|permission .{0,80} denied/i;

/** Codes of errors that say the credentials themselves are the problem. */
export const CREDENTIAL_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'credentials_not_found',
  'credentials_expired',
  'credentials_permission_denied',
  'token_unavailable',
  'project_unknown',
]);

/** True for errors CredentialStatus logs once per change: callers need not log them per request. */
export function isCredentialError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CREDENTIAL_ERROR_CODES.has(code as ErrorCode);
}

/** No token yet and no failure either: the first fetch is still under way. */
export function tokenPendingError(): ProxyError {
  return new ProxyError('token_unavailable', 'no answer from the credential source yet');
}

/** Maps any credential failure to the 503 a client sees. Never keeps `err` itself. */
export function credentialError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const message = messageOf(err);
  if (NO_ADC.test(message)) return new ProxyError('credentials_not_found');
  if (REJECTED_GRANT.test(message)) return new ProxyError('credentials_expired');
  if (PERMISSION_DENIED.test(message) || statusOf(err) === 403) return new ProxyError('credentials_permission_denied', detail(message));
  return new ProxyError('token_unavailable', detail(message));
}

/** A failed project lookup: "none found" has its own fix; anything else is a credential failure. */
export function projectError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if (NO_PROJECT.test(messageOf(err))) return new ProxyError('project_unknown');
  return credentialError(err);
}

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A PEM block, whole or cut short.
  [/-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)/g, '[redacted key]'],
  // JSON fields of key files and token responses, with or without their closing quote.
  [/("(?:private_key|private_key_id|client_secret|refresh_token|access_token|id_token|assertion|subject_token)"\s*:\s*)"[^"]*"?/gi, '$1"[redacted]"'],
  // Form and query parameters.
  [/\b(access_token|refresh_token|client_secret|assertion|subject_token|id_token|token)=[^&\s"']+/gi, '$1=[redacted]'],
  [/\bBearer\s+[^\s"',]+/gi, 'Bearer [redacted]'],
  // Query strings of URLs the library quotes: noise at best, credentials at worst.
  [/(\bhttps?:\/\/[^\s?#"']+)\?[^\s#"']*/gi, '$1'],
  // Google access tokens, refresh tokens and JWTs wherever they appear.
  [/\bya29\.[\w.-]+/g, '[redacted]'],
  [/\b1\/\/[\w.-]+/g, '[redacted]'],
  [/\beyJ[\w-]*\.[\w-]+(?:\.[\w-]*)?/g, '[redacted]'],
];

/** Removes anything that looks like a credential from a message. */
export function redactSecrets(text: string): string {
  // A key file that is not JSON: V8 quotes the stretch around the bad character, a secret's middle as often as not.
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), withoutJsonExcerpt(text));
}

function detail(message: string): string {
  const line = redactSecrets(message).split('\n', 1)[0] ?? '';
  const trimmed = line.trim().replace(/[.\s]+$/, '');
  return trimmed.length > MAX_DETAIL_CHARS ? `${trimmed.slice(0, MAX_DETAIL_CHARS)}…` : trimmed || 'unknown error';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function statusOf(err: unknown): unknown {
  const fields = err as { status?: unknown; response?: { status?: unknown } } | null;
  return fields?.status ?? fields?.response?.status;
}
