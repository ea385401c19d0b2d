// Whether the token source works, as last observed, with one log line each
// time that changes. Without it a revoked login (invalid_grant) would log on
// every request and every probe until someone fixes it.

import type { Logger } from 'pino';
import { credentialError } from './errors.ts';

type StatusLogger = Pick<Logger, 'info' | 'error'>;

export class CredentialStatus {
  readonly #logger: StatusLogger;
  /** `ok`, an error code, or `unknown` before the first outcome. */
  #state = 'unknown';

  constructor(logger: StatusLogger) {
    this.#logger = logger;
  }

  get state(): string {
    return this.#state;
  }

  succeeded(): void {
    if (this.#state === 'ok') return;
    const recovered = this.#state !== 'unknown';
    this.#state = 'ok';
    this.#logger.info(recovered ? 'credentials recovered: tokens are being issued again' : 'credentials OK: first token issued');
  }

  failed(err: unknown): void {
    const error = credentialError(err);
    if (this.#state === error.code) return;
    this.#state = error.code;
    // The message names the reason and the command that fixes it; never the library error object.
    this.#logger.error({ code: error.code, reason: error.message }, 'credentials failing');
  }
}
