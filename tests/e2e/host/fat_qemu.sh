#!/bin/bash
# FAT disks under QEMU (-device virtio-blk-device): the guest driver, the
# FAT filesystem and its VFS glue, checked against mtools and fsck.fat on
# the host. The ukrun side (locks, SIGKILL) is tests/e2e/kvm/disk.sh.
. tests/e2e/lib.sh
G=build/tests/guest/fat.img

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v mcopy >/dev/null ||
	! command -v fsck.fat >/dev/null; then
	skip fat-qemu/all "needs qemu-system-x86_64, mtools and dosfstools (ci/deps.sh)"
	exit 0
fi
export MTOOLS_SKIP_CHECK=1

# qemu_fat DISK[,readonly=on] ARGS...: the fat test image with DISK at
# /data (its ID), output in $T/out, the guest's exit status in $rc.
qemu_fat() {
	local disk=$1
	shift
	timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit -global virtio-mmio.force-legacy=false \
		-drive "if=none,id=d0,format=raw,file=$disk" -device virtio-blk-device,drive=d0,serial=/data \
		-kernel "$G" -append "-- $*" </dev/null >"$T/out" 2>"$T/err"
	rc=$((($? - 1) / 2))
}
fsck_clean() { fsck.fat -n "$1" >"$T/fsck" 2>&1; }
no_fail() { [ "$rc" -eq 0 ] && ! grep -q '^FAIL' "$T/out"; }
# "cksum size path" of every file below $1, paths relative to it, sorted.
host_sums() { (cd "$1" && find . -type f -print0 | xargs -0 cksum) | sed 's| \./| |' | sort -k3; }

# ---- host -> guest: what mtools put there reads back byte for byte ----
S=$T/src
mkdir -p "$S/nested/deeper/deepest" "$S/three hundred"
head -c 10485760 /dev/urandom >"$S/ten-megabytes.bin"
echo "small" >"$S/small.txt"
echo "a long name" >"$S/A rather long file name, for the VFAT entries.text"
echo "deep" >"$S/nested/deeper/deepest/file"
i=0
while [ $i -lt 300 ]; do echo "entry $i" >"$S/three hundred/file $i.txt"; i=$((i + 1)); done
D=$T/in.img
run $UKBUILD disk create "$D" --size 32M --from "$S"
check fat-qemu/made-with-mtools status_is 0
qemu_fat "$D" sums /data
grep -E '^[0-9]+ [0-9]+ ' "$T/out" | tr -d '\r' | sort -k3 >"$T/guest-sums"
host_sums "$S" >"$T/host-sums"
check fat-qemu/host-to-guest-bytes cmp -s "$T/guest-sums" "$T/host-sums"
check fat-qemu/host-to-guest-300-entries test "$(grep -c 'three hundred/' "$T/guest-sums")" -eq 300
check fat-qemu/host-to-guest-10MB grep -q " 10485760 ten-megabytes.bin" "$T/guest-sums"

# ---- guest -> host: what the guest wrote, as mtools reads it ----
for v in 12:4M 16:32M 32:64M; do
	W=$T/w${v%%:*}.img
	$UKBUILD disk create "$W" --size "${v#*:}" --fat "${v%%:*}" >/dev/null 2>&1
	qemu_fat "$W" write /data
	check "fat-qemu/guest-writes-fat${v%%:*}" no_fail
	check "fat-qemu/guest-writes-fat${v%%:*}-fsck" fsck_clean "$W"
	sed -n '/^sums:/,$p' "$T/out" | tr -d '\r' | grep -E '^[0-9]+ ' | sort -k3 >"$T/wrote"
	rm -rf "$T/back" && mkdir "$T/back"
	mcopy -s -n -i "$W" ::/guest "$T/back/" 2>/dev/null
	host_sums "$T/back" >"$T/read"
	check "fat-qemu/guest-to-host-bytes-fat${v%%:*}" sh -c "[ -s '$T/wrote' ] && cmp -s '$T/wrote' '$T/read'"
