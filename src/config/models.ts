// The `models` map of the config file: where each model name a tool sends is
// routed, and which name Vertex receives. Validated entry by entry, with alias
// chains flattened here so the router never has to follow them.

import { ConfigError, ENDPOINT, fail, headerMap, LOCATION, oneOf, pattern, PROJECT, upstreamOrigin } from './values.ts';
import type { ApiVersion } from './values.ts';
import { parseDropParams } from './compat-settings.ts';
import { parseResponsesApi, type ResponsesApiMode } from './responses-settings.ts';

export interface ModelRoute {
  /** The name sent upstream; set only when it differs from the entry's own name. */
  readonly model: string | undefined;
  readonly project: string | undefined;
  /** Failover order; never widened beyond what the entry lists. */
  readonly locations: readonly string[] | undefined;
  readonly apiVersion: ApiVersion | undefined;
  readonly endpoint: string | undefined;
  readonly baseUrl: string | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Replaces the top-level dropParams for this route; `[]` drops nothing. */
  readonly dropParams: readonly string[] | undefined;
  /** How POST /v1/responses is served for this model (responses-settings.ts); default: translated. */
  readonly responsesApi: ResponsesApiMode | undefined;
}

export const ENTRY_KEYS = ['model', 'project', 'location', 'apiVersion', 'endpoint', 'baseUrl', 'headers', 'dropParams', 'responsesApi'];
const MODEL_NAME = /^[\w][\w.@:/-]{0,199}$/;

const parseLocation = pattern(LOCATION, 'a Vertex AI location such as us-central1, europe-west4, global, us or eu');
const parseProject = pattern(PROJECT, 'a Google Cloud project ID or number');
const parseEndpoint = pattern(ENDPOINT, '"openapi" or a numeric endpoint ID');
const parseApiVersion = oneOf(['v1', 'v1beta1']);
const parseModelName = pattern(MODEL_NAME, 'a model name such as google/gemini-2.5-flash');

export function parseModels(raw: unknown, key: string): Record<string, ModelRoute> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(key, raw, 'a map of model names to routes');
  const entries: Record<string, ModelRoute> = {};
  for (const [name, entry] of Object.entries(raw)) {
    const entryKey = `${key}.${name}`;
    parseModelName(name, `${key} name`);
    entries[name] = parseEntry(name, entry ?? {}, entryKey);
  }
  return flattenAliases(entries, key);
}

function parseEntry(name: string, raw: unknown, key: string): ModelRoute {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(key, raw, `a map with some of: ${ENTRY_KEYS.join(', ')}`);
  const entry = raw as Record<string, unknown>;
  for (const field of Object.keys(entry)) {
    if (!ENTRY_KEYS.includes(field)) throw new ConfigError(`${key}: unknown key "${field}". Allowed keys: ${ENTRY_KEYS.join(', ')}`);
  }
  const optional = <T>(field: string, parse: (value: unknown, key: string) => T): T | undefined =>
    entry[field] === undefined ? undefined : parse(entry[field], `${key}.${field}`);
  const model = optional('model', parseModelName);
  return {
    model: model === name ? undefined : model,
    project: optional('project', parseProject),
    locations: optional('location', parseLocations),
    apiVersion: optional('apiVersion', parseApiVersion) as ApiVersion | undefined,
    endpoint: optional('endpoint', parseEndpoint),
    baseUrl: optional('baseUrl', upstreamOrigin),
    headers: optional('headers', headerMap),
    dropParams: optional('dropParams', parseDropParams),
    responsesApi: optional('responsesApi', parseResponsesApi),
  };
}

function parseLocations(raw: unknown, key: string): string[] {
  const items = Array.isArray(raw) ? raw : [raw];
  if (items.length === 0) fail(key, raw, 'a location or a non-empty list of locations');
  const locations = items.map((item, i) => parseLocation(item, Array.isArray(raw) ? `${key}[${i}]` : key));
  if (new Set(locations).size !== locations.length) fail(key, raw, 'a list without repeated locations');
  return locations;
}

/**
 * `a: {model: b}` where `b` is itself an entry makes `a` an alias of `b`: it
 * inherits what it does not set and sends `b`'s upstream name.
 */
function flattenAliases(entries: Record<string, ModelRoute>, key: string): Record<string, ModelRoute> {
  const flat: Record<string, ModelRoute> = {};
  for (const name of Object.keys(entries)) {
    const chain = [name];
    let route = entries[name] as ModelRoute;
    // Stops at an entry that names no other entry (inherit() gives it its own name).
    while (route.model !== undefined && route.model !== chain.at(-1) && Object.hasOwn(entries, route.model)) {
      const next = route.model;
      if (chain.includes(next)) throw new ConfigError(`${key}.${name}: alias loop ${[...chain, next].join(' → ')}`);
      chain.push(next);
      route = inherit(route, entries[next] as ModelRoute, next);
    }
    flat[name] = route;
  }
  return flat;
}

function inherit(alias: ModelRoute, target: ModelRoute, targetName: string): ModelRoute {
  return {
    model: target.model ?? targetName,
    project: alias.project ?? target.project,
    locations: alias.locations ?? target.locations,
    apiVersion: alias.apiVersion ?? target.apiVersion,
    endpoint: alias.endpoint ?? target.endpoint,
    baseUrl: alias.baseUrl ?? target.baseUrl,
    headers: alias.headers || target.headers ? { ...target.headers, ...alias.headers } : undefined,
    dropParams: alias.dropParams ?? target.dropParams,
    responsesApi: alias.responsesApi ?? target.responsesApi,
  };
}
