#!/bin/sh
# make bench: installs wrk, nginx-light and webhook when missing (as root),
# then runs bench/bench.py, bounded to 15 minutes. bench.py stops every
# server it started, also when interrupted; the trap below covers a kill of
# this script. Results: build/bench/results.{md,json}; see docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh bench
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
timeout -k 15 900 python3 bench/bench.py "$@" &
pid=$!
wait "$pid"
