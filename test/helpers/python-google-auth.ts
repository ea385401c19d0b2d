// Python's google-auth, the copy the Cloud SDK ships (its lib/third_party also
// holds requests, urllib3, cachetools, rsa and pyasn1), run as a Python SDK on
// the machine would use it: Application Default Credentials with nothing but
// GCE_METADATA_HOST and GCE_METADATA_IP pointing at the proxy. Machines
// without gcloud or python3 (CI) get the reason instead, for a tap skip.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { isolatedHome } from './cli.ts';

export interface PythonGoogleAuth {
  /** The interpreter itself (a version manager's shim needs the environment it is stripped of). */
  readonly python: string;
  /** For PYTHONPATH: the folder holding `google/auth`. */
  readonly libraryPath: string;
}

/** What a Python SDK ends up with, as the script below prints it. */
export interface PythonCredentials {
  readonly kind: string;
  readonly project: string | null;
  readonly token: string;
  readonly email: string;
  readonly lifetimeSeconds: number;
  readonly universe: string;
}

const SCRIPT = `
import json
import google.auth
import google.auth.transport.requests
from google.auth import _helpers

# As the Vertex AI and google-genai SDKs ask.
credentials, project = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
credentials.refresh(google.auth.transport.requests.Request())
print(json.dumps({
    "kind": type(credentials).__module__ + "." + type(credentials).__name__,
    "project": project,
    "token": credentials.token,
    "email": credentials.service_account_email,
    "lifetimeSeconds": (credentials.expiry - _helpers.utcnow()).total_seconds(),
    "universe": credentials.universe_domain,
}))
`;

/** Python and the Cloud SDK's google-auth, or why they are not here. Call before a harness swaps HOME and PATH. */
export function findPythonGoogleAuth(path: string = process.env.PATH ?? ''): PythonGoogleAuth | string {
  const libraryPath = cloudSdkLibraries(path);
  if (!libraryPath) return 'no Cloud SDK (gcloud) on PATH, whose copy of Python google-auth this runs';
  const found = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 15_000 });
  if (found.status !== 0 || !found.stdout.trim()) return 'no python3 on PATH';
  return { python: found.stdout.trim(), libraryPath };
}

/** `<sdk>/lib/third_party` of the first gcloud on `path` that has google-auth there (stand-ins have not). */
function cloudSdkLibraries(path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const gcloud = join(dir, 'gcloud');
    if (!existsSync(gcloud)) continue;
    const libraries = join(dirname(dirname(realpathSync(gcloud))), 'lib', 'third_party');
    if (existsSync(join(libraries, 'google', 'auth', 'compute_engine', '_metadata.py'))) return libraries;
  }
  return undefined;
}

/** Runs the script with a bare environment: no key file, no gcloud config, no project setting, no HTTP proxy. */
export async function pythonDefaultCredentials(found: PythonGoogleAuth, metadataHost: string): Promise<PythonCredentials> {
  const env = {
    PATH: dirname(found.python),
    ...isolatedHome('vop-python-'),
    PYTHONPATH: found.libraryPath,
    PYTHONDONTWRITEBYTECODE: '1',
    GCE_METADATA_HOST: metadataHost,
    GCE_METADATA_IP: metadataHost,
  };
  const { stdout } = await promisify(execFile)(found.python, ['-c', SCRIPT], { env, timeout: 30_000 });
  return JSON.parse(stdout) as PythonCredentials;
}
