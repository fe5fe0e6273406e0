#!/usr/bin/env bash
# Short runs of the virtio-blk request parser's fuzz target and of the
# hostile driver against the virtio-mmio transport (installed into
# build/tests/unit by tests/unit/blk.mk); a crash or a sanitizer report
# fails the test. Seeds: tests/fuzz/seeds.sh.
set -u
fuzz=$(cd "$(dirname "$0")/../fuzz" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in blk_req:2048:200000 mmio:4096:20000; do
	IFS=: read -r name max runs <<<"$t"
	runs=${BLK_FUZZ_RUNS:-$runs}
	mkdir -p "$work/$name"
	bash "$fuzz/seeds.sh" "$name" "$work/$name.seeds"
	if [ ! -x "$fuzz/$name" ]; then
		echo "SKIP fuzz/$name: not built (needs clang)"
	elif "$fuzz/$name" -runs="$runs" -max_len="$max" -seed=1 "$work/$name" "$work/$name.seeds" \
		>"$work/$name.log" 2>&1; then
		echo "PASS fuzz/$name: $runs runs, $(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -1)"
	else
		echo "FAIL fuzz/$name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/$name.log")"
		tail -30 "$work/$name.log"
	fi
done
