// What the passthrough route sends upstream instead of the client's bytes,
// when Vertex needs something else: thought signatures put back (Gemini 3
// chat), an alias's model spliced in, keys Vertex refuses dropped, and a
// base64 embeddings request sent as a float one. A body that needs none of it
// is the client's Buffer itself, byte for byte.
//
// Cheap on purpose: nothing here parses a body unless its bytes can hold what
// a step needs. The scanner's top-level keys (json-scan.ts) say whether a
// dropped key or `encoding_format` is there at all; signatures are looked
// for only on Gemini 3 chat requests whose bytes mention `"tool_calls"`.

import { replaceTopLevelModel } from '../proxy/model-rewrite.ts';
import type { Operation } from '../proxy/upstream-url.ts';
import { dropTopLevelParams } from './drop-params.ts';
import { planEmbeddingsRequest } from './embeddings-base64.ts';
import type { SignatureLookup } from './signature-memory.ts';
import { repairThoughtSignatures, requiresThoughtSignatures } from './thought-signatures.ts';

export interface ClientRequest {
  readonly operation: Operation;
  /** The body as the client sent it. */
  readonly raw: Buffer;
  /** Its top-level member names (from the body scan). */
  readonly keys: readonly string[];
  /** The body's `model`. */
  readonly model: string | undefined;
  /** Set for aliases: the `model` Vertex must receive. */
  readonly upstreamModel: string | undefined;
  /** The route's top-level keys to remove. */
  readonly dropParams: readonly string[];
}

export interface SignaturePolicy {
  readonly memory: SignatureLookup;
  /** Give tool calls whose signature is unknown Google's sentinel. */
  readonly fallback: boolean;
}

export interface UpstreamBody {
  /** What to send: `raw` itself when nothing applied. */
  readonly body: Buffer;
  /** Top-level keys removed, in body order (names only). */
  readonly dropped: readonly string[];
  /** Tool calls given back their remembered thought signature. */
  readonly restored: number;
  /** Assistant messages given the sentinel. */
  readonly sentinels: number;
  /** An embeddings request that asked for base64: its answer must be converted. */
  readonly base64: boolean;
  /** A chat request to a model that hands out thought signatures: its answer is worth tapping. */
  readonly tapSignatures: boolean;
}

const ENCODING_FORMAT = 'encoding_format';

/** Works out the upstream body; in this order: signatures (by the upstream model), alias, embeddings format, dropped keys. */
export function upstreamBody(request: ClientRequest, signatures: SignaturePolicy): UpstreamBody {
  const { raw, keys, operation, upstreamModel } = request;
  let body = raw;
  let restored = 0;
  let sentinels = 0;
  let tapSignatures = false;
  if (operation === 'chat/completions') {
    // Vertex validates signatures for the model it receives: the alias's target, not the name the client sent.
    const model = upstreamModel ?? request.model;
    tapSignatures = requiresThoughtSignatures(model);
    const repair = tapSignatures ? repairThoughtSignatures(raw, undefined, { model, memory: signatures.memory, fallback: signatures.fallback }) : undefined;
    if (repair) ({ body, restored, sentinels } = repair);
  }
  if (upstreamModel !== undefined) body = replaceTopLevelModel(body, upstreamModel);

  let base64 = false;
  if (operation === 'embeddings' && keys.includes(ENCODING_FORMAT)) ({ body, base64 } = planEmbeddingsRequest(body, undefined, true));

  let dropped: readonly string[] = [];
  const present = request.dropParams.filter((name) => keys.includes(name) && !(base64 && name === ENCODING_FORMAT));
  if (present.length > 0) {
    // The scan already knows which names are there (escaped spellings too): spare the byte search.
    ({ body, dropped } = dropTopLevelParams(body, present, Object.fromEntries(present.map((name) => [name, true]))));
  }
  return { body, dropped, restored, sentinels, base64, tapSignatures };
}
