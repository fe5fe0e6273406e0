#!/bin/sh
# FAT disks: the guest's virtio-blk driver, the FAT filesystem and its VFS
# glue (the guest program tests/guest/fat inside), checked against mtools,
# cksum and fsck.fat outside (listed in disk.files so the nested
# standard-KVM host has them). Under ukrun the disk is --disk FILE:GUEST[:ro];
# under QEMU -device virtio-blk-device with the mount point as its serial.
# Under ukrun also what only ukrun has: the disk's lock (a second VM and
# ukbuild refused), SIGKILL after an fsync, exits per request (--verbose),
# bad --disk options; under QEMU a disk without an ID (ukrun always gives
# one).
. tests/e2e/lib.sh
runner_ready disk || exit 0
IMG=build/tests/guest/fat.img
N=disk-$UK_ON

for tool in mformat mcopy mdir fsck.fat cksum; do
	if ! command -v $tool >/dev/null; then
		skip $N/all "$tool is not available here (ci/deps.sh; tests/e2e/guest/disk.files)"
		exit 0
	fi
done
export MTOOLS_SKIP_CHECK=1
fsck_clean() { fsck.fat -n "$1" >"$T/fsck" 2>&1; }
no_fail() { [ "$rc" -eq 0 ] && ! grep -q '^FAIL' "$T/out"; }
# "cksum size path" of every file below $1, sorted by path.
host_sums() { (cd "$1" && find . -type f -exec cksum {} +) | sed 's| \./| |' | sort -k3; }
guest_sums() { grep -E '^[0-9]+ [0-9]+ ' "$T/out" | sort -k3; }
# the guest's "write" run: the sums of what it wrote
wrote_sums() { sed -n '/^sums:/,$p' "$T/out" | grep -E '^[0-9]+ ' | sort -k3; }

# ---- host -> guest: what mtools put there reads back byte for byte ----
S=$T/src
mkdir -p "$S/dir/sub" "$S/nested/deeper/deepest" "$S/three hundred"
echo "hello from the host" >"$S/hello.txt"
head -c 2000000 /dev/urandom >"$S/dir/sub/random.bin"
head -c 10485760 /dev/urandom >"$S/ten-megabytes.bin"
echo "long" >"$S/A long name for a file.text"
echo "a long name" >"$S/A rather long file name, for the VFAT entries.text"
echo "deep" >"$S/nested/deeper/deepest/file"
i=0
while [ $i -lt 300 ]; do echo "entry $i" >"$S/three hundred/file $i.txt"; i=$((i + 1)); done
host_sums "$S" >"$T/host-sums"
D=$T/disk.img
run "$UKBUILD" disk create "$D" --size 32M --from "$S"
check $N/create status_is 0
guest --disk "$D:/data" "$IMG" sums /data
guest_sums >"$T/guest-sums"
check $N/host-to-guest-bytes cmp -s "$T/guest-sums" "$T/host-sums"
check $N/host-to-guest-300-entries test "$(grep -c 'three hundred/' "$T/guest-sums")" -eq 300
check $N/host-to-guest-10MB grep -q " 10485760 ten-megabytes.bin" "$T/guest-sums"

