// Request bodies are kept as the exact bytes the client sent: they are
// forwarded unaltered and can be replayed after an upstream 401. We still scan
// them once (json-scan.ts), to reject malformed JSON locally and to know the model.

import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProxyError } from '../errors/proxy-error.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route that takes no body (a DELETE, a cancel): an empty body under a
     * JSON content type is no body. openai-python sends `Content-Type:
     * application/json` on every request, and `Content-Length: 0` on a
     * body-less POST.
     */
    noBody?: boolean;
  }
}
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
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (request, raw, done) => {
    try {
      assertPlainUtf8(request.headers);
      if ((raw as Buffer).length === 0 && request.routeOptions.config.noBody) return done(null, undefined);
      done(null, parseJsonBody(raw as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/**
 * The body is read as the bytes Vertex gets: compressed bytes, or text in
 * another charset, would be misread here (or go upstream unread under a JSON
 * content type), so they are refused rather than guessed at.
 */
function assertPlainUtf8(headers: IncomingHttpHeaders): void {
  const encoding = headers['content-encoding']?.trim();
  if (encoding && encoding.toLowerCase() !== 'identity') throw new ProxyError('unsupported_content_encoding', encoding);
  const contentType = headers['content-type'];
  if (contentType === undefined || !contentType.includes(';')) return;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType)?.[1];
  // ASCII is UTF-8 too; an empty label names nothing else.
  if (charset !== undefined && !/^(utf-?8|(us-)?ascii|)$/i.test(charset)) throw new ProxyError('unsupported_charset', charset);
}

export const jsonBodies = fp(jsonOnly, { name: 'json-bodies' });
