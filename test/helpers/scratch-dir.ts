// Temporary folders for tests, removed when the test process exits (the child
// processes that use them have ended by then), so test runs do not pile up
// thousands of folders in the system's temporary directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

process.once('exit', () => {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A folder a container wrote into as another user may stay: harmless, and no reason to fail the run.
    }
  }
});

/** A new empty folder under the temporary directory, named `${prefix}XXXXXX`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
