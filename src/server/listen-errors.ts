// Why the daemon could not listen, in one line that names the setting to
// change, with an exit code of its own: no stack trace for a port that is taken.

import { EXIT_CONFIG, EXIT_TEMPFAIL } from './exit-codes.ts';

/** The port may be free later. */
export const EXIT_PORT_IN_USE = EXIT_TEMPFAIL;
/** HOST or PORT cannot work on this machine as set. */
export const EXIT_BAD_LISTEN_SETTING = EXIT_CONFIG;

export interface ListenFailure {
  readonly message: string;
  readonly exitCode: number;
}

interface ListenError {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
}

/** The one line for a failed `listen` (or the lookup of the name to listen on), or undefined for any other error. */
export function listenFailure(err: unknown): ListenFailure | undefined {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ListenError;
  if (e.syscall === 'getaddrinfo' && typeof e.hostname === 'string') {
    // EAI_AGAIN: the resolver did not answer, and may later.
    const exitCode = e.code === 'EAI_AGAIN' ? EXIT_TEMPFAIL : EXIT_BAD_LISTEN_SETTING;
    return { message: `the host name ${e.hostname} does not resolve on this machine; set HOST or --host (default 127.0.0.1)`, exitCode };
  }
  if (e.syscall !== 'listen') return undefined;
  const address = typeof e.address === 'string' ? e.address : undefined;
  const port = typeof e.port === 'number' ? e.port : undefined;
  if (e.code === 'EADDRINUSE' && port !== undefined) {
    return { message: `port ${port} on ${address ?? 'this machine'} is in use; set PORT or --port`, exitCode: EXIT_PORT_IN_USE };
  }
  if (e.code === 'EACCES' && port !== undefined) {
    return { message: `port ${port} on ${address ?? 'this machine'} needs privileges this user lacks; set PORT or --port to 1024 or above`, exitCode: EXIT_BAD_LISTEN_SETTING };
  }
  if (e.code === 'EADDRNOTAVAIL' && address !== undefined) {
    return { message: `address ${address} is not on this machine; set HOST or --host (default 127.0.0.1)`, exitCode: EXIT_BAD_LISTEN_SETTING };
  }
  return undefined;
}
