#!/bin/sh
# FAT disks under ukrun (--disk FILE:GUEST[:ro]): the guest program
# tests/guest/fat inside; mtools, cksum and fsck.fat outside (listed in
# disk.files so the nested standard-KVM host has them). POSIX sh.
. tests/e2e/lib.sh
native_check disk
IMG=build/tests/guest/fat.img

for tool in mformat mcopy fsck.fat cksum; do
	if ! command -v $tool >/dev/null; then
		skip disk-ukrun/all "$tool is not available here (tests/e2e/kvm/disk.files)"
		exit 0
	fi
done
export MTOOLS_SKIP_CHECK=1
fsck_clean() { fsck.fat -n "$1" >"$T/fsck" 2>&1; }
no_fail() { [ "$rc" -eq 0 ] && ! grep -q '^FAIL' "$T/out"; }
# "cksum size path" of every file below $1, sorted by path.
host_sums() { (cd "$1" && find . -type f -exec cksum {} +) | sed 's| \./| |' | sort -k3; }
guest_sums() { grep -E '^[0-9]+ [0-9]+ ' "$T/out" | tr -d '\r' | sort -k3; }

# ---- host -> guest -> host, across two runs ----
S=$T/src
mkdir -p "$S/dir/sub"
echo "hello from the host" >"$S/hello.txt"
head -c 2000000 /dev/urandom >"$S/dir/sub/random.bin"
echo "long" >"$S/A long name for a file.text"
D=$T/disk.img
run "$UKBUILD" disk create "$D" --size 16M --from "$S"
check disk-ukrun/create status_is 0
run "$UKRUN" --disk "$D:/data" "$IMG" write /data
check disk-ukrun/guest-writes no_fail
sed -n '/^sums:/,$p' "$T/out" | tr -d '\r' | grep -E '^[0-9]+ ' | sort -k3 >"$T/wrote"
check disk-ukrun/fsck-after-exit fsck_clean "$D"
rm -rf "$T/back" && mkdir "$T/back" && mcopy -s -n -i "$D" ::/guest "$T/back/" 2>/dev/null
host_sums "$T/back" >"$T/read"
check disk-ukrun/guest-to-host-bytes sh -c "[ -s '$T/wrote' ] && cmp -s '$T/read' '$T/wrote'"
# The second run sees both the host's files and the first run's; a second
# disk at the same time is mounted where it says.
E=$T/other.img
echo "on the other disk" >"$T/other-disk.txt"
"$UKBUILD" disk create "$E" --size 4M >/dev/null 2>&1
"$UKBUILD" disk put "$E" "$T/other-disk.txt" / >/dev/null 2>&1
run "$UKRUN" --disk "$D:/data" --disk "$E:/mnt/other" "$IMG" sums /data /mnt/other
(host_sums "$S"; cat "$T/wrote"; cd "$T" && cksum other-disk.txt) | sort -k3 >"$T/expect"
guest_sums >"$T/seen"
check disk-ukrun/second-run-reads-everything cmp -s "$T/expect" "$T/seen"

# ---- read-only: EROFS inside, the image unchanged outside ----
before=$(sha256sum <"$D")
run "$UKRUN" --disk "$D:/data:ro" "$IMG" ro /data
check disk-ukrun/ro-erofs no_fail
check disk-ukrun/ro-image-unchanged test "$before" = "$(sha256sum <"$D")"

# ---- a full disk ----
F=$T/full.img
"$UKBUILD" disk create "$F" --size 2M >/dev/null 2>&1
run "$UKRUN" --disk "$F:/data" "$IMG" full /data
check disk-ukrun/full-enospc no_fail
check disk-ukrun/full-fsck fsck_clean "$F"

# ---- fsync, a second VM refused, SIGKILL: the fsynced file survives ----
K=$T/kill.img
"$UKBUILD" disk create "$K" --size 16M >/dev/null 2>&1
"$UKRUN" --disk "$K:/data" "$IMG" sync-and-wait /data >"$T/kout" 2>"$T/kerr" &
pid=$!
i=0
while [ $i -lt 1200 ] && ! grep -q '^synced' "$T/kout"; do sleep 0.1; i=$((i + 1)); done
check disk-ukrun/fsync-reached grep -q '^synced' "$T/kout"
run "$UKRUN" --disk "$K:/data" "$IMG" sums /data
check disk-ukrun/second-vm-refused clean_error
check disk-ukrun/second-vm-says-why err_has "in use by another VM"
run "$UKBUILD" disk ls "$K"
check disk-ukrun/ukbuild-refuses-a-running-vms-disk sh -c "[ $rc -eq 2 ] && grep -q 'in use by a running VM' '$T/err'"
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check disk-ukrun/fsck-after-sigkill fsck_clean "$K"
want=$(sed -n 's/^synced \([0-9]*\) \([0-9]*\).*/\1 \2/p' "$T/kout")
got=$(mcopy -n -i "$K" ::/synced/data.bin - 2>/dev/null | cksum)
check disk-ukrun/fsynced-data-intact test -n "$want" -a "$want" = "$got"

# ---- requests do not exit to ukrun's vCPU thread; throughput against dd ----
MB=${DISK_BENCH_MB:-16}
B=$T/bench.img
"$UKBUILD" disk create "$B" --size $((MB * 2 + 16))M >/dev/null 2>&1
run "$UKRUN" --verbose --disk "$B:/data" "$IMG" bench /data 0 0
base=$(sed -n 's/.*exits to ukrun: \([0-9]*\).*/\1/p' "$T/err")
run "$UKRUN" --verbose --disk "$B:/data" "$IMG" bench /data $MB 200
busy=$(sed -n 's/.*exits to ukrun: \([0-9]*\).*/\1/p' "$T/err")
reqs=$(sed -n 's/.*virtio-blk .*: \([0-9]*\) requests.*/\1/p' "$T/err")
grep '^bench' "$T/out" | tr -d '\r' | sed 's/^/disk-ukrun: /'
echo "disk-ukrun: exits to ukrun: $base idle, $busy with $reqs disk requests"
check disk-ukrun/no-exits-per-request test -n "$base" -a -n "$busy" -a "${reqs:-0}" -gt 100 -a \
	"$((busy - base))" -le 2
# The same bytes with dd on the host file, for the ratio (both through the
# host's page cache; the write ends with an fsync, as the guest's does).
echo "disk-ukrun: dd on the host file, $MB MiB: write, read ms: $(dd_ms "$T/dd.bin" $MB)"
rm -f "$B"

# ---- bad --disk options: one clear line, status 125 ----
run "$UKRUN" --disk "$T/missing.img:/data" "$IMG" sums /data
check disk-ukrun/missing-image clean_error
run "$UKRUN" --disk "$D:relative" "$IMG" sums /data
check disk-ukrun/relative-guest-path clean_error
run "$UKRUN" --disk "$D" "$IMG" sums /data
check disk-ukrun/no-guest-path clean_error
