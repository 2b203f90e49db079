#!/bin/sh
# make check-image: the Dockerfile's runtime stage without a container
# engine. debootstrap makes a Debian 12 (bookworm) minbase root under
# build/rootfs-base (kept for the next run), copies it to a fresh
# build/rootfs, installs exactly the packages the
# Dockerfile's runtime stage lists, copies the release binary in, and runs
# it there as the image's user (65532) with chroot: ldd finds every
# library, embedded mode answers a signed push, and Kubernetes mode (TLS
# to the fake API server of the tests, on 127.0.0.1) lists, serves and
# patches. Needs root and Debian's package mirror, like `make deps`; not
# part of `make check` (no test may use the network).
set -eu
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "check-image: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 || {
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
base=$(pwd)/build/rootfs-base root=$(pwd)/build/rootfs
if [ ! -x "$base/usr/bin/apt-get" ]; then
	rm -rf "$base"
	debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian >build/rootfs.log 2>&1 ||
		{ tail -5 build/rootfs.log >&2; exit 1; }
fi
# A fresh copy each run: a package dropped from the Dockerfile must be
# missing here too.
rm -rf "$root"
cp -a "$base" "$root"
# The runtime stage's package list, as the Dockerfile has it.
pkgs=$(sed -n '/^FROM debian:bookworm-slim$/h; /^FROM/!H; ${x;p}' Dockerfile |
	sed -n '/--no-install-recommends/,/&& rm/p' | grep -v -e '--no-install' -e '&& rm' |
	tr -d '\\' | xargs)
[ -n "$pkgs" ] || { echo "check-image: no runtime packages found in Dockerfile" >&2; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq --no-install-recommends $pkgs >/dev/null"
cp kargo-webhooks "$root/usr/local/bin/kargo-webhooks"
rm -rf "$root/var/lib/kargo-webhooks" "$root/examples"
mkdir -p "$root/var/lib/kargo-webhooks"
cp -r examples "$root/examples"
chown 65532:65532 "$root/var/lib/kargo-webhooks"
if chroot "$root" ldd /usr/local/bin/kargo-webhooks | grep 'not found'; then
	echo "check-image: a linked library is missing from the runtime stage" >&2
	exit 1
fi
python3 tests/image/runtime.py "$root"
