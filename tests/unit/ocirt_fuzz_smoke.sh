#!/usr/bin/env bash
# A short run of the OCI runtime's config.json fuzz target (installed into
# build/tests/unit by tests/unit/ocirt.mk): a crash, a leak or a sanitizer
# report fails the test. Seeds (tests/fuzz/seeds.sh): configs as podman
# writes them.
set -u
f=$(cd "$(dirname "$0")/../fuzz" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
bash "$f/seeds.sh" oci_spec "$work/seeds"
n=${OCI_FUZZ_RUNS:-20000}
if [ ! -x "$f/oci_spec" ]; then
	echo "SKIP fuzz/oci_spec: not built (needs clang)"
elif "$f/oci_spec" -runs="$n" -max_len=4096 -seed=1 -rss_limit_mb=1024 \
	"$work/corpus" "$work/seeds" >"$work/log" 2>&1; then
	echo "PASS fuzz/oci_spec: $n runs, $(grep -o 'cov: [0-9]*' "$work/log" | tail -1)"
else
	echo "FAIL fuzz/oci_spec: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/log")"
	tail -30 "$work/log"
fi
