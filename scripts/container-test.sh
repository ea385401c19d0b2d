#!/usr/bin/env bash
# Builds the real Dockerfile with podman and tests the image for real
# (test/container/run.ts): the steps CI would run, timed.
#
#   sudo npm run test:container      # needs root, Node 24 and `npm ci` done
#
# 1. podman, runc, mmdebstrap and podman-compose: installed with apt-get when
#    missing.
# 2. The base image node:24-slim: taken as it is when podman has it, else
#    built by scripts/build-base-image.sh (the air-gapped way; also with
#    REBUILD_BASE_IMAGE=1), so no container registry is needed.
# 3. The image, from the Dockerfile unchanged, with --pull=never.
# 4. The test, against fake metadata and fake Vertex servers on loopback,
#    and the compose file as podman-compose reads it (compose-tools.test.ts,
#    run within it, now that podman-compose is installed).
#
# Settings (environment): IMAGE (default vertex-openai-proxy:test),
# REBUILD_BASE_IMAGE=1, PODMAN (podman command line; the default uses runc and
# cgroupfs, which also work where crun fails on hybrid cgroup hierarchies),
# EXTRA_CA (a CA file, PEM, that npm inside the build must trust, e.g. a
# TLS-inspecting proxy's; default NODE_EXTRA_CA_CERTS), given to the build as
# the Dockerfile's `extra_ca` secret, as the README describes.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-vertex-openai-proxy:test}"
BASE_IMAGE="docker.io/library/node:24-slim"
export PODMAN="${PODMAN:-podman --runtime /usr/sbin/runc --cgroup-manager=cgroupfs}"
read -r -a podman <<<"$PODMAN"

started=$SECONDS
timings=()
step() {
  timings+=("$(printf '%-34s %4d s' "$1" "$((SECONDS - step_started))")")
  step_started=$SECONDS
}
step_started=$SECONDS

missing=()
command -v podman >/dev/null || missing+=(podman)
[ -x /usr/sbin/runc ] || missing+=(runc)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v podman-compose >/dev/null || missing+=(podman-compose)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "container-test: install ${missing[*]} first (apt-get install -y podman runc mmdebstrap podman-compose), as root" >&2
    exit 1
  fi
  echo "container-test: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
step "tools (podman, runc, mmdebstrap, podman-compose)"

if [ "${REBUILD_BASE_IMAGE:-0}" = 1 ] || ! "${podman[@]}" image exists "$BASE_IMAGE"; then
  BASE_IMAGE="$BASE_IMAGE" scripts/build-base-image.sh
fi
step "base image node:24-slim"

build_args=(--pull=never --network=host --format docker --ulimit nofile=1024:1024)
# npm in the build stages trusts Node's own CAs plus this one: the documented
# `extra_ca` build secret, never kept in a layer.
extra_ca="${EXTRA_CA:-${NODE_EXTRA_CA_CERTS:-}}"
if [ -n "$extra_ca" ]; then
  [ -f "$extra_ca" ] || { echo "container-test: EXTRA_CA file $extra_ca does not exist" >&2; exit 1; }
  echo "container-test: the build trusts the extra CA in $extra_ca (--secret id=extra_ca)"
  build_args+=(--secret "id=extra_ca,src=$extra_ca")
fi
"${podman[@]}" build "${build_args[@]}" -t "$IMAGE" .
step "image build"

status=0
# Plain node runs the tap test file on its own: no coverage, and nothing
# written to .tap/ where a concurrent `npm test` keeps its results.
CONTAINER_IMAGE="$IMAGE" node test/container/run.ts || status=$?
step "container test"

echo
echo "container-test timings:"
printf '  %s\n' "${timings[@]}"
printf '  %-34s %4d s\n' total "$((SECONDS - started))"
exit "$status"
