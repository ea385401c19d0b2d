// Stored responses for `previous_response_id`, `item_reference`,
// `GET`/`DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`.
//
// Per process and in memory: replicas do not share it and a restart empties
// it. Bounded three ways (entries, bytes, age) so a busy proxy cannot grow
// without limit; past a limit the least recently used response goes first.
// Each entry keeps the whole conversation up to it, so a follow-up needs
// only the one entry. Histories of a chain share their item objects, so the
// byte count (the JSON size of each entry) overstates real memory: the
// limit errs on the safe side.

import type { OutputItem, ResponseObject } from './response-types.ts';
import type { InputItem } from './types.ts';

export interface StoredResponse {
  response: ResponseObject;
  /** Earlier history, this turn's input items, then this response's output items. */
  history: InputItem[];
  /**
   * This turn's input items, each with an id (the same objects as in
   * `history`, so they are not counted twice): what `input_items` lists.
   */
  input: InputItem[];
  /**
   * A background response's stream as it was written, one frame per event
   * (index = sequence_number), so a resume keeps the live stream's numbers.
   */
  events?: readonly string[] | undefined;
}

export interface ResponseStoreOptions {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  /** Clock in milliseconds; injected so tests can move time. */
  now?: () => number;
}

interface Entry extends StoredResponse {
  bytes: number;
  expiresAt: number;
}

export class ResponseStore {
  readonly #options: Required<ResponseStoreOptions>;
  // Map order is recency order: oldest first, touched entries move to the end.
  readonly #entries = new Map<string, Entry>();
  // Output item id → id of the response that produced it, for item_reference.
  readonly #itemOwners = new Map<string, string>();
  #bytes = 0;
  #nextExpiry = Infinity;

  constructor(options: ResponseStoreOptions) {
    this.#options = { ...options, now: options.now ?? Date.now };
  }

  /**
   * Keeps a finished response with its history (and a background response's
   * events); false when it alone exceeds the byte limit. The caller decides
   * whether to store (not for `store:false`, not for failed foreground ones).
   */
  put(response: ResponseObject, history: InputItem[], input: InputItem[] = [], events?: readonly string[]): boolean {
    let bytes = Buffer.byteLength(JSON.stringify({ response, history }), 'utf8');
    for (const frame of events ?? []) bytes += Buffer.byteLength(frame, 'utf8');
    if (bytes > this.#options.maxBytes || this.#options.maxEntries < 1) return false;
    this.delete(response.id);
    const now = this.#options.now();
    this.#sweep(now);
    const expiresAt = now + this.#options.ttlMs;
    this.#entries.set(response.id, { response, history, input, events, bytes, expiresAt });
    this.#bytes += bytes;
    this.#nextExpiry = Math.min(this.#nextExpiry, expiresAt);
    for (const item of response.output) this.#itemOwners.set(item.id, response.id);
    for (const [id] of this.#entries) {
      if (this.#entries.size <= this.#options.maxEntries && this.#bytes <= this.#options.maxBytes) break;
      this.delete(id);
    }
    return true;
  }

  get(id: string): StoredResponse | undefined {
    const entry = this.#live(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return { response: entry.response, history: entry.history, input: entry.input, events: entry.events };
  }

  delete(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
    for (const item of entry.response.output) {
      if (this.#itemOwners.get(item.id) === id) this.#itemOwners.delete(item.id);
    }
    return true;
  }

  /** An output item of a stored response, by its id (`msg_…`, `rs_…`, `fc_…`). */
  findItem(itemId: string): InputItem | undefined {
    const owner = this.#itemOwners.get(itemId);
    const entry = owner === undefined ? undefined : this.#live(owner);
    const item = entry?.response.output.find((candidate) => candidate.id === itemId);
    return item === undefined ? undefined : asInputItem(item);
  }

  /** False when the limits let it keep nothing (an entry or byte limit of 0). */
  get canHold(): boolean {
    return this.#options.maxEntries > 0 && this.#options.maxBytes > 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  #live(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry !== undefined && entry.expiresAt <= this.#options.now()) {
      this.delete(id);
      return undefined;
    }
    return entry;
  }

  #sweep(now: number): void {
    if (now < this.#nextExpiry) return;
    this.#nextExpiry = Infinity;
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.delete(id);
      else this.#nextExpiry = Math.min(this.#nextExpiry, entry.expiresAt);
    }
  }
}

/** The history a stored response leaves for the next turn. */
export function historyAfter(previous: readonly InputItem[], turnInput: readonly InputItem[], response: ResponseObject): InputItem[] {
  return [...previous, ...turnInput, ...response.output.map(asInputItem)];
}

/** Output items are valid input items: a client replays them as they came. */
function asInputItem(item: OutputItem): InputItem {
  return item as InputItem;
}
