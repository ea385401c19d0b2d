// Keeps the host's `gcloud` out of the tests. When no setting names a project,
// google-auth-library runs `gcloud config config-helper` before it asks the
// metadata server: where the Cloud SDK is installed that starts Python (about
// half a second of CPU per lookup, in every harness and child daemon) and reads
// whatever that gcloud is configured with. A PATH with the stand-in in
// test/fixtures/no-gcloud first answers as an unconfigured gcloud does (exit 1),
// so the project comes from the fakes, on every machine alike.

import { delimiter } from 'node:path';

const NO_GCLOUD_DIR = new URL('../fixtures/no-gcloud', import.meta.url).pathname;

/** `path` (default: this process's PATH) with the stand-in gcloud first; idempotent. */
export function pathWithoutHostGcloud(path: string = process.env.PATH ?? ''): string {
  return path.startsWith(`${NO_GCLOUD_DIR}${delimiter}`) ? path : `${NO_GCLOUD_DIR}${delimiter}${path}`;
}
