// The daemon's exit codes, from sysexits.h where one fits, so a service
// manager can tell a mistake a restart cannot fix from one it can.

/** EX_USAGE: a bad command line. */
export const EXIT_USAGE = 64;
/** EX_TEMPFAIL: worth trying again later (a service manager retries). */
export const EXIT_TEMPFAIL = 75;
/** EX_CONFIG: settings that cannot work as set. */
export const EXIT_CONFIG = 78;
