#!/usr/bin/env bash
# Entry point for `npm run soak`. The floods hold 5,000 sockets in the proxy and
# as many in the flood client, so raise this shell's soft open-files limit
# (children inherit it) as far as the hard limit allows.
set -euo pipefail
want=16384
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
if [ "$soft" != unlimited ] && [ "$soft" -lt "$want" ]; then
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then ulimit -n "$want"; else ulimit -n "$hard"; fi
fi
cd "$(dirname "$0")/.."
exec node bench/soak.ts "$@"
