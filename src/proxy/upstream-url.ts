// Pure construction of Vertex AI URLs. Nothing a client sends reaches these
// functions except through the validated config and the fixed operation list.

import type { EndpointTarget } from '../config/routing.ts';

export type { EndpointTarget };

/** `responses` is reached only by routes set to `responsesApi: native` (responses/native-call.ts). */
export type Operation = 'chat/completions' | 'completions' | 'embeddings' | 'responses';

/** Client paths we forward, each mapped to a fixed operation. */
export const OPERATIONS: ReadonlyMap<string, Operation> = new Map([
  ['/v1/chat/completions', 'chat/completions'],
  ['/v1/completions', 'completions'],
  ['/v1/embeddings', 'embeddings'],
  ['/chat/completions', 'chat/completions'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
]);

const MULTI_REGIONS = new Set(['us', 'eu']);

export function defaultBaseUrl(location: string): string {
  if (location === 'global') return 'https://aiplatform.googleapis.com';
  if (MULTI_REGIONS.has(location)) return `https://aiplatform.${location}.rep.googleapis.com`;
  return `https://${location}-aiplatform.googleapis.com`;
}

export function upstreamOrigin(target: EndpointTarget): string {
  return target.baseUrl ?? defaultBaseUrl(target.location);
}

export function endpointPath(target: EndpointTarget): string {
  const project = pathSegment(target.project, 'project');
  return `/${target.apiVersion}/projects/${project}/locations/${target.location}/endpoints/${target.endpoint}`;
}

export function operationPath(target: EndpointTarget, operation: Operation): string {
  return `${endpointPath(target)}/${operation}`;
}

export function upstreamUrl(target: EndpointTarget, operation: Operation): string {
  return upstreamOrigin(target) + operationPath(target, operation);
}

// The project may come from ADC at run time rather than validated config:
// encoding keeps it in one segment, and a dot segment would let URL
// normalisation climb out of `/projects/`.
function pathSegment(value: string, name: string): string {
  if (value === '' || value === '.' || value === '..') throw new Error(`Refusing ${name} ${JSON.stringify(value)} as a URL path segment`);
  return encodeURIComponent(value);
}
