#!/usr/bin/env bash
# Entry point for `npm run bench` (bench/run.ts) and, with --soak first,
# `npm run soak` (bench/soak.ts). 1000 concurrent streams through a proxy take
# about 2000 file descriptors in the proxy and 1000 in the client, and the
# soak's floods hold 5,000 sockets on each side, so raise this shell's soft
# limit (children inherit it) as far as the hard limit allows.
set -euo pipefail
want=16384
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
if [ "$soft" != unlimited ] && [ "$soft" -lt "$want" ]; then
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then ulimit -n "$want"; else ulimit -n "$hard"; fi
fi
cd "$(dirname "$0")/.."
script=run
if [ "${1:-}" = --soak ]; then
  script=soak
  shift
fi
exec node "bench/$script.ts" "$@"
