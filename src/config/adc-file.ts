// Which file Application Default Credentials come from, decided the way
// google-auth-library decides it, so the daemon can watch that very file and
// `check` can say where the credentials were found.

import { join } from 'node:path';

export interface AdcFile {
  readonly path: string;
  /** Named by GOOGLE_APPLICATION_CREDENTIALS, or gcloud's well-known location. */
  readonly origin: 'GOOGLE_APPLICATION_CREDENTIALS' | 'gcloud';
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The library tries GOOGLE_APPLICATION_CREDENTIALS, then
 * `$CLOUDSDK_CONFIG/application_default_credentials.json` (else
 * `~/.config/gcloud/…`, `%APPDATA%\gcloud\…` on Windows), then the metadata
 * server. Undefined when no file location can be named at all.
 */
export function adcFile(env: Env, platform: NodeJS.Platform = process.platform): AdcFile | undefined {
  const named = env.GOOGLE_APPLICATION_CREDENTIALS || env.google_application_credentials;
  if (named) return { path: named, origin: 'GOOGLE_APPLICATION_CREDENTIALS' };
  const configDir = env.CLOUDSDK_CONFIG || gcloudDefaultDir(env, platform);
  return configDir ? { path: join(configDir, 'application_default_credentials.json'), origin: 'gcloud' } : undefined;
}

function gcloudDefaultDir(env: Env, platform: NodeJS.Platform): string | undefined {
  if (platform === 'win32') return env.APPDATA ? join(env.APPDATA, 'gcloud') : undefined;
  return env.HOME ? join(env.HOME, '.config', 'gcloud') : undefined;
}
