#!/usr/bin/env bash
# FAT disks (issue 7): the bench mode of tests/guest/fat on a FAT image
# (ukrun --disk: MB MiB written with an fsync and read back in 1 MiB calls
# through virtio-blk and the guest's FAT; FILES small files created), dd on
# a file beside the image for comparison (both through the same host page
# cache), and the exits to ukrun's vCPU thread the disk requests cost
# (goal: none). DISK_BENCH_MB and DISK_BENCH_FILES size the run (default 64
# and 200).
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="FAT disk"
mb=${DISK_BENCH_MB:-64} nfiles=${DISK_BENCH_FILES:-200}
files=(build/tests/guest/fat.img build/bin/ukbuild)
# what ukbuild disk needs there (mtools), as the disk tests list it
for f in $(cat tests/e2e/guest/disk.files); do [ -e "$f" ] && files+=("$f"); done
inner='
mb=$1 n=$2 d=$T/bench.img
MTOOLS_SKIP_CHECK=1 $UKBUILD disk create "$d" --size $((mb * 2 + 16))M >/dev/null 2>&1
fat() { run $UKRUN --verbose --timeout 900 --disk "$d:/data" '${files[0]}' bench /data "$@"; }
fat 0 0
echo "exits_idle $(exits "$T/err")"
fat $mb $n
echo "exits_busy $(exits "$T/err")"
echo "requests $(sed -n "s/.*virtio-blk .*: \([0-9]*\) requests.*/\1/p" "$T/err")"
sed -n "s/^bench \([a-z]*\) .* \([0-9.]*\) [a-zA-Z/]*\r*$/guest_\1 \2/p" "$T/out"
echo "dd_ms $(dd_ms "$T/dd.bin" $mb)"
'
need "$title" "${files[@]:0:2}" || exit 0
command -v mformat >/dev/null || { bench_skip "$title" "mformat is not installed (ci/deps.sh installs mtools)"; exit 0; }
bench_run "$inner" "${files[@]}" -- "$mb" "$nfiles" || { bench_skip "$title" "$res"; exit 0; }

reqs=$(get requests)
table "$title ($where; $mb MiB in 1 MiB calls, $nfiles small files)" "guest (ukrun --disk)" "host file, $host"
seq_rows "$mb" "$(get guest_write)" "$(get guest_read)"
row "small-file creates (100 bytes each, one fsync)" "$(unit "$(get guest_creates)" files/s)" "(guest only)"
row "exits to ukrun per 1000 disk requests (${reqs:-?} in all)" "$(exits_per "$reqs")" "goal 0"
