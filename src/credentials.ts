// Application Default Credentials behind the small TokenSource interface.
// google-auth-library does discovery (env key file, gcloud ADC, metadata server,
// workload identity federation, impersonation) and the token exchange; our
// TokenCache decides *when* to ask, so the library's own cache is bypassed.

import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { ProxyError } from './errors.ts';
import { TokenCache, type AccessToken, type Clock, type TokenCacheEvents, type TokenSource } from './token-cache.ts';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

// Used only when a credential type reports no expiry: short, so we ask again soon.
const FALLBACK_LIFETIME_MS = 60_000;

// Our cache calls the library only when it wants a new token; an eager threshold
// larger than any lifetime makes every such call a real refresh.
const ALWAYS_REFRESH_THRESHOLD_MS = 365 * 24 * 3600 * 1000;

export const NO_CREDENTIALS_HELP =
  'No Google credentials found. Run `gcloud auth application-default login`, ' +
  'or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, ' +
  'or run where a metadata server provides them (GCE, GKE, Cloud Run).';

export interface CredentialInfo {
  /** e.g. `authorized_user`, `service_account`, `metadata_server`. */
  readonly type: string;
  readonly projectId: string | undefined;
  readonly quotaProject: string | undefined;
}

export interface Credentials extends TokenSource {
  /** The project ADC reports, for when config names none. */
  projectId(): Promise<string>;
  /** ADC's `quota_project_id`, if any. */
  quotaProject(): Promise<string | undefined>;
  describe(): Promise<CredentialInfo>;
  /** The usable cached token, if any, without I/O. */
  peek(): AccessToken | undefined;
}

export interface AdcOptions {
  readonly now?: Clock;
  readonly events?: TokenCacheEvents;
  /** For tests and embedding: a preconfigured GoogleAuth. */
  readonly auth?: GoogleAuth;
}

/** The GoogleAuth the daemon uses. A new one reads ADC afresh (the library caches its client). */
export function createGoogleAuth(): GoogleAuth {
  return new GoogleAuth({
    scopes: [CLOUD_PLATFORM_SCOPE],
    clientOptions: { eagerRefreshThresholdMillis: ALWAYS_REFRESH_THRESHOLD_MS },
  });
}

export function createAdcCredentials(options: AdcOptions = {}): Credentials {
  const auth = options.auth ?? createGoogleAuth();
  const now = options.now ?? Date.now;
  const client = () => auth.getClient().catch((err: unknown) => Promise.reject(credentialError(err)));

  const fetchToken = async (): Promise<AccessToken> => {
    const authClient = await client();
    let value: string | null | undefined;
    try {
      ({ token: value } = await authClient.getAccessToken());
    } catch (err) {
      throw credentialError(err);
    }
    if (!value) throw new ProxyError(503, 'token_unavailable', 'The credential returned an empty access token.');
    const expiry = authClient.credentials?.expiry_date;
    return { value, expiresAt: typeof expiry === 'number' ? expiry : now() + FALLBACK_LIFETIME_MS };
  };

  const cache = new TokenCache(fetchToken, now, options.events);

  return {
    getToken: () => cache.getToken(),
    invalidate: (token) => cache.invalidate(token),
    peek: () => cache.peek(),
    projectId: async () => {
      try {
        return await auth.getProjectId();
      } catch (err) {
        throw new ProxyError(
          503,
          'project_unknown',
          'No Google Cloud project configured and ADC reports none. Set GOOGLE_CLOUD_PROJECT.',
          { cause: err },
        );
      }
    },
    quotaProject: async () => (await client()).quotaProjectId ?? undefined,
    describe: async () => {
      const authClient = await client();
      const projectId = await auth.getProjectId().catch(() => undefined);
      return { type: credentialType(authClient), projectId: projectId ?? undefined, quotaProject: authClient.quotaProjectId ?? undefined };
    },
  };
}

export function credentialType(client: AuthClient): string {
  const names: Record<string, string> = {
    Compute: 'metadata_server',
    UserRefreshClient: 'authorized_user',
    JWT: 'service_account',
    Impersonated: 'impersonated_service_account',
    IdentityPoolClient: 'external_account',
    AwsClient: 'external_account',
    PluggableAuthClient: 'external_account',
    ExternalAccountAuthorizedUserClient: 'external_account_authorized_user',
  };
  return names[client.constructor.name] ?? client.constructor.name;
}

/**
 * Library errors can carry request configs (with refresh tokens or assertions)
 * and responses: keep only a message, and never the object itself.
 */
export function credentialError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/could not load the default credentials/i.test(message)) {
    return new ProxyError(503, 'credentials_not_found', NO_CREDENTIALS_HELP);
  }
  if (/invalid_grant|invalid_rapt|reauth/i.test(message)) {
    return new ProxyError(
      503,
      'credentials_expired',
      'Google rejected the stored credentials (invalid_grant). Run `gcloud auth application-default login` again.',
    );
  }
  if (PERMISSION_DENIED.test(message) || statusOf(err) === 403) {
    return new ProxyError(503, 'credentials_permission_denied', `Google denied the token request: ${firstLine(message)}. ${PERMISSION_HELP}`);
  }
  return new ProxyError(503, 'token_unavailable', `Could not get a Google access token: ${firstLine(message)}`);
}

// IAM generateAccessToken (impersonation) and STS refusing the principal.
const PERMISSION_DENIED = /PERMISSION_DENIED|access_denied|unauthorized_client|permission .{0,80} denied/i;

const PERMISSION_HELP =
  'The signed-in principal may not mint tokens for the service account it impersonates: grant it ' +
  '`roles/iam.serviceAccountTokenCreator` (`gcloud iam service-accounts add-iam-policy-binding SA_EMAIL ' +
  '--member=user:YOU --role=roles/iam.serviceAccountTokenCreator`), or log in again with `gcloud auth application-default login`.';

function statusOf(err: unknown): unknown {
  const fields = err as { status?: unknown; response?: { status?: unknown } } | null;
  return fields?.status ?? fields?.response?.status;
}

function firstLine(text: string): string {
  return (text.split('\n', 1)[0] ?? '').slice(0, 300);
}
