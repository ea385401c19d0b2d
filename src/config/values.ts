// Parsers for single config values. Each takes the raw value and the key as
// the user wrote it (env var, flag, or `file: key`), and throws a ConfigError
// naming that key and what is allowed.

import { isIPv6 } from 'node:net';
import { RESERVED_EXTRA_HEADERS } from './header-names.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type ApiVersion = 'v1' | 'v1beta1';

export const LOCATION = /^(global|us|eu|[a-z]+-[a-z]+[0-9]+)$/;
export const PROJECT = /^[a-z0-9][a-z0-9.:-]{0,99}$/i;
export const ENDPOINT = /^(openapi|[0-9]{1,30})$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/** How a bad value is reported: with the value, or (for secrets) without it. */
type Failure = (key: string, raw: unknown, expected: string) => never;

export function fail(key: string, raw: unknown, expected: string): never {
  throw new ConfigError(`Invalid ${key} (${JSON.stringify(raw)}): must be ${expected}`);
}

/** For values that may be secrets (API keys, header values): the message may reach a log, so it says only what kind of value it was. */
function failSecret(key: string, raw: unknown, expected: string): never {
  const kind = raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw === 'object' ? 'a map' : `a ${typeof raw}`;
  throw new ConfigError(`Invalid ${key} (${kind}, not shown): must be ${expected}`);
}

export function text(raw: unknown, key: string, expected: string, failure: Failure = fail): string {
  if (typeof raw !== 'string' && typeof raw !== 'number') failure(key, raw, expected);
  return String(raw).trim();
}

export function pattern(re: RegExp, expected: string) {
  return (raw: unknown, key: string): string => {
    const value = text(raw, key, expected);
    return re.test(value) ? value : fail(key, raw, expected);
  };
}

export function oneOf(allowed: readonly string[]) {
  return pattern(new RegExp(`^(${allowed.join('|')})$`), `one of ${allowed.join(', ')}`);
}

export function number(min: number, max: number) {
  return (raw: unknown, key: string): number => {
    const expected = `a number from ${min} to ${max}`;
    const value = Number(text(raw, key, expected));
    return Number.isFinite(value) && value >= min && value <= max ? value : fail(key, raw, expected);
  };
}

export function integer(min: number, max: number) {
  const inRange = number(min, max);
  return (raw: unknown, key: string): number => {
    const value = inRange(raw, key);
    return Number.isInteger(value) ? value : fail(key, raw, `a whole number from ${min} to ${max}`);
  };
}

export function hostname(raw: unknown, key: string): string {
  const expected = 'a host name or IP address to listen on';
  const value = text(raw, key, expected);
  if (!/^[a-z0-9.:[\]-]+$/i.test(value)) fail(key, raw, expected);
  // `listen` takes an IPv6 address bare; [::1] is how URLs write it.
  return value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
}

export function origin(raw: unknown, key: string): string {
  const expected = 'an http(s) URL with scheme and host only, e.g. https://europe-west4-aiplatform.googleapis.com';
  const value = text(raw, key, expected);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(key, raw, expected);
  }
  const pathless = (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash;
  const plain = !url.username && !url.password;
  if (!/^https?:$/.test(url.protocol) || !pathless || !plain) fail(key, raw, expected);
  return url.origin;
}

/** Where the token goes: https, or plain http only to this machine (tests, a local forwarder), never in the clear over a network. */
export function upstreamOrigin(raw: unknown, key: string): string {
  const value = origin(raw, key);
  const { protocol, hostname } = new URL(value);
  if (protocol === 'http:' && !isLoopbackHost(hostname)) {
    fail(key, raw, 'an https URL (plain http only to this machine: the access token would cross the network in the clear)');
  }
  return value;
}

export function list(raw: unknown, key: string, failure: Failure = fail): string[] {
  const expected = 'a comma-separated string or a list of strings';
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : failure(key, raw, expected);
  return items.map((item) => text(item, key, expected, failure)).filter((item) => item !== '');
}

/** A list of secrets (client API keys): never echoed in an error. */
export function secretList(raw: unknown, key: string): string[] {
  return list(raw, key, failSecret);
}

export function originList(raw: unknown, key: string): string[] {
  return list(raw, key).map((item) => (item === '*' ? item : origin(item, key)));
}

export function headerMap(raw: unknown, key: string): Record<string, string> {
  const expected = 'a map of header names to string values';
  // Header values may be credentials (an endpoint's API key): never echoed.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) failSecret(key, raw, expected);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || /[\r\n]/.test(value)) failSecret(`${key}.${name}`, value, expected);
    const lower = name.toLowerCase();
    if (RESERVED_EXTRA_HEADERS.has(lower) || lower === 'authorization') {
      failSecret(`${key}.${name}`, value, 'a header the proxy does not set itself (not Authorization, Host, Content-Length or a hop-by-hop header)');
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function boolean(raw: unknown, key: string): boolean {
  if (typeof raw === 'boolean') return raw;
  const value = text(raw, key, 'true or false').toLowerCase();
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  return fail(key, raw, 'true or false (also 1/0, yes/no, on/off)');
}

/** A listen address only this machine can reach. */
/** A host as a URL or a Host header writes it: an IPv6 address in brackets (else its colons would read as a port's). */
export function bracketedHost(name: string): string {
  const trimmed = name.trim();
  return isIPv6(trimmed) ? `[${trimmed}]` : trimmed;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}
