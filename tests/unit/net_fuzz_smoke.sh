#!/usr/bin/env bash
# A short run of the network fuzz targets (tests/unit/net.mk installs this
# into build/tests/unit): the device side of the rings, the virtio-net
# header check, frames over several receive buffers. A crash or a
# sanitizer report fails the test. Seeds: tests/fuzz/seeds.sh.
set -u
fuzz=$(cd "$(dirname "$0")/../fuzz" && pwd)
runs=${NET_FUZZ_RUNS:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for name in net_virtq net_hdr net_rx; do
	f=$fuzz/$name
	if [ ! -x "$f" ]; then
		echo "SKIP fuzz/$name: not built (needs clang with libFuzzer)"
		continue
	fi
	mkdir -p "$work/$name"
	bash "$fuzz/seeds.sh" "$name" "$work/$name.seeds"
	if "$f" -runs="$runs" -max_len=8192 -seed=1 "$work/$name" "$work/$name.seeds" \
		>"$work/$name.log" 2>&1; then
		echo "PASS fuzz/$name: $runs runs, $(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -1)"
	else
		echo "FAIL fuzz/$name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/$name.log")"
	fi
done