# ---- guest -> host: what the guest wrote, as mtools reads it ----
guest --disk "$D:/data" "$IMG" write /data
check $N/guest-writes no_fail
wrote_sums >"$T/wrote"
check $N/fsck-after-exit fsck_clean "$D"
rm -rf "$T/back" && mkdir "$T/back" && mcopy -s -n -i "$D" ::/guest "$T/back/" 2>/dev/null
host_sums "$T/back" >"$T/read"
check $N/guest-to-host-bytes sh -c "[ -s '$T/wrote' ] && cmp -s '$T/read' '$T/wrote'"
# each FAT variant, fresh
for v in 12:4M 16:32M 32:64M; do
	W=$T/w${v%%:*}.img
	"$UKBUILD" disk create "$W" --size "${v#*:}" --fat "${v%%:*}" >/dev/null 2>&1
	guest --disk "$W:/data" "$IMG" write /data
	check "$N/guest-writes-fat${v%%:*}" no_fail
	check "$N/guest-writes-fat${v%%:*}-fsck" fsck_clean "$W"
	wrote_sums >"$T/wrote-fat"
	rm -rf "$T/back" && mkdir "$T/back"
	mcopy -s -n -i "$W" ::/guest "$T/back/" 2>/dev/null
	host_sums "$T/back" >"$T/read"
	check "$N/guest-to-host-bytes-fat${v%%:*}" sh -c "[ -s '$T/wrote-fat' ] && cmp -s '$T/wrote-fat' '$T/read'"
done
check $N/guest-kept-mtime sh -c "TZ=UTC mdir -i '$T/w32.img' ::/guest/small.txt | grep -q '2009-02-13  23:31'"
# A second boot reads what the first wrote.
guest --disk "$T/w32.img:/data" "$IMG" sums /data/guest
guest_sums | sed 's|^\([0-9]* [0-9]*\) |\1 guest/|' | sort -k3 >"$T/again"
check $N/second-boot-reads-it cmp -s "$T/again" "$T/wrote-fat"

# ---- two disks at once, each where its ID says: the second run sees the
# host's files and the first run's ----
E=$T/other.img
echo "on the other disk" >"$T/other-disk.txt"
"$UKBUILD" disk create "$E" --size 4M >/dev/null 2>&1
"$UKBUILD" disk put "$E" "$T/other-disk.txt" / >/dev/null 2>&1
guest --disk "$D:/data" --disk "$E:/mnt/other" "$IMG" sums /data /mnt/other
(cd "$T" && cksum other-disk.txt) >"$T/other-sum"
sort -k3 "$T/host-sums" "$T/wrote" "$T/other-sum" >"$T/expect"
guest_sums >"$T/seen"
check $N/second-run-reads-everything cmp -s "$T/expect" "$T/seen"
check $N/two-disks grep -qxFf "$T/other-sum" "$T/seen"
if ! on_ukrun; then
	# no ID from the monitor: mounted at /disk0
	guest --disk "$D" "$IMG" sums /disk0
	sort -k3 "$T/host-sums" "$T/wrote" >"$T/expect"
	guest_sums >"$T/seen"
	check $N/default-mount-point cmp -s "$T/seen" "$T/expect"
fi

# ---- read-only: EROFS inside, the image unchanged outside ----
before=$(sha256sum <"$D")
guest --disk "$D:/data:ro" "$IMG" ro /data
check $N/ro-erofs no_fail
check $N/ro-image-unchanged test "$before" = "$(sha256sum <"$D")"

# ---- a full disk: ENOSPC, the volume still consistent ----
F=$T/full.img
"$UKBUILD" disk create "$F" --size 2M >/dev/null 2>&1
guest --disk "$F:/data" "$IMG" full /data
check $N/full-enospc no_fail
check $N/full-fsck fsck_clean "$F"
size=$(sed -n 's/.*ENOSPC after \([0-9]*\) bytes.*/\1/p' "$T/out" | head -1)
check $N/full-file-size sh -c "mdir -i '$F' ::/filler.bin | grep -q ' ${size:-x} '"

# ---- names FAT cannot hold ----
guest --disk "$T/w16.img:/data" "$IMG" names /data
check $N/names no_fail
check $N/names-fsck fsck_clean "$T/w16.img"

# ---- a disk without a FAT volume: said so, nothing mounted ----
head -c 1048576 /dev/zero >"$T/zero.img"
guest --disk "$T/zero.img:/data" "$IMG" sums /data
check $N/not-fat-message err_has "no FAT volume on it"
on_ukrun || exit 0

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
grep '^bench' "$T/out" | sed 's/^/disk-ukrun: /'
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
