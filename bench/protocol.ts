// What the benchmark's processes share: the fake upstream's fixed names, the
// chat request of the throughput scenarios, and the IPC messages run.ts
// exchanges with the fake upstream.

export const BENCH_PROJECT = 'bench-project';
export const BENCH_MODEL = 'google/gemini-2.5-flash';

/** The non-streaming chat request of the chat-throughput scenarios. */
export const CHAT_BODY = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16 });
/** Where the OpenAI-compatible chat endpoint lives for the default route. */
export const VERTEX_CHAT_PATH = `/v1/projects/${BENCH_PROJECT}/locations/global/endpoints/openapi/chat/completions`;

/** Requests run.ts sends over IPC; each answer echoes `id`. */
export type Command = { id: number; type: 'stats' } | { id: number; type: 'lifetime'; seconds: number };

export interface UpstreamStats {
  tokenFetches: number;
  /** Epoch ms of each token fetch, to show no two fetches share a lifetime. */
  fetchTimes: number[];
  chatRequests: number;
  expiredTokens: number;
  unknownTokens: number;
  /** Bodies above 1 MiB, answered without being parsed. */
  largeBodies: number;
}

export interface UpstreamReady {
  type: 'ready';
  vertexUrl: string;
  metadataHost: string;
}

