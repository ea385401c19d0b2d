// The only module that reads configuration. Layers, lowest first: built-in
// defaults < config file < environment < command-line flags. Validated once;
// every error names the key as the user wrote it.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ENTRY_KEYS as MODEL_ENTRY_KEYS, type ModelRoute } from './models.ts';
import { unknownKeyLines } from './unknown-keys.ts';
import { adcFile, type AdcFile } from './adc-file.ts';
import { thoughtSignatureSettings, type ThoughtSignatureSettings } from './compat-settings.ts';
import { responsesStoreSettings, type ResponsesStoreSettings } from './responses-settings.ts';
import { DEFAULTS, FIELDS, type Field, type FileKey } from './settings.ts';
import { ConfigError, isLoopbackHost, list, type ApiVersion } from './values.ts';
import { parseYamlConfig } from './yaml.ts';
import { parserMessage } from '../errors/parser-text.ts';

export { ConfigError };

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Undefined: ask ADC at run time. */
  readonly project: string | undefined;
  readonly location: string;
  readonly apiVersion: ApiVersion;
  readonly endpoint: string;
  readonly baseUrl: string | undefined;
  readonly quotaProject: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly apiKeys: readonly string[];
  readonly allowedHosts: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  /** Open client connections at most; beyond, new ones are closed at once. */
  readonly maxConnections: number;
  /** A connection must have sent whole request headers within this. */
  readonly headersTimeoutMs: number;
  /** What request bodies in flight may hold together; beyond it, 503 with Retry-After. */
  readonly bodyMemoryBytes: number;
  readonly upstreamTimeoutMs: number;
  /** Deadline for one token fetch (or project lookup) from the credential source. */
  readonly tokenTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly configPath: string | undefined;
  /** Per-model routes from the config file's `models` map. */
  readonly models: Readonly<Record<string, ModelRoute>>;
  /** Advertised by GET /v1/models besides the configured names. */
  readonly listedModels: readonly string[];
  /** Longest Retry-After wait before failing over to the next location. */
  readonly failoverMaxWaitMs: number;
  /** Also serve the GCE metadata token paths from the shared cache (loopback only). */
  readonly metadataServer: boolean;
  /** The ADC file google-auth-library reads (from GOOGLE_APPLICATION_CREDENTIALS or gcloud's); watched for changes. */
  readonly adcFile: AdcFile | undefined;
  /** Top-level request keys removed before forwarding (a route's own list replaces it). */
  readonly dropParams: readonly string[];
  readonly thoughtSignatures: ThoughtSignatureSettings;
  /** Bounds of the store behind previous_response_id and GET/DELETE /v1/responses/{id}. */
  readonly responsesStore: ResponsesStoreSettings;
  /** Background responses (`background: true`) running at once at most; past it, 429. */
  readonly responsesBackgroundMax: number;
}

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parsed command-line flags, already named as config keys. */
  readonly flags?: Readonly<Partial<Record<FileKey | 'config', string>>>;
  readonly readFile?: (path: string) => string;
  /** The shipped model list (config/default-models.yaml) unless given. */
  readonly defaultModels?: () => string[];
}

const DEFAULT_MODELS_FILE = new URL('../../config/default-models.yaml', import.meta.url);

