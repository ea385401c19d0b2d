// Parsers and defaults for the Gemini 3 compatibility settings (compat/), kept
// here so the config modules only gain a line each.

import { boolean, ConfigError, fail, integer, list, number } from './values.ts';

/**
 * OpenAI-platform fields missing from Google's list of supported parameters
 * that clients send without being asked (the OpenAI SDKs, the Agents SDK,
 * LangChain, Codex) and that change nothing about the answer: storage,
 * dashboards, caching keys, abuse-monitoring ids, service tiers and predicted
 * outputs. Fields that shape the answer are kept, so an unsupported one fails
 * loudly instead of being ignored.
 */
export const DEFAULT_DROP_PARAMS: readonly string[] = Object.freeze([
  'store',
  'metadata',
  'prompt_cache_key',
  'prompt_cache_retention',
  'safety_identifier',
  'user',
  'service_tier',
  'prediction',
]);

export interface ThoughtSignatureSettings {
  /** Insert Google's sentinel for tool calls whose signature is unknown (Gemini 3+). */
  readonly fallback: boolean;
  /** Tool-call signatures remembered at most. */
  readonly maxEntries: number;
  readonly ttlMs: number;
}

export const COMPAT_DEFAULTS = {
  dropParams: DEFAULT_DROP_PARAMS,
  thoughtSignatureFallback: true,
  thoughtSignatureMemory: 10_000,
  thoughtSignatureTtlSeconds: 24 * 3600,
} as const;

const PARAM_NAME = /^[A-Za-z_][\w.-]{0,99}$/;

/** A list of top-level body keys; `none` (for env vars, which cannot be empty) means no key. */
export function parseDropParams(raw: unknown, key: string): readonly string[] {
  const names = list(raw, key);
  if (names.length === 1 && names[0]?.toLowerCase() === 'none') return Object.freeze([]);
  for (const name of names) {
    if (!PARAM_NAME.test(name)) fail(key, raw, 'a list of top-level request keys such as store, metadata (or "none")');
    if (name === 'model') throw new ConfigError(`${key}: "model" cannot be dropped: it selects the model`);
  }
  return Object.freeze([...new Set(names)]);
}

export const parseSignatureFallback = boolean;
export const parseSignatureMemory = integer(0, 1_000_000);
export const parseSignatureTtlSeconds = number(1, 30 * 24 * 3600);

export function thoughtSignatureSettings(fallback: boolean, maxEntries: number, ttlSeconds: number): ThoughtSignatureSettings {
  return Object.freeze({ fallback, maxEntries, ttlMs: Math.round(ttlSeconds * 1000) });
}
