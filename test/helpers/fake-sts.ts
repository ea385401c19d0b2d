// A fake workload identity federation set-up on loopback, for ADC files of type
// `external_account` read by the real google-auth-library: the subject-token
// URL (`credential_source.url`), the STS token exchange (`token_url`), IAM's
// generateAccessToken (`service_account_impersonation_url`) and the resource
// manager project lookup (`cloud_resource_manager_url`). Every URL lives in
// the ADC file itself, so a daemon in another process uses it unchanged.

import { writeFileSync, renameSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback.ts';

export const PROJECT_NUMBER = '123456789';

export interface StsFailure {
  readonly status: number;
  /** An OAuth error body, e.g. `{ error: 'invalid_grant', error_description: '…' }`, or a Google error. */
  readonly body: unknown;
}

export interface ExternalAccountOptions {
  /** Names the token endpoint, so tokens show which file they came from: `ya29.sts-<label>-<n>`. */
  readonly label: string;
  /** Impersonate this service account (its email becomes the principal). */
  readonly impersonate?: string;
  readonly quotaProject?: string;
}

export class FakeSts extends LoopbackServer {
  /** Tokens issued, in order, by label. */
  readonly issued: string[] = [];
  /** Token requests per label, including refused ones. */
  readonly exchanges: Record<string, number> = {};
  lifetimeSeconds = 3600;
  projectId = 'sts-project';
  /** While set, STS token exchanges answer with this. */
  failWith: StsFailure | undefined;
  /** While set, IAM generateAccessToken (impersonation) answers with this. */
  impersonationFailure: StsFailure | undefined;
  #sequence = 0;

  constructor() {
    super(createServer());
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The ADC JSON of an `external_account` credential whose every URL points here. */
  externalAccount(options: ExternalAccountOptions): Record<string, unknown> {
    return {
      type: 'external_account',
      audience: `//iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/pool/providers/fake`,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: `${this.baseUrl}/token/${options.label}`,
      credential_source: { url: `${this.baseUrl}/subject-token`, format: { type: 'text' } },
      cloud_resource_manager_url: `${this.baseUrl}/v1/projects/`,
      ...(options.impersonate
        ? { service_account_impersonation_url: `${this.baseUrl}/v1/projects/-/serviceAccounts/${options.impersonate}:generateAccessToken` }
        : {}),
      ...(options.quotaProject ? { quota_project_id: options.quotaProject } : {}),
    };
  }

  /** Writes an ADC file the way gcloud replaces it: a new file renamed over the old. */
  writeAdcFile(path: string, options: ExternalAccountOptions): void {
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.externalAccount(options)));
    renameSync(temporary, path);
  }

  isValid(token: string): boolean {
    return this.issued.includes(token);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _chunk of req) {
      // drain
    }
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    if (req.method === 'GET' && path === '/subject-token') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('fake-oidc-jwt');
    const tokenLabel = /^\/token\/([\w-]+)$/.exec(path)?.[1];
    if (req.method === 'POST' && tokenLabel) return this.#exchange(res, tokenLabel);
    if (req.method === 'POST' && path.endsWith(':generateAccessToken')) return this.#impersonate(res);
    if (req.method === 'GET' && path === `/v1/projects/${PROJECT_NUMBER}`) {
      return json(res, 200, { projectNumber: PROJECT_NUMBER, projectId: this.projectId });
    }
    json(res, 404, { error: { code: 404, message: `no route ${path}`, status: 'NOT_FOUND' } });
  }

  #exchange(res: ServerResponse, label: string): void {
    this.exchanges[label] = (this.exchanges[label] ?? 0) + 1;
    if (this.failWith) return json(res, this.failWith.status, this.failWith.body);
    const token = `ya29.sts-${label}-${++this.#sequence}`;
    this.issued.push(token);
    json(res, 200, {
      access_token: token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: this.lifetimeSeconds,
    });
  }

  #impersonate(res: ServerResponse): void {
    if (this.impersonationFailure) return json(res, this.impersonationFailure.status, this.impersonationFailure.body);
    const token = `ya29.sa-${++this.#sequence}`;
    this.issued.push(token);
    json(res, 200, { accessToken: token, expireTime: new Date(Date.now() + this.lifetimeSeconds * 1000).toISOString() });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startFakeSts(): Promise<FakeSts> {
  return new FakeSts().listen();
}

export const INVALID_GRANT: StsFailure = {
  status: 400,
  body: { error: 'invalid_grant', error_description: 'Reauthentication is needed. Please run `gcloud auth application-default login` to reauthenticate.' },
};

export const PERMISSION_DENIED: StsFailure = {
  status: 403,
  body: { error: { code: 403, message: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", status: 'PERMISSION_DENIED' } },
};
