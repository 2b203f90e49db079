#!/bin/sh
# make bench: installs wrk, nginx-light and webhook when missing (as root),
# then runs bench/bench.py (embedded mode, bounded to 15 minutes) and
# bench/kube_bench.py (Kubernetes mode against the fake API server, bounded
# to 5 minutes), with the same arguments (--seconds, --binary, --out). Each
# stops every server it started, also when interrupted; the trap below
# covers a kill of this script. Results: build/bench/results.{md,json} and
# build/bench/kube_results.{md,json}; see docs/performance.md.
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
timeout -k 15 300 python3 bench/kube_bench.py "$@" &
pid=$!
wait "$pid"
