// Request bodies are kept as the exact bytes the client sent: they are
// forwarded unaltered and can be replayed after an upstream 401. We still scan
// them once (json-scan.ts), to reject malformed JSON locally and to know the model.

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { scanJsonBody, type ScannedBody } from './json-scan.ts';

export class JsonBody {
  readonly raw: Buffer;
  readonly model: string | undefined;
  readonly stream: boolean;
  /** Top-level member names: a feature that needs a key the body lacks does nothing. */
  readonly keys: readonly string[];

  constructor(raw: Buffer, scanned: ScannedBody) {
    this.raw = raw;
    this.model = scanned.model;
    this.stream = scanned.stream;
    this.keys = scanned.keys;
  }
}

export function parseJsonBody(raw: Buffer): JsonBody {
  return new JsonBody(raw, scanJsonBody(raw));
}

async function jsonOnly(app: FastifyInstance, options: { bodyLimit: number }): Promise<void> {
  // Only JSON is accepted, so an HTML form or a `text/plain` fetch from a web
  // page (both sent cross-origin without a preflight) gets 415 and spends nothing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, raw, done) => {
    try {
      done(null, parseJsonBody(raw as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export const jsonBodies = fp(jsonOnly, { name: 'json-bodies' });
