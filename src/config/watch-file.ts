// Following a file for changes: the config file (hot reload of routes) and the
// ADC file (a new `gcloud auth application-default login`). Stat polling, not
// fs.watch: editors, gcloud and Kubernetes ConfigMaps replace files (rename,
// symlink swap), which fs.watch loses track of, and polling works on every
// file system and through container bind mounts.

import { unwatchFile, watchFile, type Stats } from 'node:fs';

export interface FollowOptions {
  /**
   * Call `onChange` only once the file has then stayed unchanged for two polls:
   * a file caught part-way through a rewrite (an editor writing in steps) may
   * still parse, and must not be taken for the new one.
   */
  readonly settled?: boolean;
}

/**
 * Calls `onChange` each time `path` is replaced (a new inode, as gcloud and
 * atomic writers do), rewritten, created or deleted. Never keeps the process
 * alive. Returns the function that stops following.
 */
export function followFile(path: string, intervalMs: number, onChange: () => void, options: FollowOptions = {}): () => void {
  let settling: NodeJS.Timeout | undefined;
  const listener = (current: Stats, previous: Stats) => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino && current.size === previous.size) return;
    if (!options.settled) return onChange();
    clearTimeout(settling);
    // Two intervals: at least one poll in between found the file as it is now.
    settling = setTimeout(onChange, 2 * intervalMs).unref();
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => {
    clearTimeout(settling);
    unwatchFile(path, listener);
  };
}
