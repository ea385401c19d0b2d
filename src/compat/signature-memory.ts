// Gemini 3 hands out a thought signature with each tool call and wants it back
// on the next turn; many OpenAI clients drop it when they rebuild the assistant
// message. This map remembers what the proxy relayed, keyed by tool-call id, so
// a follow-up can be repaired. Bounded by count, by total size and by age
// since last use: entries are kept in order of use, which is also expiry
// order, so both limits only ever evict from the front.

export interface SignatureMemoryOptions {
  /** Most tool calls remembered at once; the least recently used go first. */
  readonly maxEntries: number;
  /** How long a signature is kept after it was relayed or last restored. */
  readonly ttlMs: number;
  /** Milliseconds; the app's clock (Date.now unless a test injects one). */
  readonly now?: () => number;
  /** Upper bound on the summed length of remembered signatures (and ids). */
  readonly maxChars?: number;
}

/** What a request repair needs: a lookup only. */
export interface SignatureLookup {
  recall(id: string): string | undefined;
}

/** What the answer tap needs: a sink only. */
export interface SignatureSink {
  remember(id: string, signature: string): void;
}

interface Entry {
  readonly signature: string;
  readonly expiresAt: number;
}

/** Signatures are a few hundred bytes to a few KB; anything far larger is not worth holding. */
const MAX_SIGNATURE_CHARS = 256 * 1024;
const DEFAULT_MAX_CHARS = 64 * 1024 * 1024;

export class SignatureMemory implements SignatureLookup, SignatureSink {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #maxChars: number;
  readonly #now: () => number;
  #chars = 0;

  constructor(options: SignatureMemoryOptions) {
    this.#maxEntries = Math.max(0, Math.floor(options.maxEntries));
    this.#ttlMs = Math.max(0, options.ttlMs);
    this.#maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  remember(id: string, signature: string): void {
    if (this.#maxEntries === 0 || id === '' || signature === '' || signature.length > MAX_SIGNATURE_CHARS) return;
    const now = this.#now();
    this.#delete(id); // re-inserted at the back, keeping insertion order == expiry order
    this.#entries.set(id, { signature, expiresAt: now + this.#ttlMs });
    this.#chars += id.length + signature.length;
    this.#evict(now);
  }

  recall(id: string): string | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (entry.expiresAt <= now) {
      this.#delete(id);
      return undefined;
    }
    // Google checks every step of the current turn on every request: a long
    // agent turn still reads its first step's signature, so what is read is kept
    // longest (moved to the back, the order staying expiry order).
    this.#entries.delete(id);
    this.#entries.set(id, { signature: entry.signature, expiresAt: now + this.#ttlMs });
    return entry.signature;
  }

  #evict(now: number): void {
    for (const [id, entry] of this.#entries) {
      const over = this.#entries.size > this.#maxEntries || this.#chars > this.#maxChars;
      if (!over && entry.expiresAt > now) return;
      this.#delete(id);
    }
  }

  #delete(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    this.#chars -= id.length + entry.signature.length;
  }
}
