// Header names with a fixed meaning to the proxy: the config refuses them as
// extra headers, and the proxy never forwards the hop-by-hop ones.

// Hop-by-hop headers (RFC 9110 §7.6.1) plus `expect`: undici refuses some of
// these outright, and a request carrying them must still go through.
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'expect',
  'transfer-encoding',
];

// Configured extra headers may add to the request, not break its framing or target.
export const RESERVED_EXTRA_HEADERS: ReadonlySet<string> = new Set([...HOP_BY_HOP_HEADERS, 'host', 'content-length']);
