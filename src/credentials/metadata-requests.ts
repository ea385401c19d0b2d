// The metadata server's requests, cut when their credential call is given up.
// google-auth-library asks the metadata server through gcp-metadata, which
// sends with gaxios' shared default instance and takes no signal. On Google
// Cloud it sets no timeout either: a hung token request kept its socket open
// after the source's deadline, and each retry added another. A request
// interceptor on that very instance hands the call's signal to the requests
// made within it (the metadata server's, and any other sent through the shared
// instance) that have no timeout of their own. Elsewhere gcp-metadata's own
// 3 s timeout stands: its one detection request per process ("is there a
// metadata server?") must not be cut, for its answer is kept for the life of
// the process and a cut one would say "no" for good.

import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';

/** What is used of gaxios' instance (the package is google-auth-library's, not ours). */
interface RequestOptions {
  signal?: AbortSignal;
  timeout?: number;
}
interface Gaxios {
  readonly interceptors: { readonly request: Set<{ resolved: (options: RequestOptions) => Promise<RequestOptions> }> };
}

/** The abandoned signal of the credential call under way, for the requests it makes. */
const callSignal = new AsyncLocalStorage<AbortSignal>();

let installed = false;

/**
 * gaxios as gcp-metadata loads it: its CommonJS build (an ESM import would be
 * another module instance), resolved from gcp-metadata's own location as
 * google-auth-library resolves that (a nested copy would be another too).
 */
function metadataGaxios(): Gaxios {
  const fromHere = createRequire(import.meta.url);
  const fromAuth = createRequire(fromHere.resolve('google-auth-library'));
  const fromMetadata = createRequire(fromAuth.resolve('gcp-metadata'));
  return (fromMetadata('gaxios') as { instance: Gaxios }).instance;
}

/** Runs `work` so that the library's requests it makes without a timeout are aborted by `signal`. */
export function withMetadataSignal<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  if (!installed) {
    installed = true;
    metadataGaxios().interceptors.request.add({
      resolved: async (config) => {
        const signal = callSignal.getStore();
        // Outside our calls, and with a timeout of their own, requests go as the library made them.
        if (signal && !config.timeout) config.signal = config.signal ? AbortSignal.any([config.signal, signal]) : signal;
        return config;
      },
    });
  }
  return callSignal.run(signal, work);
}
