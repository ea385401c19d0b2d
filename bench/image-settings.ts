// How the container image runs the proxy: the runtime settings of its
// Dockerfile (ENV and CMD) that change memory, for the benchmarks that measure
// the image's figures. test/container/deploy-files.test.ts holds the Dockerfile to them.

/** In NODE_OPTIONS: V8's young generation capped at 8 MB a semi-space (Node's default lets it grow several times larger under a burst). */
export const IMAGE_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * On node's command line (CMD), as Node refuses it in NODE_OPTIONS: V8 optimizes
 * a hot function on the main thread at once, instead of on a helper thread whose
 * finished compilation then waits, holding its memory, for a busy main thread.
 */
export const IMAGE_NODE_FLAGS: readonly string[] = ['--no-concurrent-recompilation'];

/** Both, as the benchmarks hand them to node. */
export const IMAGE_NODE_ARGS: readonly string[] = [...IMAGE_NODE_OPTIONS, ...IMAGE_NODE_FLAGS];

/** glibc keeps at most two malloc arenas, so memory V8's helper threads free is reused instead of held. */
export const IMAGE_ENV: Readonly<NodeJS.ProcessEnv> = { MALLOC_ARENA_MAX: '2' };

/** The settings as the report prints them. */
export const IMAGE_SETTINGS_TEXT = `node ${IMAGE_NODE_FLAGS.join(' ')}, NODE_OPTIONS=${IMAGE_NODE_OPTIONS.join(' ')} ${Object.entries(IMAGE_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(' ')}`;
