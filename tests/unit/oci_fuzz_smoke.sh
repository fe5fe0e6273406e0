#!/usr/bin/env bash
# Short runs of ukbuild oci's and the binary loader's fuzz targets
# (installed into build/tests/unit by tests/unit/oci.mk): a crash, a leak
# or a sanitizer report fails the test. Seeds (tests/fuzz/seeds.sh): small real
# layers and real programs.
set -u
f=$(cd "$(dirname "$0")/../fuzz" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/l/corpus" "$work/e/corpus"
bash "$f/seeds.sh" oci_layer "$work/l/seeds"
bash "$f/seeds.sh" oci_elf "$work/e/seeds"
# per target: runs (the layer target is slow: a temporary file and libarchive per run)
for t in oci_layer:l:65536:3000 oci_elf:e:8192:50000; do
	IFS=: read -r name dir max n <<<"$t"
	n=${OCI_FUZZ_RUNS:-$n}
	if [ ! -x "$f/$name" ]; then
		echo "SKIP fuzz/$name: not built (needs clang)"
	elif "$f/$name" -runs="$n" -max_len="$max" -seed=1 -rss_limit_mb=1024 \
		"$work/$dir/corpus" "$work/$dir/seeds" >"$work/$name.log" 2>&1; then
		echo "PASS fuzz/$name: $n runs, $(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -1)"
	else
		echo "FAIL fuzz/$name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/$name.log")"
		tail -30 "$work/$name.log"
	fi
done
