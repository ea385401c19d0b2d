// Request bodies are kept as the exact bytes the client sent: they are
// forwarded unaltered and can be replayed after an upstream 401. We still parse
// them once, to reject malformed JSON locally and to know the model.

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProxyError } from '../errors/proxy-error.ts';

export class JsonBody {
  readonly raw: Buffer;
  readonly model: string | undefined;
  readonly stream: boolean;

  constructor(raw: Buffer, json: Record<string, unknown>) {
    this.raw = raw;
    this.model = typeof json.model === 'string' ? json.model : undefined;
    this.stream = json.stream === true;
  }
}

export function parseJsonBody(raw: Buffer): JsonBody {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ProxyError('invalid_json', (err as Error).message);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ProxyError('invalid_request_body');
  }
  return new JsonBody(raw, json as Record<string, unknown>);
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
