#!/usr/bin/env bash
# RAM filesystem (issue 3): tests/guest/fsbench (a file written, read back
# and rewritten in 64 KiB calls) on the guest's ramfs, and the same program
# as a Linux process on /tmp (RAM in the nested host), in the same place.
# FSBENCH_MIB sets the file's size (default 64).
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="RAM filesystem"
mib=${FSBENCH_MIB:-64}
files=(build/tests/guest/fsbench.img build/tests/bench/fsbench-linux)
# "fsbench: 64 MiB in 64 KiB calls: write W MB/s, read R MB/s, rewrite RW MB/s, 0 bad chunks"
inner='
speeds() { sed -n "s/.*: write \([0-9.]*\) MB\/s, read \([0-9.]*\) MB\/s, rewrite \([0-9.]*\) MB\/s, 0 bad.*/$1 \1 \2 \3/p"; }
$UKRUN --timeout 600 -m $(($1 * 2 + 128))M '${files[0]}' -- $1 | speeds uk
'${files[1]}' $1 | speeds linux
'
need "$title" "${files[@]}" || exit 0
bench_run "$inner" "${files[@]}" -- "$mib" || { bench_skip "$title" "$res"; exit 0; }

read -r uw ur urw <<<"$(get uk)"
read -r lw lr lrw <<<"$(get linux)"
table "$title ($where; a $mib MiB file in 64 KiB calls)" "uk ramfs" "Linux on /tmp, $host"
row "write (first: pays each page's first touch)" "$(unit "${uw:-}" MB/s)" "$(unit "${lw:-}" MB/s)"
row "read back" "$(unit "${ur:-}" MB/s)" "$(unit "${lr:-}" MB/s)"
row "rewrite in place (the copy alone)" "$(unit "${urw:-}" MB/s)" "$(unit "${lrw:-}" MB/s)"
row "ratio uk / Linux: write, read, rewrite" \
	"$(ratios "${uw:-}" "${lw:-}" "${ur:-}" "${lr:-}" "${urw:-}" "${lrw:-}")" "1.00 = Linux's speed"
