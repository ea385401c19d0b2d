#!/usr/bin/env bash
# Entry point for `npm run bench`. 1000 concurrent streams through a proxy take
# about 2000 file descriptors in the proxy and 1000 in the client, so raise this
# shell's soft limit (children inherit it) as far as the hard limit allows.
set -euo pipefail
want=16384
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
if [ "$soft" != unlimited ] && [ "$soft" -lt "$want" ]; then
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then ulimit -n "$want"; else ulimit -n "$hard"; fi
fi
cd "$(dirname "$0")/.."
exec node bench/run.ts "$@"
