// Ids of the objects the translation creates, and of stored input items a
// client sent without one. OpenAI's prefixes are kept (`resp_`, `msg_`, `fc_`,
// `fco_`, `ctc_`, `rs_`, `call_`, …) because clients and logs recognise them;
// the rest is random hex, unique enough for a process-local store and never
// derived from the request.

import { randomBytes } from 'node:crypto';

export type IdPrefix = 'resp' | 'msg' | 'fc' | 'fco' | 'ctc' | 'ctco' | 'rs' | 'call' | 'item';

/** Makes a new id with the given prefix. Tests pass a counter for stable ids. */
export type IdSource = (prefix: IdPrefix) => string;

export const randomId: IdSource = (prefix) => `${prefix}_${randomBytes(16).toString('hex')}`;

/** Deterministic ids (`msg_1`, `fc_2`, …) for tests and fixtures. */
export function counterIds(): IdSource {
  let n = 0;
  return (prefix) => `${prefix}_${++n}`;
}
