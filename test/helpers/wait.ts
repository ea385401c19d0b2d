// Waiting in tests, bounded: poll a condition, or race a promise against a
// deadline. For events in another socket, process or timer, never for
// asserting speed; a failure names what was awaited.

const POLL_MS = 5;

/**
 * Polls `condition` (sync or async) until it holds; rejects with `what` (if a
 * function, called at the time of failure) after `timeoutMs`.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Rejects with `what` if `promise` has not settled within `timeoutMs`. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
