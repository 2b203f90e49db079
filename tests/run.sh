#!/bin/sh
# Runs every test program and prints one closing line:
#   check: N passed, N failed, N skipped
# (CI reads that shape). Each program prints its own
# "<name>: N passed, N failed" line, followed by ", N skipped" when it
# skipped any; the skipped tests are named above the closing line.
# KW_FLAVOUR picks the build (asan, the default; tsan for make check-tsan).
set -u
cd "$(dirname "$0")/.."
flavour=${KW_FLAVOUR:-asan}
log=build/$flavour/check.log
: > "$log"
status=0

run() {
	# $1: label; rest: command
	label=$1
	shift
	if "$@" >> "$log" 2>&1; then :; else
		echo "FAILED: $label" | tee -a "$log"
		echo "$(basename "$label")-exit: 0 passed, 1 failed" >> "$log"
		status=1
	fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The integration suite mostly waits (on servers, deadlines, the fake API
# server), so it runs alongside the unit tests and replays, into a log of
# its own appended to the main one at the end.
ilog=build/$flavour/integration.log
( if python3 tests/integration/run.py build/$flavour/kargo-webhooks > "$ilog" 2>&1; then :; else
	echo "FAILED: integration" >> "$ilog"
	echo "integration-exit: 0 passed, 1 failed" >> "$ilog"
  fi ) &
ipid=$!

for t in build/$flavour/tests/*; do
	[ -x "$t" ] && run "$t" "$t"
done
for r in build/$flavour/replay/*; do
	[ -x "$r" ] || continue
	name=$(basename "$r")
	run "$r" "$r" "fuzz/corpus/$name"
done
run urlnorm_tables sh tests/urlnorm_tables.sh
wait $ipid
cat "$ilog" >> "$log"
grep -q '^FAILED: integration' "$ilog" && { echo "FAILED: integration"; status=1; }

grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$log"
grep -v -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$log" | grep -E 'FAIL|ERROR|Sanitizer|runtime error|CHECK' | head -50
grep -E '^skip ' "$log"
awk '/^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4; if ($7 ~ /^skipped/) s += $6 }
	END { printf "check: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
passed_failed=$(awk '/^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed/ { f += $4 } END { print f+0 }' "$log")
[ "$passed_failed" -eq 0 ] || status=1
exit $status
