// How the container image runs the proxy: the runtime settings of its
// Dockerfile ENV that change memory, for the benchmarks that measure the
// image's figures. test/container/deploy-files.test.ts holds the Dockerfile to them.

/** V8's young generation capped at 8 MB a semi-space (Node's default lets it grow several times larger under a burst). */
export const IMAGE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=8'];

/** glibc keeps at most two malloc arenas, so memory V8's helper threads free is reused instead of held. */
export const IMAGE_ENV: Readonly<NodeJS.ProcessEnv> = { MALLOC_ARENA_MAX: '2' };

/** The settings as the report prints them. */
export const IMAGE_SETTINGS_TEXT = `NODE_OPTIONS=${IMAGE_NODE_ARGS.join(' ')} ${Object.entries(IMAGE_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(' ')}`;
