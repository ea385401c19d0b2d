// What the proxy says when Google credentials fail: a 503 that tells the user
// how to fix it, built from the library's message and nothing else. Library
// errors carry request configs (refresh tokens, assertions, client secrets) and
// their messages can quote a key file, so only a scrubbed first line survives.

import { ProxyError } from './errors.ts';

export const NO_CREDENTIALS_HELP =
  'No Google credentials found. Run `gcloud auth application-default login`, ' +
  'or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, ' +
  'or run where a metadata server provides them (GCE, GKE, Cloud Run).';

const FIX_HINT =
  'If this persists, run `gcloud auth application-default login`, ' +
  'or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file.';

const PROJECT_HELP =
  'No Google Cloud project configured and ADC reports none. ' +
  'Set GOOGLE_CLOUD_PROJECT (or `gcloud config set project PROJECT_ID`).';

const MAX_DETAIL_CHARS = 300;

// google-auth-library's messages, matched loosely across versions.
const NO_ADC = /could not load the default credentials/i;
const NO_PROJECT = /unable to detect a project id/i;
const REJECTED_GRANT = /invalid_grant|invalid_rapt|reauth/i;
// IAM generateAccessToken (impersonation) and STS refusing the principal.
const PERMISSION_DENIED = /PERMISSION_DENIED|access_denied|unauthorized_client|permission .{0,80} denied/i;

const PERMISSION_HELP =
  'When impersonating a service account, the signed-in principal needs ' +
  '`roles/iam.serviceAccountTokenCreator` on it (`gcloud iam service-accounts add-iam-policy-binding SA_EMAIL ' +
  '--member=user:YOU --role=roles/iam.serviceAccountTokenCreator`). On GCE or GKE, check that the VM or node ' +
  'service account (or the Workload Identity binding) exists and allows the cloud-platform scope. ' +
  'Or log in again with `gcloud auth application-default login`.';

/** No token yet and no failure either: the first fetch is still under way. */
export function tokenPendingError(): ProxyError {
  return new ProxyError(503, 'token_unavailable', `No access token yet: the credential source is still answering. ${FIX_HINT}`);
}

/** Maps any credential failure to the 503 a client sees. Never keeps `err` itself. */
export function credentialError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const message = messageOf(err);
  if (NO_ADC.test(message)) return new ProxyError(503, 'credentials_not_found', NO_CREDENTIALS_HELP);
  if (REJECTED_GRANT.test(message)) {
    return new ProxyError(
      503,
      'credentials_expired',
      'Google rejected the stored credentials (invalid_grant). Run `gcloud auth application-default login` again.',
    );
  }
  if (PERMISSION_DENIED.test(message) || statusOf(err) === 403) {
    return new ProxyError(503, 'credentials_permission_denied', `Google denied the token request: ${detail(message)}. ${PERMISSION_HELP}`);
  }
  return new ProxyError(503, 'token_unavailable', `Could not get a Google access token: ${detail(message)}. ${FIX_HINT}`);
}

/** A failed project lookup: "none found" has its own fix; anything else is a credential failure. */
export function projectError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if (NO_PROJECT.test(messageOf(err))) return new ProxyError(503, 'project_unknown', PROJECT_HELP);
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
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
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
