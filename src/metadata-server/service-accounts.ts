// What the metadata paths under instance/service-accounts/ say about the
// proxy's one principal, as pure functions of its email (undefined when the
// credentials do not report one, e.g. a user's own ADC login).
//
// Compute Engine lists the instance's account twice: as `default` and under
// its email. Python's google-auth reads `default/?recursive=true` and then
// asks for the token under the `email` it found there, so both names must
// answer; any other account is not ours (404, as on GCE).

import { CLOUD_PLATFORM_SCOPE } from '../credentials/adc-source.ts';

export const DEFAULT_ACCOUNT = 'default';

/** What the proxy's token is requested with, and so what it is good for. */
export const ACCOUNT_SCOPES: readonly string[] = [CLOUD_PLATFORM_SCOPE];

/** `default`, or the principal's email when known. */
export function isOurAccount(name: string, email: string | undefined): boolean {
  return name === DEFAULT_ACCOUNT || (email !== undefined && name === email);
}

/** `instance/service-accounts/`: one directory per name of the account. */
export function accountsListing(email: string | undefined): string {
  return [DEFAULT_ACCOUNT, ...(email ? [email] : [])].map((name) => `${name}/\n`).join('');
}

/** `instance/service-accounts/{account}/`: the entries served below it (no `identity`: ID tokens are not served). */
export const ACCOUNT_LISTING = 'aliases\nemail\nscopes\ntoken\n';

export interface AccountInfo {
  readonly aliases: readonly string[];
  readonly email: string;
  readonly scopes: readonly string[];
}

/**
 * `instance/service-accounts/{account}/?recursive=true`, GCE's shape. With no
 * known email the account calls itself `default`, so the token is asked for
 * under a name that answers.
 */
export function accountInfo(email: string | undefined): AccountInfo {
  return { aliases: [DEFAULT_ACCOUNT], email: email ?? DEFAULT_ACCOUNT, scopes: ACCOUNT_SCOPES };
}
