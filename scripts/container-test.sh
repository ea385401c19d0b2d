#!/usr/bin/env bash
# Builds the real Dockerfile with podman and tests the image for real
# (test/container/run.ts): the steps CI would run, timed.
#
#   sudo npm run test:container      # needs root, Node 24 and `npm ci` done
#
# 1. podman, runc and mmdebstrap: installed with apt-get when missing.
# 2. The base image node:24-slim: no registry is reachable here, so it is built
#    by scripts/build-base-image.sh (reused when it already exists, unless
#    REBUILD_BASE_IMAGE=1).
# 3. The image, from the Dockerfile unchanged, with --pull=never.
# 4. The test, against fake metadata and fake Vertex servers on loopback.
#
# Settings (environment): IMAGE (default vertex-openai-proxy:test),
# REBUILD_BASE_IMAGE=1, PODMAN (podman command line; default uses runc and
# cgroupfs, which work on these machines where crun does not).
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
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "container-test: install ${missing[*]} first (apt-get install -y podman runc mmdebstrap), as root" >&2
    exit 1
  fi
  echo "container-test: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
step "tools (podman, runc, mmdebstrap)"

if [ "${REBUILD_BASE_IMAGE:-0}" = 1 ] || ! "${podman[@]}" image exists "$BASE_IMAGE"; then
  BASE_IMAGE="$BASE_IMAGE" scripts/build-base-image.sh
fi
step "base image node:24-slim"

build_args=(--pull=never --network=host --format docker --ulimit nofile=1024:1024)
# Where the host trusts an extra CA (a TLS-inspecting proxy in front of the
# npm registry, given as NODE_EXTRA_CA_CERTS or npm's cafile), the build's npm
# must trust it too: Node's own root CAs plus that one, lent to the build steps
# as root's home (~/.npmrc and the bundle), so nothing of it lands in a layer.
extra_ca="${NODE_EXTRA_CA_CERTS:-}"
[ -n "$extra_ca" ] || extra_ca="$(npm config get cafile 2>/dev/null || true)"
if [ -f "$extra_ca" ]; then
  build_home="$(mktemp -d)"
  trap 'rm -rf "$build_home"' EXIT
  node -e 'process.stdout.write(require("node:tls").rootCertificates.join("\n") + "\n")' >"$build_home/ca.crt"
  cat "$extra_ca" >>"$build_home/ca.crt"
  printf 'cafile=/root/ca.crt\n' >"$build_home/.npmrc"
  build_args+=(--volume "$build_home:/root")
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
