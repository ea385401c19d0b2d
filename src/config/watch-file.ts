// Following a file for changes: the config file (hot reload of routes) and the
// ADC file (a new `gcloud auth application-default login`). Stat polling, not
// fs.watch: editors, gcloud and Kubernetes ConfigMaps replace files (rename,
// symlink swap), which fs.watch loses track of, and polling works on every
// file system and through container bind mounts.

import { unwatchFile, watchFile, type Stats } from 'node:fs';

/**
 * Calls `onChange` each time `path` is replaced (a new inode, as gcloud and
 * atomic writers do), rewritten, created or deleted. Never keeps the process
 * alive. Returns the function that stops following.
 */
export function followFile(path: string, intervalMs: number, onChange: () => void): () => void {
  const listener = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size) onChange();
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
