// What bench/floor-process.ts hands a floor server (bench/floor/*.ts) on its command line.

export interface FloorSpec {
  readonly port: number;
  /** e.g. http://127.0.0.1:PORT */
  readonly upstreamOrigin: string;
  /** The Vertex path that /v1 maps to, e.g. /v1/projects/P/locations/L/endpoints/openapi */
  readonly upstreamBasePath: string;
  readonly token: string;
}
