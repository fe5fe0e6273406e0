#!/bin/sh
# 9P volumes: the guest program tests/guest/p9 inside, the host tree
# checked from outside. Under ukrun the share is served by ukrun's gofer
# (-v HOST:GUEST[:ro]); under QEMU by QEMU's own virtio-9p (-fsdev local), a
# server nobody here wrote. Under ukrun also what only ukrun has: fsync
# then SIGKILL, the gofer's death, exits per operation (--verbose), bad
# options, an image's declared volume point.
. tests/e2e/lib.sh
runner_ready p9 || exit 0
IMG=build/tests/guest/p9.img
FS=build/tests/guest/fs.img
N=p9-$UK_ON

# p9_make_share: $T/share with a file from the host and links that point
# out of it, next to $T/outside that nothing may change. p9_results
# PREFIX: the guest's PASS/FAIL lines in $T/out, renamed.
p9_make_share() {
	rm -rf "$T/share" "$T/outside"
	mkdir -p "$T/share/sub" "$T/outside"
	printf 'hello from the host\n' >"$T/share/host.txt"
	echo SECRET >"$T/outside/secret"
	ln -s "$T/outside/secret" "$T/share/hostabs"
	ln -s ../outside/secret "$T/share/hostrel"
}
p9_results() {
	grep -E '^(PASS|FAIL) p9/' "$T/out" | sed "s#^\([A-Z]*\) p9/#\1 $1/#"
}

snapshot() { # DIR: names, sizes, modes, link counts, link targets, contents
	(cd "$1" && ls -lAR . | sed 's/ [A-Z][a-z][a-z] [ 0-9]* [0-9:]* / /' &&
		find . -type f -exec md5sum {} \;)
}
md5() { md5sum <"$1" 2>/dev/null | cut -d' ' -f1; }

# ---- a read-write share ----
p9_make_share
snapshot "$T/outside" >"$T/outside.before"
guest -v "$T/share:/data" "$IMG" basic /data
p9_results $N
check $N/basic-status status_is 0
check $N/guest-file-on-host-byte-for-byte cmp -s "$T/share/guest.txt" - <<EOF
written by the guest
EOF
snapshot "$T/outside" >"$T/outside.after"
check $N/outside-unchanged cmp -s "$T/outside.before" "$T/outside.after"
check $N/host-links-untouched test "$(readlink "$T/share/hostabs")" = "$T/outside/secret"

# ---- read-only (QEMU's read-only export: its server says EROFS, our
# client passes it on) ----
p9_make_share
snapshot "$T/share" >"$T/share.before"
guest -v "$T/share:/data:ro" "$IMG" ro /data
p9_results $N
check $N/ro-status status_is 0
snapshot "$T/share" >"$T/share.after"
check $N/ro-share-unchanged cmp -s "$T/share.before" "$T/share.after"

# ---- a file through the guest and back (smaller under QEMU: TCG runs the
# guest ~10x slower; and in the nested host, whose files are all in its
# 2 GiB of RAM) ----
if on_ukrun && [ -z "${UK_NESTED:-}" ]; then MB=256; else MB=32; fi
p9_make_share
dd if=/dev/urandom of="$T/share/in.bin" bs=1M count=$MB 2>/dev/null
guest -m 64M -v "$T/share:/data" "$IMG" copy /data/in.bin /data/out.bin
check $N/copy-${MB}M-status status_is 0
check $N/copy-${MB}M-checksums test "$(md5 "$T/share/in.bin")" = "$(md5 "$T/share/out.bin")"
grep '^copied' "$T/out" | sed "s/^/$N: /"
rm -f "$T/share/in.bin" "$T/share/out.bin"

# ---- the file system suite with /tmp on a share ----
if [ -f "$FS" ]; then
	rm -rf "$T/tmp" && mkdir -p "$T/tmp"
	# Not here: mknod (no FIFOs on a share), rename and rename_dirs
	# (RENAME_EXCHANGE: not in 9P, EINVAL as on Linux), statx (newlib's
	# 16-bit ino_t vs the host's inode numbers), statfs (expects ramfs's
	# numbers). Under ukrun: stat, and FS_SHARE (chmod_chown expects
	# set-user-ID dropped, as ukrun's gofer does); QEMU's server reports its
	# own st_blksize (no stat) and keeps set-user-ID.
	if on_ukrun; then
		fsopt="-e FS_SHARE=1" stat=stat
	else
		fsopt= stat=
	fi
	guest $fsopt -v "$T/tmp:/tmp" "$FS" open_create open_flags badf partial_read append seek \
		sparse positioned vectored big_file dup_shared_pos fcntl cloexec $stat mkdir_rmdir \
		unlink_open dir_listing getdents_small link symlink symlink_loop cwd \
		truncate access umask chmod_chown utimes sendfile fallocate fsync names realpath
	grep -E '^(PASS|FAIL) fs/' "$T/out" | sed "s#^\([A-Z]*\) fs/#\1 $N/fs-on-9p/#"
	check $N/fs-suite-on-9p status_is 0
