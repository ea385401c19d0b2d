// The GCE metadata server's own defences, for every metadata path we serve.
//
// Any process that can reach the port gets a raw cloud-platform access token
// for the user's credentials, with no API key (SDKs cannot send one). Hence
// loopback only (config refuses anything else), and what the real metadata
// server does: `Metadata-Flavor: Google` required (a plain browser request or
// a naive SSRF cannot add it; every client we serve sends it, the root ping of
// Python's google-auth too), requests with an `Origin` (browser pages) or
// a relay's header (`X-Forwarded-For`, `Forwarded`, `Via`, …: relayed through
// another proxy) refused, and a loopback `Host` only (no DNS rebinding). A
// browser preflight may still be answered by the proxy's CORS handling, but
// the request it announces carries `Origin` and is refused.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allowedHostSet, hostOnly } from '../guard/local-safety.ts';

/** Adds the checks as an onRequest hook of `app`, an encapsulated plugin holding only metadata paths. */
export function refuseForeignMetadataRequests(app: FastifyInstance, listenHost: string): void {
  const loopbackHosts = allowedHostSet(listenHost, []);
  app.addHook('onRequest', (request, reply, done) => {
    // On refusals too: clients tell a metadata server from anything else by it.
    reply.header('metadata-flavor', 'Google');
    const refusal = refusalReason(request, loopbackHosts);
    if (refusal) {
      void reply.code(403).type('text/plain').send(refusal);
      return;
    }
    done();
  });
}

/** Headers a relay adds; no Google SDK sends one. */
const RELAY_HEADERS = ['x-forwarded-for', 'forwarded', 'via', 'x-real-ip', 'x-forwarded-host'];

function refusalReason(request: FastifyRequest, loopbackHosts: Set<string> | 'any'): string | undefined {
  const headers = request.headers;
  if (headers['metadata-flavor'] !== 'Google') return 'Missing Metadata-Flavor:Google header.';
  const relayed = RELAY_HEADERS.find((name) => headers[name] !== undefined);
  if (relayed !== undefined) return `Requests relayed through another proxy (${relayed}) are refused.`;
  if (headers.origin !== undefined) return 'Requests from web pages (with an Origin header) are refused.';
  const host = hostOnly(headers.host ?? '');
  if (loopbackHosts !== 'any' && !loopbackHosts.has(host)) return `Host "${host}" is not a loopback name.`;
  return undefined;
}
