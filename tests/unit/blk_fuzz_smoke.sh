#!/usr/bin/env bash
# A short run of the virtio-blk request parser's fuzz target (installed into
# build/tests/unit by tests/unit/blk.mk); a crash or a sanitizer report
# fails the test. Seeds: a read, a write and a discard.
set -u
f=$(cd "$(dirname "$0")/../fuzz" && pwd)/blk_req
runs=${BLK_FUZZ_RUNS:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/seeds"
# nout nin | capacity (8) | 8 segment lengths (16) | segment bytes
printf '\1\1\0\0\1\0\0\0\0\0\20\0\0\20\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >"$work/seeds/read"
printf '\2\1\0\0\1\0\0\0\0\0\20\0\0\2\1\0\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >"$work/seeds/write"
printf '\2\1\0\0\1\0\0\0\0\0\20\0\20\0\1\0\0\0\0\0\0\0\0\0\0\0\13\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\10\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0' >"$work/seeds/discard"
if [ ! -x "$f" ]; then
	echo "SKIP fuzz/blk_req: not built (needs clang)"
elif "$f" -runs="$runs" -max_len=2048 -seed=1 "$work/corpus" "$work/seeds" >"$work/log" 2>&1; then
	echo "PASS fuzz/blk_req: $runs runs, $(grep -o 'cov: [0-9]*' "$work/log" | tail -1)"
else
	echo "FAIL fuzz/blk_req: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/log")"
	tail -30 "$work/log"
fi