done
check fat-qemu/guest-kept-mtime sh -c "TZ=UTC mdir -i '$T/w32.img' ::/guest/small.txt | grep -q '2009-02-13  23:31'"
# A second boot reads what the first wrote.
qemu_fat "$T/w32.img" sums /data/guest
grep -E '^[0-9]+ [0-9]+ ' "$T/out" | tr -d '\r' | sed 's|^\([0-9]* [0-9]*\) |\1 guest/|' |
	sort -k3 >"$T/again"
check fat-qemu/second-boot-reads-it sh -c "cmp -s '$T/again' '$T/wrote'"

# ---- read-only: EROFS, and not one byte of the image changes ----
R=$T/ro.img
$UKBUILD disk create "$R" --size 8M >/dev/null 2>&1
echo hi >"$T/hello.txt" && $UKBUILD disk put "$R" "$T/hello.txt" /hello.txt >/dev/null 2>&1
before=$(sha256sum <"$R")
qemu_fat "$R,readonly=on" ro /data
check fat-qemu/read-only-erofs no_fail
check fat-qemu/read-only-image-unchanged test "$before" = "$(sha256sum <"$R")"

# ---- a full disk: ENOSPC, the volume still consistent ----
F=$T/full.img
$UKBUILD disk create "$F" --size 2M >/dev/null 2>&1
qemu_fat "$F" full /data
check fat-qemu/full-disk-enospc no_fail
check fat-qemu/full-disk-fsck fsck_clean "$F"
size=$(sed -n 's/.*ENOSPC after \([0-9]*\) bytes.*/\1/p' "$T/out" | head -1)
check fat-qemu/full-disk-file-size sh -c "mdir -i '$F' ::/filler.bin | grep -q ' ${size:-x} '"

# ---- names FAT cannot hold ----
qemu_fat "$T/w16.img" names /data
check fat-qemu/names no_fail
check fat-qemu/names-fsck fsck_clean "$T/w16.img"

# ---- no ID from the monitor: mounted at /disk0 ----
timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
	-nographic -serial stdio -device isa-debug-exit -global virtio-mmio.force-legacy=false \
	-drive "if=none,id=d0,format=raw,file=$D" -device virtio-blk-device,drive=d0 \
	-kernel "$G" -append "-- sums /disk0" </dev/null >"$T/out" 2>"$T/err"
grep -E '^[0-9]+ [0-9]+ ' "$T/out" | tr -d '\r' | sort -k3 >"$T/guest-sums"
check fat-qemu/default-mount-point cmp -s "$T/guest-sums" "$T/host-sums"

# ---- a disk without a FAT volume: said so, nothing mounted ----
head -c 1048576 /dev/zero >"$T/zero.img"
qemu_fat "$T/zero.img" sums /data
check fat-qemu/not-fat-message grep -q "no FAT volume on it" "$T/out"

# ---- two disks at once, each where its ID says ----
echo "on the other disk" >"$T/other-disk.txt"
$UKBUILD disk create "$T/other.img" --size 4M >/dev/null 2>&1
$UKBUILD disk put "$T/other.img" "$T/other-disk.txt" / >/dev/null 2>&1
timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
	-nographic -serial stdio -device isa-debug-exit -global virtio-mmio.force-legacy=false \
	-drive "if=none,id=d0,format=raw,file=$D" -device virtio-blk-device,drive=d0,serial=/data \
	-drive "if=none,id=d1,format=raw,file=$T/other.img" \
	-device virtio-blk-device,drive=d1,serial=/mnt/other \
	-kernel "$G" -append "-- sums /data /mnt/other" </dev/null >"$T/out" 2>"$T/err"
grep -E '^[0-9]+ [0-9]+ ' "$T/out" | tr -d '\r' | sort -k3 >"$T/guest-sums"
(cat "$T/host-sums"; cd "$T" && cksum other-disk.txt) | sort -k3 >"$T/expect"
check fat-qemu/two-disks cmp -s "$T/guest-sums" "$T/expect"