fi

if ! on_ukrun; then
	skip p9-diod/interop "diod serves 9P over TCP or RDMA sockets; ukrun's only 9P transport is virtio-9p backed by its own gofer, and the guest has no 9P-over-TCP client, so diod cannot be put behind a uk guest"
	exit 0
fi

# The gofer: ukrun PID's one child process.
gofer_of() {
	grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null |
		sed 's|/proc/\([0-9]*\)/status|\1|'
}
# PID has ended (gone, or a zombie its new parent has not reaped yet).
dead() { ! [ -e /proc/$1 ] || grep -q '^State:[[:space:]]*Z' /proc/$1/status 2>/dev/null; }

# ---- fsync, then SIGKILL: what was fsynced is on the host ----
p9_make_share
"$UKRUN" -v "$T/share:/data" "$IMG" fsync /data >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^fsynced' "$T/out"; do sleep 0.1; i=$((i + 1)); done
gofer=$(gofer_of $pid)
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
rc=$?
check p9-ukrun/fsync-reached grep -q '^fsynced' "$T/out"
check p9-ukrun/killed-by-sigkill status_is 137
i=0
while [ $i -lt 50 ] && [ -n "$gofer" ] && ! dead $gofer; do sleep 0.1; i=$((i + 1)); done
check p9-ukrun/gofer-dies-with-ukrun test -n "$gofer" -a $i -lt 50
expect=$(awk 'BEGIN { for (i = 0; i < 65536; i++) printf "line %06d\n", i }' | md5sum | cut -d' ' -f1)
check p9-ukrun/fsynced-data-on-host test "$(md5 "$T/share/fsynced")" = "$expect"

# ---- the gofer killed: the VM ends at once, 125, naming it ----
p9_make_share
: >"$T/out" # not the last run's "fsynced"
"$UKRUN" --timeout 120 -v "$T/share:/data" "$IMG" fsync /data >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^fsynced' "$T/out"; do sleep 0.1; i=$((i + 1)); done
gofer=$(gofer_of $pid)
check p9-ukrun/gofer-found test -n "$gofer"
kill -9 ${gofer:-$pid} 2>/dev/null
wait $pid
rc=$?
check p9-ukrun/killed-gofer-status status_is 125
check p9-ukrun/killed-gofer-named err_has "^ukrun: the gofer of /data (process ${gofer:-x}) was killed by signal 9 (SIGKILL); the VM stops\$"

# ---- no exits to ukrun for file operations ----
p9_make_share
run "$UKRUN" --verbose -v "$T/share:/data" "$IMG" bench /data 0 0
base=$(sed -n 's/.*exits to ukrun: \([0-9]*\).*/\1/p' "$T/err")
run "$UKRUN" --verbose -v "$T/share:/data" "$IMG" bench /data 16 500
busy=$(sed -n 's/.*exits to ukrun: \([0-9]*\).*/\1/p' "$T/err")
here=$(sed -n 's/.*requests through the gofer, \([0-9]*\) reads and writes here$/\1/p' "$T/err")
grep '^bench:' "$T/out" | sed 's/^/p9-ukrun: /'
echo "p9-ukrun: exits to ukrun: $base without file I/O, $busy with 16 MiB each way + 500 small files"
# 16 + 16 MiB in 1 MiB calls and 500 x 4 file calls: ~2000 operations.
check p9-ukrun/no-exits-per-operation test -n "$base" -a -n "$busy" -a "$((busy - base))" -le 2
# Reads and writes of open files do not go through the gofer: ukrun serves
# them on the descriptor it handed over (32 MiB in 512 KiB requests).
check p9-ukrun/reads-and-writes-in-ukrun test "${here:-0}" -ge 64

# ---- bad options: one clear line, status 125 ----
run "$UKRUN" -v "$T/missing-dir:/data" "$IMG" basic /data
check p9-ukrun/missing-host-dir clean_error
check p9-ukrun/missing-host-dir-message err_has "missing-dir"
run "$UKRUN" -v "$T/share" "$IMG" basic /data
check p9-ukrun/no-guest-path clean_error
check p9-ukrun/no-guest-path-message err_has "declares none"

# ---- HOST alone: the image's declared volume point (ukbuild --volume /data) ----
p9_make_share
run "$UKRUN" -v "$T/share" build/tests/guest/p9-volume.img basic /data
check p9-ukrun/volume-point-status status_is 0
check p9-ukrun/volume-point-guest-file cmp -s "$T/share/guest.txt" - <<EOF
written by the guest
EOF
p9_make_share
run "$UKRUN" -v "$T/share:relative" "$IMG" basic /data
check p9-ukrun/relative-guest-path clean_error
