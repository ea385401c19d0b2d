// Node prints process warnings to stderr as plain text, outside the JSON log.
// google-auth-library's MetadataLookupWarning is one: its cause (no metadata
// server, so no credentials from there) is already reported by the start-up
// line and the credential status, so it goes to the log at debug; any other
// warning goes to the log at warn.

import type { Logger } from 'pino';

type WarningListener = (warning: Error) => void;

/** Routes process warnings into `logger` until the returned function is called. */
export function logProcessWarnings(logger: Pick<Logger, 'warn' | 'debug'>): () => void {
  const previous = process.listeners('warning') as WarningListener[];
  for (const listener of previous) process.removeListener('warning', listener);
  const listener: WarningListener = (warning) => {
    const fields = { warning: warning.name, detail: warning.message };
    if (warning.name === 'MetadataLookupWarning') logger.debug(fields, 'metadata server lookup failed');
    else logger.warn(fields, 'process warning');
  };
  process.on('warning', listener);
  return () => {
    process.removeListener('warning', listener);
    for (const restored of previous) process.on('warning', restored);
  };
}

/** Drops MetadataLookupWarning only, for commands that report the missing credentials themselves. */
export function silenceMetadataLookupWarnings(): void {
  const previous = process.listeners('warning') as WarningListener[];
  for (const listener of previous) process.removeListener('warning', listener);
  process.on('warning', (warning: Error) => {
    if (warning.name === 'MetadataLookupWarning') return;
    for (const listener of previous) listener(warning);
  });
}
