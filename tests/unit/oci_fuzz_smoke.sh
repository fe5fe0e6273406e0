#!/usr/bin/env bash
# Short runs of ukbuild oci's and the binary loader's fuzz targets
# (installed into build/tests/unit by tests/unit/oci.mk): a crash, a leak
# or a sanitizer report fails the test. Seeds: small real layers (plain,
# gzip, with whiteouts, a symlink and a hard link) and real programs.
set -u
f=$(cd "$(dirname "$0")/../fuzz" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/l/seeds" "$work/l/corpus" "$work/e/seeds" "$work/e/corpus" "$work/src/d/sub"
echo data >"$work/src/d/file"
ln -s file "$work/src/d/link"
ln "$work/src/d/file" "$work/src/d/hard"
: >"$work/src/d/.wh.gone"
: >"$work/src/d/sub/.wh..wh..opq"
tar -C "$work/src" -cf "$work/l/seeds/plain.tar" d
gzip -c "$work/l/seeds/plain.tar" >"$work/l/seeds/layer.tgz"
cp /bin/true "$work/e/seeds/true" 2>/dev/null
cp /bin/busybox "$work/e/seeds/busybox" 2>/dev/null
head -c 4096 /lib64/ld-linux-x86-64.so.2 >"$work/e/seeds/ld.so" 2>/dev/null
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
