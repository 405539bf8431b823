#!/usr/bin/env bash
# Builds a local stand-in for the `oven/bun:1.4.5` image hm's own pipeline
# (.hm/ci.ts) names, for machines that cannot pull from a registry: a Debian
# minbase rootfs (debootstrap) with gcc, make, git and tmux, this machine's
# bun binary, and its bun install cache, so `bun install --frozen-lockfile`
# works inside a container without network. Needs root, debootstrap and a
# Debian mirror. With a registry in reach, just let hm pull the real image.
#
# Usage: scripts/local-bun-image.sh [TAG]   (default oven/bun:1.4.5)
set -euo pipefail
TAG=${1:-oven/bun:1.4.5}
BUN=$(command -v bun)
CACHE=${BUN_INSTALL_CACHE_DIR:-$HOME/.bun/install/cache}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/hm-bun-rootfs-XXXXXX")
trap 'rm -rf "$ROOTFS" "$ROOTFS.log"' EXIT

command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
echo "debootstrap bookworm into $ROOTFS…" >&2
debootstrap --variant=minbase --include=gcc,libc6-dev,make,git,tar,tmux,busybox-static,ca-certificates \
  bookworm "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || { tail -20 "$ROOTFS.log" >&2; exit 1; }
rm -f "$ROOTFS.log"
install -m 0755 "$BUN" "$ROOTFS/usr/local/bin/bun"
ln -sf bun "$ROOTFS/usr/local/bin/bunx"
if [[ -d $CACHE ]]; then
  mkdir -p "$ROOTFS/root/.bun/install"
  cp -a "$CACHE" "$ROOTFS/root/.bun/install/cache"
fi
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'WORKDIR /workspace' - "$TAG" >/dev/null
echo "built $TAG ($(bun --version) from $BUN)" >&2
