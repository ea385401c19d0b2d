// Bounds the memory that request bodies in flight hold together. Each body is
// kept whole until its answer ends (for the 401 replay and failover), so a few
// large requests at once could take a small container past its memory limit;
// beyond the budget a request gets 503 with Retry-After instead. Work that
// outlives its request (a background response) keeps the body counted until
// it ends (RequestRecord.keepAfterEnd): it holds what the body became, and more.

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

function overBudget(reply: FastifyReply): ProxyError {
  reply.header('retry-after', RETRY_AFTER_SECONDS);
  return new ProxyError('proxy_overloaded');
}

async function bodyBudget(app: FastifyInstance, options: { limitBytes: number; budget?: BodyBudget }): Promise<void> {
  const budget = options.budget ?? new BodyBudget(options.limitBytes);

  // The body stays referenced until the answer ends (and work that outlives
  // the request lets go, RequestRecord.keepAfterEnd): until then its bytes count.
  const holdUntilAnswered = (request: FastifyRequest, held: { bytes: number }): void => {
    request.record.onEnd(() => budget.give(held.bytes));
  };

  app.addHook('preParsing', (request, reply, payload, done) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared)) {
      if (declared === 0) return done(null, payload);
      // Known up front: refuse before reading a byte.
      if (!budget.take(declared)) return done(overBudget(reply));
      holdUntilAnswered(request, { bytes: declared });
      return done(null, payload);
    }
    // Chunked: count as the bytes arrive.
    const held = { bytes: 0 };
    holdUntilAnswered(request, held);
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
