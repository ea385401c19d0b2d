// Settings of the Responses API (responses/): the size of the store that
// serves previous_response_id and GET/DELETE /v1/responses/{id}, how many
// background responses may run at once, and the
// per-route choice between translating to Chat Completions and forwarding to
// a model's own Responses endpoint. Kept here so the config modules only gain
// a line each.

import { integer, number, oneOf } from './values.ts';

export interface ResponsesStoreSettings {
  /** Stored responses at most; the least recently used go first. */
  readonly maxEntries: number;
  /** Their summed JSON size at most, in bytes. */
  readonly maxBytes: number;
  /** How long each is kept after it was stored. */
  readonly ttlMs: number;
}

/**
 * How a route serves POST /v1/responses: `translate` (the default) sends Chat
 * Completions upstream; `native` forwards the body byte for byte to the
 * endpoint's own `/responses` (partner models that serve it, such as xAI Grok).
 */
export type ResponsesApiMode = 'translate' | 'native';

export const RESPONSES_DEFAULTS = {
  responsesStoreEntries: 1000,
  responsesStoreMb: 64,
  responsesStoreTtlSeconds: 24 * 3600,
  // Each holds an upstream stream and its events until it ends; 0 refuses `background: true`.
  responsesBackgroundMax: 64,
} as const;

export const parseStoreEntries = integer(0, 1_000_000);
export const parseStoreMb = number(0, 65536);
export const parseStoreTtlSeconds = number(1, 30 * 24 * 3600);
export const parseBackgroundMax = integer(0, 100_000);
export const parseResponsesApi = oneOf(['translate', 'native']) as (raw: unknown, key: string) => ResponsesApiMode;

export function responsesStoreSettings(entries: number, mb: number, ttlSeconds: number): ResponsesStoreSettings {
  return Object.freeze({ maxEntries: entries, maxBytes: Math.round(mb * 1024 * 1024), ttlMs: Math.round(ttlSeconds * 1000) });
}
