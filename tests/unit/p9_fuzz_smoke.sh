#!/usr/bin/env bash
# A short run of each 9P fuzz target (installed into build/tests/unit by
# tests/unit/p9.mk). Seeds are a few valid messages (tests/fuzz/seeds.sh);
# a crash or a sanitizer report fails the test.
set -u
fuzz=$(cd "$(dirname "$0")/../fuzz" && pwd)
# The server target touches a file system per input: fewer runs.
runs_for() { case "$1" in p9_server) echo "${P9_FUZZ_RUNS:-10000}" ;; *) echo "${P9_FUZZ_RUNS:-100000}" ;; esac; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash "$fuzz/seeds.sh" p9_codec "$work/seeds"

for f in "$fuzz"/p9_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "$work/$name"
	runs=$(runs_for "$name")
	if "$f" -runs="$runs" -max_len=4096 -seed=1 "$work/$name" "$work/seeds" \
		>"$work/$name.log" 2>&1; then
		echo "PASS fuzz/$name: $runs runs, $(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -1)"
	else
		echo "FAIL fuzz/$name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/$name.log")"
		tail -30 "$work/$name.log"
	fi
done
