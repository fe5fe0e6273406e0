#!/bin/bash
# Our 9P client against a server nobody here wrote: QEMU's own virtio-9p
# (-fsdev local) serving the guest under QEMU (TCG, no KVM needed), with
# the same guest program the ukrun suite runs. And Debian's diod, which
# cannot be reached: see the SKIP below.
. tests/e2e/lib.sh
IMG=build/tests/guest/p9.img
FS=build/tests/guest/fs.img

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip p9-qemu/all "qemu-system-x86_64 is not installed"
	exit 0
fi

qemu9p() { # DIR TAG FSDEV-OPTS IMAGE ARGS
	timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit \
		-global virtio-mmio.force-legacy=false \
		-fsdev "local,id=fs0,path=$1,security_model=none$3" \
		-device "virtio-9p-device,fsdev=fs0,mount_tag=$2" -kernel "$4" -append "-- $5" </dev/null
}
snapshot() { (cd "$1" && find . -printf '%p %m %s %n %l\n' | sort && find . -type f -exec md5sum {} +); }

p9_make_share
snapshot "$T/outside" >"$T/outside.before"
run qemu9p "$T/share" /data "" "$IMG" "basic /data"
p9_results p9-qemu
check p9-qemu/basic-status test $(((rc - 1) / 2)) -eq 0
check p9-qemu/guest-file-on-host-byte-for-byte cmp -s "$T/share/guest.txt" <(printf 'written by the guest\n')
check p9-qemu/outside-unchanged cmp -s "$T/outside.before" <(snapshot "$T/outside")

# QEMU's read-only export: its server says EROFS, our client passes it on.
p9_make_share
snapshot "$T/share" >"$T/share.before"
run qemu9p "$T/share" /data ",readonly=on" "$IMG" "ro /data"
p9_results p9-qemu
check p9-qemu/ro-share-unchanged cmp -s "$T/share.before" <(snapshot "$T/share")

# A file copied through the guest both ways (smaller than under ukrun:
# TCG runs the guest ~10x slower).
p9_make_share
head -c $((32 << 20)) /dev/urandom >"$T/share/in.bin"
run qemu9p "$T/share" /data "" "$IMG" "copy /data/in.bin /data/out.bin"
check p9-qemu/copy-32M-checksums cmp -s "$T/share/in.bin" "$T/share/out.bin"
rm -f "$T/share/in.bin" "$T/share/out.bin"

# The file system suite with /tmp on QEMU's server (the same selection as
# under ukrun; QEMU also reports its own st_blksize, so no "stat").
if [ -f "$FS" ]; then
	rm -rf "$T/tmp" && mkdir -p "$T/tmp"
	run qemu9p "$T/tmp" /tmp "" "$FS" "open_create open_flags badf partial_read append seek \
sparse positioned vectored big_file dup_shared_pos fcntl cloexec mkdir_rmdir unlink_open \
dir_listing getdents_small link symlink symlink_loop cwd truncate access umask \
chmod_chown utimes sendfile fallocate fsync names realpath"
	grep -E '^(PASS|FAIL) fs/' "$T/out" | tr -d '\r' | sed 's#^\([A-Z]*\) fs/#\1 p9-qemu/fs-on-9p/#'
	check p9-qemu/fs-suite-on-9p test $(((rc - 1) / 2)) -eq 0
fi

skip p9-diod/interop "diod serves 9P over TCP or RDMA sockets; ukrun's only 9P transport is virtio-9p backed by its own gofer, and the guest has no 9P-over-TCP client, so diod cannot be put behind a uk guest"