export function readDefaultModels(): string[] {
  try {
    return list(parseYaml(readFileSync(DEFAULT_MODELS_FILE, 'utf8')) ?? [], 'config/default-models.yaml');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return [];
  }
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const configPath = flags.config ?? nonEmpty(env.PROXY_CONFIG);
  const file = configPath ? readConfigFile(configPath, sources.readFile ?? ((p) => readFileSync(p, 'utf8'))) : {};

  const values: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(FIELDS) as [FileKey, Field][]) {
    values[key] = resolveField(key, field, { env, flags, file, configPath });
  }
  const v = values as Record<FileKey, never>;
  return Object.freeze({
    host: v.host,
    port: v.port,
    project: v.project,
    location: v.location,
    apiVersion: v.apiVersion,
    endpoint: v.endpoint,
    baseUrl: v.baseUrl,
    quotaProject: v.quotaProject,
    headers: Object.freeze(v.headers),
    apiKeys: Object.freeze(v.apiKeys),
    allowedHosts: Object.freeze(v.allowedHosts),
    corsOrigins: Object.freeze(anyOriginOnlyWithKey(v.corsOrigins, v.apiKeys)),
    logLevel: v.logLevel,
    bodyLimitBytes: Math.round((v.bodyLimitMb as number) * 1024 * 1024),
    maxConnections: v.maxConnections,
    headersTimeoutMs: Math.round((v.headersTimeoutSeconds as number) * 1000),
    bodyMemoryBytes: Math.round((v.bodyMemoryMb as number) * 1024 * 1024),
    upstreamTimeoutMs: Math.round((v.upstreamTimeoutSeconds as number) * 1000),
    shutdownGraceMs: Math.round((v.shutdownGraceSeconds as number) * 1000),
    tokenTimeoutMs: Math.round((v.tokenTimeoutSeconds as number) * 1000),
    configPath,
    models: Object.freeze(v.models),
    listedModels: Object.freeze(v.listedModels ?? (sources.defaultModels ?? readDefaultModels)()),
    failoverMaxWaitMs: Math.round((v.failoverMaxWaitSeconds as number) * 1000),
    metadataServer: metadataServerOnLoopback(v.metadataServer, v.host),
    adcFile: adcFile(env),
    dropParams: v.dropParams,
    thoughtSignatures: thoughtSignatureSettings(v.thoughtSignatureFallback, v.thoughtSignatureMemory, v.thoughtSignatureTtlSeconds),
    responsesStore: responsesStoreSettings(v.responsesStoreEntries, v.responsesStoreMb, v.responsesStoreTtlSeconds),
    responsesBackgroundMax: v.responsesBackgroundMax,
  });
}

// Every origin allowed, and no key: any web page open in the user's browser
// could spend their credentials and read the answers.
function anyOriginOnlyWithKey(origins: readonly string[], apiKeys: readonly string[]): readonly string[] {
  if (origins.includes('*') && apiKeys.length === 0) {
    throw new ConfigError(
      'PROXY_CORS_ORIGINS (corsOrigins) "*" needs PROXY_API_KEY: without a key any web page open in your browser could spend your Google credentials. ' +
        'Name the origins instead (loopback ones are allowed already).',
    );
  }
  return origins;
}

// The metadata paths hand out raw access tokens without an API key (SDKs cannot
// send one), so they are never served beyond this machine.
function metadataServerOnLoopback(enabled: boolean, host: string): boolean {
  if (enabled && !isLoopbackHost(host)) {
    throw new ConfigError(
      `--metadata-server (PROXY_METADATA_SERVER) needs HOST to be a loopback address (127.0.0.1, ::1 or localhost), not "${host}": ` +
        'it hands out access tokens to any caller without an API key.',
    );
  }
  return enabled;
}

interface Layers {
  env: Readonly<Record<string, string | undefined>>;
  flags: Readonly<Record<string, string | undefined>>;
  file: Record<string, unknown>;
  configPath: string | undefined;
}

function resolveField(key: FileKey, field: Field, layers: Layers): unknown {
  const flagValue = layers.flags[key];
  if (field.flag && flagValue !== undefined) return field.parse(flagValue, field.flag);
  for (const name of field.env) {
    const raw = nonEmpty(layers.env[name]);
    if (raw !== undefined) return field.parse(raw, name);
  }
  if (layers.file[key] !== undefined) return field.parse(layers.file[key], `${layers.configPath}: ${key}`);
  return DEFAULTS[key];
}

function readConfigFile(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(extname(path)) ? parseYamlConfig(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Config file ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${parserMessage((err as Error).message)}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`Config file ${path} must hold an object of settings`);
  const unknown = unknownKeyLines(parsed as Record<string, unknown>, path, Object.keys(FIELDS), MODEL_ENTRY_KEYS);
  if (unknown.length > 0) throw new ConfigError(unknown.join('\n'));
  return parsed as Record<string, unknown>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
