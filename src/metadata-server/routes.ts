// Opt-in (--metadata-server): the GCE metadata server's token paths, served
// from the proxy's one token cache, so Google SDKs on this machine can set
// GCE_METADATA_HOST to the proxy and share its token instead of each running
// its own ADC refresh.
//
// Trade-off, plainly: any process that can reach the port gets a raw
// cloud-platform access token for the user's credentials, with no API key
// (SDKs cannot send one). Hence loopback only (config refuses anything else),
// and the metadata server's own defences: `Metadata-Flavor: Google` required
// (a plain browser request or a naive SSRF cannot add it), requests with an
// `Origin` (browser pages) or `X-Forwarded-For` (relayed through another
// proxy) refused, a loopback `Host` only (no DNS rebinding), and no CORS.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Credentials } from '../credentials/adc-credentials.ts';
import { credentialError } from '../credentials/errors.ts';
import { allowedHostSet, hostOnly } from '../guard/local-safety.ts';
import type { Clock } from '../credentials/token-cache.ts';

export const METADATA_PREFIX = '/computeMetadata/v1';
export const METADATA_PATHS = {
  instance: `${METADATA_PREFIX}/instance`,
  token: `${METADATA_PREFIX}/instance/service-accounts/default/token`,
  email: `${METADATA_PREFIX}/instance/service-accounts/default/email`,
  projectId: `${METADATA_PREFIX}/project/project-id`,
  universe: `${METADATA_PREFIX}/universe/universe-domain`,
} as const;

// SDKs cannot send our API key, and this plugin checks Host more strictly than the guard.
const POLICY = { config: { anyHost: true, noKey: true } };

export interface MetadataServerOptions {
  readonly credentials: Credentials;
  /** From config; else what ADC reports. */
  readonly project: string | undefined;
  readonly principalEmail: () => Promise<string | undefined>;
  readonly listenHost: string;
  readonly now: Clock;
}

export async function metadataServerRoutes(app: FastifyInstance, options: MetadataServerOptions): Promise<void> {
  const { credentials, now } = options;
  const loopbackHosts = allowedHostSet(options.listenHost, []);

  // Encapsulated: these hooks run for the metadata paths only.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('metadata-flavor', 'Google');
    const refusal = refusalReason(request, loopbackHosts);
    if (refusal) {
      void reply.code(403).type('text/plain').send(refusal);
      return;
    }
    done();
  });

  const text = (reply: FastifyReply, body: string) => reply.type('application/text').send(body);

  app.get(METADATA_PATHS.instance, POLICY, (_request, reply) => text(reply, 'service-accounts/\n'));
  app.get(METADATA_PATHS.token, POLICY, async (_request, reply) => {
    try {
      const token = await credentials.getToken();
      const expiresIn = Math.max(0, Math.floor((token.expiresAt - now()) / 1000));
      return reply.type('application/json').send({ access_token: token.value, expires_in: expiresIn, token_type: 'Bearer' });
    } catch (err) {
      return unavailable(reply, credentialError(err).message);
    }
  });
  app.get(METADATA_PATHS.projectId, POLICY, async (_request, reply) => {
    try {
      return text(reply, options.project ?? (await credentials.projectId()));
    } catch (err) {
      return unavailable(reply, credentialError(err).message);
    }
  });
  app.get(METADATA_PATHS.email, POLICY, async (_request, reply) => {
    const email = await options.principalEmail();
    return email ? text(reply, email) : reply.code(404).type('text/plain').send('The principal email is not known for these credentials.');
  });
  app.get(METADATA_PATHS.universe, POLICY, (_request, reply) => text(reply, 'googleapis.com'));
}

function refusalReason(request: FastifyRequest, loopbackHosts: Set<string> | 'any'): string | undefined {
  const headers = request.headers;
  if (headers['metadata-flavor'] !== 'Google') return 'Missing Metadata-Flavor:Google header.';
  if (headers['x-forwarded-for'] !== undefined) return 'Requests relayed with X-Forwarded-For are refused.';
  if (headers.origin !== undefined) return 'Requests from web pages (with an Origin header) are refused.';
  const host = hostOnly(headers.host ?? '');
  if (loopbackHosts !== 'any' && !loopbackHosts.has(host)) return `Host "${host}" is not a loopback name.`;
  return undefined;
}

function unavailable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(503).type('text/plain').send(message);
}
