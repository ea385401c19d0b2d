// GET /v1/models answered locally, in OpenAI's list format, without calling
// Google: the configured model names plus the advertised default list. One
// model by ID: a listed one, or any in Vertex's `publisher/model` form.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProxyError, sendError, unsupportedPath } from '../errors/proxy-error.ts';

export interface ModelsOptions {
  /** Current names; read per request so a config reload shows at once. */
  readonly modelIds: () => readonly string[];
}

interface ModelObject {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
}

/**
 * Vertex's own form of a model ID, `publisher/model` (google/gemini-2.5-flash,
 * meta/llama-4-maverick-17b-128e-instruct-maas): forwarded as it is, so it is
 * answered whether listed or not; Vertex says whether it exists when it is used.
 */
const VERTEX_MODEL_ID = /^[a-z][a-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9._@-]*$/;

function modelObject(id: string): ModelObject {
  return { id, object: 'model', created: 0, owned_by: id.includes('/') ? (id.split('/', 1)[0] as string) : 'vertex-openai-proxy' };
}

export async function modelsRoutes(app: FastifyInstance, options: ModelsOptions): Promise<void> {
  const list = async () => ({ object: 'list', data: options.modelIds().map(modelObject) });
  app.get('/v1/models', list);
  app.get('/models', list);

  const retrieve = async (request: FastifyRequest, reply: FastifyReply) => {
    // IDs contain slashes (google/gemini-2.5-flash), sent plain or encoded: the router has decoded either.
    const id = (request.params as { '*': string })['*'];
    // `/v1/models/` names no model: a path the proxy does not serve, as any other.
    if (id === '') return sendError(reply, unsupportedPath(request));
    if (VERTEX_MODEL_ID.test(id) || options.modelIds().includes(id)) return modelObject(id);
    return sendError(reply, new ProxyError('model_not_found', id));
  };
  app.get('/v1/models/*', retrieve);
  app.get('/models/*', retrieve);
}
