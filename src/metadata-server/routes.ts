// Opt-in (--metadata-server): the GCE metadata paths that Google SDKs read for
// credentials, served from the proxy's one token cache, so SDKs on this
// machine can point GCE_METADATA_HOST (and, for Python, GCE_METADATA_IP) at
// the proxy and share its token instead of each running its own ADC refresh.
// The defences every path gets are in defences.ts.
//
// Served: the root Python's google-auth pings, the project id, the universe
// domain, and the one account (as `default` and under its email) with its
// token, email, aliases and scopes, listed and `?recursive=true`.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Credentials } from '../credentials/adc-credentials.ts';
import { CREDENTIAL_RETRY_AFTER_SECONDS, credentialError } from '../credentials/errors.ts';
import type { Clock } from '../credentials/token-cache.ts';
import { refuseForeignMetadataRequests } from './defences.ts';
import { ACCOUNT_LISTING, ACCOUNT_SCOPES, DEFAULT_ACCOUNT, accountInfo, accountsListing, isOurAccount } from './service-accounts.ts';

export const METADATA_PREFIX = '/computeMetadata/v1';
const ACCOUNTS = `${METADATA_PREFIX}/instance/service-accounts`;
export const METADATA_PATHS = {
  root: '/',
  instance: `${METADATA_PREFIX}/instance`,
  serviceAccounts: `${ACCOUNTS}/`,
  defaultAccount: `${ACCOUNTS}/default/`,
  token: `${ACCOUNTS}/default/token`,
  email: `${ACCOUNTS}/default/email`,
  projectId: `${METADATA_PREFIX}/project/project-id`,
  universe: `${METADATA_PREFIX}/universe/universe-domain`,
} as const;

// SDKs cannot send our API key, and defences.ts checks Host more strictly than the guard.
const POLICY = { config: { anyHost: true, noKey: true } };

export interface MetadataServerOptions {
  readonly credentials: Credentials;
  /** From config; else what ADC reports. */
  readonly project: string | undefined;
  readonly principalEmail: () => Promise<string | undefined>;
  readonly listenHost: string;
  readonly now: Clock;
}

type AccountRequest = FastifyRequest<{ Params: { account: string }; Querystring: { recursive?: string } }>;

export async function metadataServerRoutes(app: FastifyInstance, options: MetadataServerOptions): Promise<void> {
  const { credentials, now, principalEmail } = options;
  // Encapsulated: the hook runs for the metadata paths only.
  refuseForeignMetadataRequests(app, options.listenHost);

  const text = (reply: FastifyReply, body: string) => reply.type('application/text').send(body);
  const json = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(body);

  // Python's google-auth pings GCE_METADATA_IP's root and wants a 200 with the flavor header.
  app.get(METADATA_PATHS.root, POLICY, (_request, reply) => text(reply, 'computeMetadata/\n'));
  app.get(METADATA_PATHS.instance, POLICY, (_request, reply) => text(reply, 'service-accounts/\n'));
  app.get(METADATA_PATHS.serviceAccounts, POLICY, async (_request, reply) => text(reply, accountsListing(await principalEmail())));

  // Below {account}: `default` or the principal's email; any other name is 404.
  const ACCOUNT_ROUTE = {
    ...POLICY,
    preHandler: async (request: AccountRequest, reply: FastifyReply) => {
      const { account } = request.params;
      // `default` needs no email lookup (it may wait on the credential source).
      if (account === DEFAULT_ACCOUNT || isOurAccount(account, await principalEmail())) return;
      return reply.code(404).type('text/plain').send(`No service account "${account}" on this metadata server.`);
    },
  };
  app.get(`${ACCOUNTS}/:account/`, ACCOUNT_ROUTE, async (request: AccountRequest, reply) =>
    isTrue(request.query.recursive) ? json(reply, accountInfo(await principalEmail())) : text(reply, ACCOUNT_LISTING),
  );
  app.get(`${ACCOUNTS}/:account/aliases`, ACCOUNT_ROUTE, (_request, reply) => text(reply, `${DEFAULT_ACCOUNT}\n`));
  app.get(`${ACCOUNTS}/:account/scopes`, ACCOUNT_ROUTE, (_request, reply) => text(reply, ACCOUNT_SCOPES.map((scope) => `${scope}\n`).join('')));
  app.get(`${ACCOUNTS}/:account/email`, ACCOUNT_ROUTE, async (_request, reply) => {
    const email = await principalEmail();
    return email ? text(reply, email) : reply.code(404).type('text/plain').send('The principal email is not known for these credentials.');
  });
  // `?scopes=` is accepted and ignored, as Compute Engine's own metadata server
  // does: there is one cached token (requested for cloud-platform), and a
  // Python client's first refresh sends its library's default scopes (Cloud
  // Storage asks for devstorage.* with cloud-platform), so refusing any list
  // but cloud-platform would turn away the clients this serves. A client that
  // wants a scope outside cloud-platform (Drive, Gmail) gets a token that API
  // refuses with 403, as it would on a VM with cloud-platform access.
  app.get(`${ACCOUNTS}/:account/token`, ACCOUNT_ROUTE, async (_request, reply) => {
    try {
      const token = await credentials.getToken();
      const expiresIn = Math.max(0, Math.floor((token.expiresAt - now()) / 1000));
      return json(reply, { access_token: token.value, expires_in: expiresIn, token_type: 'Bearer' });
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
  app.get(METADATA_PATHS.universe, POLICY, (_request, reply) => text(reply, 'googleapis.com'));
}

/** No token or project to give: said as the metadata server would, in text, with when to ask again as the proxy's own 503s say it. */
function unavailable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(503).header('retry-after', String(CREDENTIAL_RETRY_AFTER_SECONDS)).type('text/plain').send(message);
}

/** `?recursive=true` as the metadata server reads it; a repeated key (an array) is not. */
function isTrue(value: unknown): boolean {
  return typeof value === 'string' && value.toLowerCase() === 'true';
}
