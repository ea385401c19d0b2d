// GET /v1/models answered locally, in OpenAI's list format, without calling
// Google: the configured model names plus the advertised default list.

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
    if (options.modelIds().includes(id)) return modelObject(id);
    return sendError(reply, new ProxyError('model_not_found', id));
  };
  app.get('/v1/models/*', retrieve);
  app.get('/models/*', retrieve);
}
