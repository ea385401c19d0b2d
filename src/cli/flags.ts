// The command line's flags, parsed by node:util's parseArgs but explained in
// our own words: an unknown or malformed flag gets one line that lists the
// valid ones, and exit code 64, instead of Node's parser text.

import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** A bad command line: exit 64 (EX_USAGE). */
export class UsageError extends Error {}

/** `--config, --host, …, -h/--help`, in the order given. */
export function describeFlags(options: ParseArgsOptionsConfig): string {
  return Object.entries(options)
    .map(([name, option]) => (option.short ? `-${option.short}/--${name}` : `--${name}`))
    .join(', ');
}

/**
 * parseArgs with positionals allowed; every flag is checked first, so that an
 * unknown one, a value missing or a value given to a switch is a UsageError.
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(argv: string[], options: T) {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (!option) throw new UsageError(`unknown option ${token.rawName}; valid options: ${describeFlags(options)} (see --help)`);
    if (option.type === 'string' && token.value === undefined) throw new UsageError(`${token.rawName} needs a value, as in ${token.rawName} VALUE`);
    // The strict pass below refuses `--config --port 1` (a forgotten value) and `--port -1` alike.
    if (option.type === 'string' && !token.inlineValue && token.value?.startsWith('-')) {
      throw new UsageError(`${token.rawName} needs a value, as in ${token.rawName} VALUE (one that starts with "-" as ${token.rawName}=VALUE)`);
    }
    if (option.type === 'boolean' && token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
  }
  return parseArgs({ args: argv, options, allowPositionals: true });
}
