#!/bin/sh
# Installs the Debian 12 packages the project needs when run as root;
# otherwise prints the exact apt-get line and fails. "build" checks what
# building and testing need; "bench" adds the benchmark's servers.
set -eu
what=${1:-build}
pkgs="build-essential pkg-config libmicrohttpd-dev libcjson-dev libyaml-dev \
libsqlite3-dev libpcre2-dev libssl-dev libcurl4-openssl-dev curl python3 clang \
libclang-rt-14-dev openssl unicode-data"
# unicode-data (Unicode 15.0.0, as Go 1.21-1.26) feeds
# scripts/gen_urlnorm_tables.py and its check in make check.
# kubectl drives the fake API server in the tests (Debian's kubernetes-client);
# a kubectl installed otherwise (e.g. a cloud SDK's) owns the same path.
command -v kubectl >/dev/null 2>&1 || pkgs="$pkgs kubernetes-client"
[ "$what" = bench ] && pkgs="$pkgs wrk nginx-light webhook"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "missing Debian packages; run:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
