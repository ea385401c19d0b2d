// A fake GCE metadata server, read by the real google-auth-library through
// GCE_METADATA_HOST. It speaks the protocol exactly: `Metadata-Flavor: Google`
// is required on the request and sent on every response.

import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { LoopbackServer } from './loopback.ts';
import { pathWithoutHostGcloud } from './no-gcloud.ts';
import { scratchDir } from './scratch-dir.ts';

export const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';
export const PROJECT_PATH = '/computeMetadata/v1/project/project-id';
export const EMAIL_PATH = '/computeMetadata/v1/instance/service-accounts/default/email';
/** What gcp-metadata asks to learn whether a metadata server is there. */
const INSTANCE_PATH = '/computeMetadata/v1/instance';
export const OAUTH_TOKEN_PATH = '/oauth2/token';
/** The account an impersonated credential (writeImpersonatedFile) asks IAM for a token of. */
export const IMPERSONATED_EMAIL = 'target@fake-project.iam.gserviceaccount.com';
const IAM_TOKEN_PATH = `/v1/projects/-/serviceAccounts/${IMPERSONATED_EMAIL}:generateAccessToken`;

type TokenAnswer = (token: string, seconds: number) => object;
const oauthAnswer: TokenAnswer = (token, seconds) => ({ access_token: token, expires_in: seconds, token_type: 'Bearer' });
const iamAnswer: TokenAnswer = (token, seconds) => ({ accessToken: token, expireTime: new Date(Date.now() + seconds * 1000).toISOString() });

export interface FakeMetadataOptions {
  /** Seconds each issued token lives (`expires_in`). */
  lifetimeSeconds?: number;
  /** null: the project path answers 404, as for credentials that name no project. */
  projectId?: string | null;
  email?: string;
  /** Delay before each token answer, to widen races. */
  tokenDelayMs?: number;
}

export class FakeMetadata extends LoopbackServer {
  /** Every HTTP request received, of any kind. */
  requests = 0;
  /** Token fetches answered with a token. */
  tokenFetches = 0;
  /** All token requests, including failed ones. */
  tokenRequests = 0;
  lifetimeSeconds: number;
  projectId: string | null;
  email: string;
  tokenDelayMs: number;
  /** While set, token requests get this HTTP status instead of a token. */
  failWith: number | undefined;
  /** While set, token requests are never answered (a wedged metadata server or STS). */
  hangTokens = false;
  /** Requests left unanswered (hangTokens, hangEmail) whose connection the client has since closed. */
  hungClosed = 0;
  /** While set, requests for the account's email are never answered. */
  hangEmail = false;
  /** Delay before answering gcp-metadata's detection request (`…/instance`, when it pings). */
  detectionDelayMs = 0;
  readonly issued: string[] = [];
  /** When each issued token stops being valid (epoch ms, from the moment it was answered). */
  readonly expiresAt = new Map<string, number>();
  #sequence = 0;

