// The query of GET /v1/responses/{id}: `stream=true` asks for the stored
// response as an event stream (replay.ts), `starting_after` for only the
// events numbered after it. As the SDKs send them: `true`/`false` and a
// non-negative integer; anything else is a 400 naming the key rather than
// an answer the client did not ask for. `include` and other keys are ignored.

import { invalidRetrieveQuery } from './errors.ts';
import { queryFields, queryInteger } from './validate.ts';

export interface RetrieveQuery {
  stream: boolean;
  /** Only events with a larger `sequence_number` are sent; undefined: all. */
  startingAfter: number | undefined;
}

export function parseRetrieveQuery(query: unknown): RetrieveQuery {
  const { stream, starting_after: after } = queryFields(query);
  const parsed: RetrieveQuery = { stream: false, startingAfter: undefined };
  if (stream !== undefined) {
    if (stream !== 'true' && stream !== 'false') throw invalidRetrieveQuery('stream', String(stream));
    parsed.stream = stream === 'true';
  }
  if (after !== undefined) {
    const n = queryInteger(after);
    if (!Number.isSafeInteger(n)) throw invalidRetrieveQuery('starting_after', String(after));
    parsed.startingAfter = n;
  }
  return parsed;
}
