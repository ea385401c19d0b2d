// Every setting: its config-file key, environment variables, flag, parser
// and default. Adding a setting is a line in FIELDS and one in DEFAULTS (and
// its place in the Config that load.ts returns).

import { COMPAT_DEFAULTS, parseDropParams, parseSignatureFallback, parseSignatureMemory, parseSignatureTtlSeconds } from './compat-settings.ts';
import { parseModels } from './models.ts';
import { parseBackgroundMax, parseStoreEntries, parseStoreMb, parseStoreTtlSeconds, RESPONSES_DEFAULTS } from './responses-settings.ts';
import { boolean, ENDPOINT, headerMap, hostname, integer, list, LOCATION, number, oneOf, originList, pattern, PROJECT, secretList, upstreamOrigin } from './values.ts';

/** How long one token fetch (or project lookup) may take: PROXY_TOKEN_TIMEOUT_SECONDS. */
export const DEFAULT_TOKEN_TIMEOUT_SECONDS = 15;

/** Time to read a whole request from a client, headers included, so the most PROXY_HEADERS_TIMEOUT_SECONDS can be. Answers may stream far longer. */
export const CLIENT_REQUEST_TIMEOUT_SECONDS = 120;

export type FileKey = keyof typeof FIELDS;

export interface Field {
  readonly env: readonly string[];
  readonly flag?: string;
  readonly parse: (raw: unknown, key: string) => unknown;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const FIELDS = {
  host: { env: ['HOST'], flag: '--host', parse: hostname },
  port: { env: ['PORT'], flag: '--port', parse: integer(0, 65535) },
  project: { env: ['GOOGLE_CLOUD_PROJECT', 'PROJECT_ID'], parse: pattern(PROJECT, 'a Google Cloud project ID or number') },
  location: {
    env: ['GOOGLE_CLOUD_LOCATION', 'LOCATION'],
    parse: pattern(LOCATION, 'a Vertex AI location such as us-central1, europe-west4, global, us or eu'),
  },
  apiVersion: { env: ['VERTEX_API_VERSION'], parse: oneOf(['v1', 'v1beta1']) },
  endpoint: { env: ['VERTEX_ENDPOINT_ID'], parse: pattern(ENDPOINT, '"openapi" or a numeric endpoint ID') },
  baseUrl: { env: ['VERTEX_BASE_URL'], parse: upstreamOrigin },
  quotaProject: { env: ['GOOGLE_CLOUD_QUOTA_PROJECT'], parse: pattern(PROJECT, 'a Google Cloud project ID') },
  headers: { env: [], parse: headerMap },
  apiKeys: { env: ['PROXY_API_KEY'], parse: secretList },
  allowedHosts: { env: ['PROXY_ALLOWED_HOSTS'], parse: list },
  corsOrigins: { env: ['PROXY_CORS_ORIGINS'], parse: originList },
  logLevel: { env: ['LOG_LEVEL'], parse: oneOf(LOG_LEVELS) },
  bodyLimitMb: { env: ['PROXY_BODY_LIMIT_MB'], parse: number(0.001, 1024) },
  maxConnections: { env: ['PROXY_MAX_CONNECTIONS'], parse: integer(1, 1_000_000) },
  headersTimeoutSeconds: { env: ['PROXY_HEADERS_TIMEOUT_SECONDS'], parse: number(0.01, CLIENT_REQUEST_TIMEOUT_SECONDS) },
  bodyMemoryMb: { env: ['PROXY_BODY_MEMORY_MB'], parse: number(0.001, 65536) },
  upstreamTimeoutSeconds: { env: ['PROXY_UPSTREAM_TIMEOUT_SECONDS'], parse: number(0.001, 24 * 3600) },
  shutdownGraceSeconds: { env: ['PROXY_SHUTDOWN_GRACE_SECONDS'], parse: number(0, 3600) },
  tokenTimeoutSeconds: { env: ['PROXY_TOKEN_TIMEOUT_SECONDS'], parse: number(0.01, 600) },
  models: { env: [], parse: parseModels },
  listedModels: { env: [], parse: list },
  failoverMaxWaitSeconds: { env: ['PROXY_FAILOVER_MAX_WAIT_SECONDS'], parse: number(0, 600) },
  metadataServer: { env: ['PROXY_METADATA_SERVER'], flag: '--metadata-server', parse: boolean },
  dropParams: { env: ['PROXY_DROP_PARAMS'], parse: parseDropParams },
  thoughtSignatureFallback: { env: ['PROXY_THOUGHT_SIGNATURE_FALLBACK'], parse: parseSignatureFallback },
  thoughtSignatureMemory: { env: ['PROXY_THOUGHT_SIGNATURE_MEMORY'], parse: parseSignatureMemory },
  thoughtSignatureTtlSeconds: { env: ['PROXY_THOUGHT_SIGNATURE_TTL_SECONDS'], parse: parseSignatureTtlSeconds },
  responsesStoreEntries: { env: ['PROXY_RESPONSES_STORE_ENTRIES'], parse: parseStoreEntries },
  responsesStoreMb: { env: ['PROXY_RESPONSES_STORE_MB'], parse: parseStoreMb },
  responsesStoreTtlSeconds: { env: ['PROXY_RESPONSES_STORE_TTL_SECONDS'], parse: parseStoreTtlSeconds },
  responsesBackgroundMax: { env: ['PROXY_RESPONSES_BACKGROUND_MAX'], parse: parseBackgroundMax },
} satisfies Record<string, Field>;

/** Every environment variable that is a setting, PROXY_CONFIG first. */
export const SETTING_ENV_NAMES: readonly string[] = ['PROXY_CONFIG', ...Object.values(FIELDS).flatMap((field: Field) => field.env)];

export const DEFAULTS: Record<FileKey, unknown> = {
  host: '127.0.0.1',
  port: 8765,
  project: undefined,
  location: 'global',
  apiVersion: 'v1',
  endpoint: 'openapi',
  baseUrl: undefined,
  quotaProject: undefined,
  headers: {},
  apiKeys: [],
  allowedHosts: [],
  corsOrigins: [],
  logLevel: 'info',
  bodyLimitMb: 32,
  // Each client stream also holds an upstream socket: twice this stays under a common 8,192-descriptor limit.
  maxConnections: 4000,
  headersTimeoutSeconds: 10,
  // Two bodies at the default limit; the Kubernetes example's memory limit is sized for it (npm run soak).
  bodyMemoryMb: 64,
  upstreamTimeoutSeconds: 600,
  shutdownGraceSeconds: 30,
  tokenTimeoutSeconds: DEFAULT_TOKEN_TIMEOUT_SECONDS,
  models: {},
  listedModels: undefined,
  failoverMaxWaitSeconds: 5,
  metadataServer: false,
  ...COMPAT_DEFAULTS,
  ...RESPONSES_DEFAULTS,
};

