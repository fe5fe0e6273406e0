#!/usr/bin/env bash
# smoke.sh TARGET MAX_LEN RUNS [libFuzzer flags...]: a short run of one
# fuzz target beside this script (build/tests/fuzz), from its seeds
# (seeds.sh) and an empty corpus, for the unit suite's *_fuzz_smoke
# scripts. One line: PASS, SKIP (not built), or FAIL with the first line of
# the report and its last 30 lines: a crash, a leak or a sanitizer report
# fails.
set -u
name=$1 max=$2 runs=$3
shift 3
fuzz=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$fuzz/$name" ]; then
	echo "SKIP fuzz/$name: not built (needs clang with libFuzzer)"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
bash "$fuzz/seeds.sh" "$name" "$work/seeds"
if "$fuzz/$name" -runs="$runs" -max_len="$max" -seed=1 "$@" "$work/corpus" "$work/seeds" \
	>"$work/log" 2>&1; then
	echo "PASS fuzz/$name: $runs runs, $(grep -o 'cov: [0-9]*' "$work/log" | tail -1)"
else
	echo "FAIL fuzz/$name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/log")"
	tail -30 "$work/log"
fi