  constructor(options: FakeMetadataOptions = {}) {
    super(createServer());
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
    this.lifetimeSeconds = options.lifetimeSeconds ?? 3599;
    this.projectId = options.projectId === undefined ? 'fake-project' : options.projectId;
    this.email = options.email ?? 'proxy@fake-project.iam.gserviceaccount.com';
    this.tokenDelayMs = options.tokenDelayMs ?? 0;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Issued here and not yet expired, as Google checks it. Tokens look like
   * real ones only in prefix: `ya29.fake-<n>-…`.
   */
  isValid(token: string, at: number = Date.now()): boolean {
    const expiry = this.expiresAt.get(token);
    return expiry !== undefined && at < expiry;
  }

  get latestToken(): string | undefined {
    return this.issued.at(-1);
  }

  /**
   * An OAuth refresh endpoint issuing tokens from the same pool, for credential
   * files whose `token_url` can point here (external_account_authorized_user).
   */
  get oauthTokenUrl(): string {
    return `http://${this.host}${OAUTH_TOKEN_PATH}`;
  }

  /**
   * Writes an ADC file (in a scratch folder) whose credential refreshes at
   * oauthTokenUrl: a type whose token requests go through google-auth-library's
   * own transporter, unlike the metadata server's. `extra` adds or overrides keys.
   */
  writeAuthorizedUserFile(extra: Record<string, unknown> = {}): string {
    return writeAdcFile({ ...this.#authorizedUser(), ...extra });
  }

  /**
   * Writes an ADC file of an impersonated service account: its source is the
   * credential of writeAuthorizedUserFile, and IAM's generateAccessToken is
   * answered here too (its `endpoint`), with tokens from the same pool.
   */
  writeImpersonatedFile(): string {
    return writeAdcFile({
      type: 'impersonated_service_account',
      service_account_impersonation_url: `https://iamcredentials.googleapis.com${IAM_TOKEN_PATH}`,
      endpoint: `http://${this.host}`,
      source_credentials: this.#authorizedUser(),
    });
  }

  /**
   * Writes an ADC file of workload identity federation (an identity pool whose
   * subject token is a file): its STS token exchange is answered here.
   */
  writeIdentityPoolFile(): string {
    const subject = join(scratchDir('vop-subject-'), 'token.jwt');
    writeFileSync(subject, 'subject-token');
    return writeAdcFile({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/provider',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: this.oauthTokenUrl,
      credential_source: { file: subject },
    });
  }

  #authorizedUser(): Record<string, unknown> {
    return {
      type: 'external_account_authorized_user',
      audience: '//iam.googleapis.com/locations/global/workforcePools/pool/providers/provider',
      client_id: 'client-id',
      client_secret: 'client-secret',
      refresh_token: 'refresh-token',
      token_url: this.oauthTokenUrl,
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    if (req.method === 'POST' && (req.url === OAUTH_TOKEN_PATH || req.url === IAM_TOKEN_PATH)) {
      for await (const _ of req);
      return this.#token(res, req.url === IAM_TOKEN_PATH ? iamAnswer : oauthAnswer);
    }
    res.setHeader('Metadata-Flavor', 'Google');
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403).end('Missing Metadata-Flavor:Google header.');
      return;
    }
    const path = (req.url ?? '').split('?', 1)[0];
    if (path === TOKEN_PATH) return this.#token(res, oauthAnswer);
    if (path === PROJECT_PATH && this.projectId !== null) return void res.writeHead(200, { 'content-type': 'application/text' }).end(this.projectId);
    if (path === EMAIL_PATH && this.hangEmail) return void res.on('close', () => this.hungClosed++);
    if (path === EMAIL_PATH) return void res.writeHead(200, { 'content-type': 'application/text' }).end(this.email);
    if (path === INSTANCE_PATH) {
      if (this.detectionDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.detectionDelayMs));
      return void res.writeHead(200, { 'content-type': 'application/text' }).end('service-accounts/\n');
    }
    res.writeHead(404).end('not found');
  }

  async #token(res: ServerResponse, answer: TokenAnswer): Promise<void> {
    this.tokenRequests++;
    if (this.hangTokens) return void res.on('close', () => this.hungClosed++);
    if (this.tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.tokenDelayMs));
    if (this.failWith !== undefined) {
      res.writeHead(this.failWith, { 'content-type': 'text/plain' }).end('metadata token unavailable');
      return;
    }
    this.tokenFetches++;
    const token = `ya29.fake-${++this.#sequence}-${Math.random().toString(36).slice(2)}`;
    this.issued.push(token);
    this.expiresAt.set(token, Date.now() + this.lifetimeSeconds * 1000);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(token, this.lifetimeSeconds)));
  }
}

function writeAdcFile(credential: object): string {
  const file = join(scratchDir('vop-adc-'), 'adc.json');
  writeFileSync(file, JSON.stringify(credential));
  return file;
}

/**
 * Points google-auth-library at `metadata` and nowhere else: no key file, no
 * gcloud config or command, no real metadata server. Call before creating credentials.
 */
export function useFakeMetadataEnv(metadata: FakeMetadata): void {
  const empty = scratchDir('vop-home-');
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  delete process.env.GOOGLE_CLOUD_PROJECT;
  delete process.env.GCLOUD_PROJECT;
  delete process.env.GOOGLE_CLOUD_QUOTA_PROJECT;
  delete process.env.GCE_METADATA_IP;
  process.env.GCE_METADATA_HOST = metadata.host;
  process.env.METADATA_SERVER_DETECTION = 'assume-present';
  process.env.CLOUDSDK_CONFIG = join(empty, 'gcloud');
  process.env.HOME = empty;
  process.env.PATH = pathWithoutHostGcloud();
}

export async function startFakeMetadata(options: FakeMetadataOptions = {}): Promise<FakeMetadata> {
  const metadata = await new FakeMetadata(options).listen();
  useFakeMetadataEnv(metadata);
  return metadata;
}
