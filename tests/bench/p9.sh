#!/usr/bin/env bash
# 9P volumes (issue 5): the bench mode of tests/guest/p9 on a share
# (ukrun -v: MB MiB written with an fsync, read back, in 1 MiB calls; FILES
# small files created, stat'ed, unlinked), against dd on the same host
# directory and build/tests/bench/p9_bench (the gofer alone, no VM, against
# the same calls made directly), all in the same place; and the exits to
# ukrun's vCPU thread the file operations cost (goal: none).
# P9_BENCH_MB and P9_BENCH_FILES size the run (default 64 and 500).
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="9P volumes"
mb=${P9_BENCH_MB:-64} nfiles=${P9_BENCH_FILES:-500}
files=(build/tests/guest/p9.img build/tests/bench/p9_bench)
inner='
mb=$1 n=$2
mkdir -p "$T/share"
p9() { run $UKRUN --verbose --timeout 900 -v "$T/share:/data" '${files[0]}' bench /data "$@"; }
p9 0 0
echo "exits_idle $(exits "$T/err")"
p9 $mb $n
echo "exits_busy $(exits "$T/err")"
sed -n "s/^bench: write \([0-9.]*\) MB\/s, read \([0-9.]*\) MB\/s, create+stat+unlink \([0-9]*\) ops\/s.*/guest \1 \2 \3/p" "$T/out"
echo "dd_ms $(dd_ms "$T/share/dd.bin" $mb)"
'${files[1]}' "$T" $mb $n
'
need "$title" "${files[@]}" || exit 0
bench_run "$inner" "${files[@]}" -- "$mb" "$nfiles" || { bench_skip "$title" "$res"; exit 0; }

read -r gw gr gf <<<"$(get guest)"
# p9_bench MEASURE 9p=V direct=V ratio=R UNIT: gofer MEASURE 1|2
gofer() { get "p9_bench $1" | sed -n "s/^9p=\([0-9]*\) direct=\([0-9]*\) .* \(.*\)/\\$2 \3/p"; }
table "$title ($where; $mb MiB in 1 MiB calls, $nfiles small files)" "guest (ukrun -v)" "host directory, $host"
seq_rows "$mb" "${gw:-}" "${gr:-}"
row "create + stat + unlink a small file" "$(unit "${gf:-}" ops/s)" \
	"$(unit "$(gofer create+stat+unlink 2)" "(direct calls)")"
row "gofer alone, no VM (9P requests): write" "$(gofer seq-write 1)" "$(unit "$(gofer seq-write 2)" "(direct)")"
row "gofer alone, no VM (9P requests): read" "$(gofer seq-read 1)" "$(unit "$(gofer seq-read 2)" "(direct)")"
row "gofer alone, no VM (9P requests): create+stat+unlink" "$(gofer create+stat+unlink 1)" \
	"$(unit "$(gofer create+stat+unlink 2)" "(direct)")"
# 1 MiB calls both ways; each small file: open, close, stat, unlink
row "exits to ukrun per 1000 file operations" "$(exits_per $((2 * mb + 4 * nfiles)))" "goal 0"
