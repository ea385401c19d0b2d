// Bounds the memory that request bodies in flight hold together. Each body is
// kept whole until its answer ends (for the 401 replay and failover), so a few
// large requests at once could take a small container past its memory limit;
// beyond the budget a request gets 503 with Retry-After instead. Work that
// outlives its request (a background response) keeps the body counted until
// it ends (holdBody): it holds what the body became, and more.

import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProxyError } from '../errors/proxy-error.ts';

const RETRY_AFTER_SECONDS = '1';

export class BodyBudget {
  readonly #limit: number;
  #held = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get held(): number {
    return this.#held;
  }

  /** Takes `bytes` unless that would pass the limit; a lone body is always admitted. */
  take(bytes: number): boolean {
    if (this.#held > 0 && this.#held + bytes > this.#limit) return false;
    this.#held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#held -= bytes;
  }
}

/**
 * A request body's bytes in the budget: given back once the request ended and
 * every holder that outlives it (holdBody) has let go.
 */
class BodyHold {
  bytes = 0;
  readonly #budget: BodyBudget;
  #holders = 1;

  constructor(budget: BodyBudget) {
    this.#budget = budget;
  }

  /** One more holder; the returned function lets go (once). */
  keep(): () => void {
    this.#holders += 1;
    let held = true;
    return () => {
      if (held) this.letGo();
      held = false;
    };
  }

  letGo(): void {
    this.#holders -= 1;
    if (this.#holders === 0) this.#budget.give(this.bytes);
  }
}

// Per request, for holdBody; weak, so a request that is gone takes its entry along.
const holds = new WeakMap<FastifyRequest, BodyHold>();

/**
 * Keeps the request's body counted against the budget after the request
 * ends, until the returned function is called: for work that outlives its
 * request and holds what the body became (a background response's
 * translation, input and upstream body), so such work cannot pass the budget
 * by answering early. A request whose body was not counted gets a no-op.
 */
export function holdBody(request: FastifyRequest): () => void {
  return holds.get(request)?.keep() ?? (() => {});
}

function overBudget(reply: FastifyReply): ProxyError {
  reply.header('retry-after', RETRY_AFTER_SECONDS);
  return new ProxyError('proxy_overloaded');
}

async function bodyBudget(app: FastifyInstance, options: { limitBytes: number; budget?: BodyBudget }): Promise<void> {
  const budget = options.budget ?? new BodyBudget(options.limitBytes);

  // The body stays referenced until the answer ends (or a holder lets go): until then its bytes count.
  const holdUntilAnswered = (request: FastifyRequest): BodyHold => {
    const held = new BodyHold(budget);
    holds.set(request, held);
    request.record.onEnd(() => held.letGo());
    return held;
  };

  app.addHook('preParsing', (request, reply, payload, done) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared)) {
      if (declared === 0) return done(null, payload);
      // Known up front: refuse before reading a byte.
      if (!budget.take(declared)) return done(overBudget(reply));
      holdUntilAnswered(request).bytes = declared;
      return done(null, payload);
    }
    // Chunked: count as the bytes arrive.
    const held = holdUntilAnswered(request);
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        if (!budget.take(chunk.length)) return next(overBudget(reply));
        held.bytes += chunk.length;
        next(null, chunk);
      },
    });
    payload.on('error', (err) => counted.destroy(err));
    done(null, payload.pipe(counted));
  });
}

// Held bodies are released when the request observer sees the request end.
export const bodyBudgetPlugin = fp(bodyBudget, { name: 'body-budget', dependencies: ['request-observer'] });
