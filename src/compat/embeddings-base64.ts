// OpenAI clients ask for embeddings as `encoding_format: "base64"` (the
// `openai` SDKs do by default) and some decode the answer blindly (LlamaIndex,
// older SDKs). Vertex answers with float arrays. So a base64 request is sent
// upstream without `encoding_format` (which then means float, whatever Vertex
// does with the field) and each vector of the answer is re-encoded the way
// OpenAI encodes it: base64 of the little-endian float32 bytes.

import { topLevelValueRanges } from '../proxy/model-rewrite.ts';
import { dropTopLevelParams } from './drop-params.ts';

export interface EmbeddingsRequestPlan {
  /** What to send upstream: `raw` itself unless base64 was asked for. */
  readonly body: Buffer;
  /** Whether the answer must go through `embeddingsToBase64`. */
  readonly base64: boolean;
}

const ENCODING_FORMAT = Buffer.from('"encoding_format"');

/**
 * Decides what an embeddings request sends upstream and whether its answer is
 * converted. Pass the parsed body if there is one; else the top-level
 * `encoding_format` is read from the bytes, without parsing the rest.
 * `keyPresent`: the caller's scan of the body's keys already found it, in
 * whatever spelling (`"encoding\u005fformat"` escapes past a byte search).
 */
export function planEmbeddingsRequest(raw: Buffer, json?: Record<string, unknown>, keyPresent = false): EmbeddingsRequestPlan {
  const format = json ? json.encoding_format : encodingFormatOf(raw, keyPresent);
  if (format !== 'base64') return { body: raw, base64: false };
  // The key is there: spare dropTopLevelParams its byte search, which misses escaped spellings.
  return { body: dropTopLevelParams(raw, ['encoding_format'], json ?? { encoding_format: format }).body, base64: true };
}

/** The last top-level `encoding_format` value (JSON.parse keeps the last one too). */
function encodingFormatOf(raw: Buffer, keyPresent: boolean): unknown {
  if (!keyPresent && !raw.includes(ENCODING_FORMAT)) return undefined;
  const range = topLevelValueRanges(raw, 'encoding_format').at(-1);
  if (range === undefined) return undefined;
  try {
    return JSON.parse(raw.subarray(range[0], range[1]).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Re-encodes every `data[].embedding` float array of an embeddings answer as
 * base64 float32 (little-endian). Vectors already in base64 stay; an answer
 * that is not such JSON comes back as the same Buffer.
 */
export function embeddingsToBase64(body: Buffer): Buffer {
  let answer: unknown;
  try {
    answer = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  if (typeof answer !== 'object' || answer === null || !Array.isArray((answer as { data?: unknown }).data)) return body;
  let converted = false;
  for (const item of (answer as { data: unknown[] }).data) {
    if (typeof item !== 'object' || item === null) continue;
    const embedding = (item as { embedding?: unknown }).embedding;
    if (!Array.isArray(embedding) || !embedding.every((v) => typeof v === 'number')) continue;
    (item as { embedding: unknown }).embedding = float32Base64(embedding as number[]);
    converted = true;
  }
  return converted ? Buffer.from(JSON.stringify(answer), 'utf8') : body;
}

/** Base64 of the numbers as little-endian IEEE 754 float32, as OpenAI's API returns them. */
export function float32Base64(values: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}
