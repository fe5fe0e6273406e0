#!/bin/sh
# 9P volumes under ukrun (-v HOST:GUEST[:ro]): the guest program
# tests/guest/p9 inside, the host tree checked from outside. POSIX sh: this
# also runs under busybox in the nested standard-KVM host.
. tests/e2e/lib.sh
native_check p9
IMG=build/tests/guest/p9.img
FS=build/tests/guest/fs.img

# The gofer: ukrun PID's one child process.
gofer_of() {
	grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null |
		sed 's|/proc/\([0-9]*\)/status|\1|'
}
# PID has ended (gone, or a zombie its new parent has not reaped yet).
dead() { ! [ -e /proc/$1 ] || grep -q '^State:[[:space:]]*Z' /proc/$1/status 2>/dev/null; }

snapshot() { # DIR: names, sizes, modes, link counts, link targets, contents
	(cd "$1" && ls -lAR . | sed 's/ [A-Z][a-z][a-z] [ 0-9]* [0-9:]* / /' &&
		find . -type f -exec md5sum {} \;)
}

# ---- a read-write share ----
p9_make_share
snapshot "$T/outside" >"$T/outside.before"
run "$UKRUN" -v "$T/share:/data" "$IMG" basic /data
p9_results p9-ukrun
check p9-ukrun/basic-status status_is 0
check p9-ukrun/guest-file-on-host-byte-for-byte cmp -s "$T/share/guest.txt" - <<EOF
written by the guest
EOF
snapshot "$T/outside" >"$T/outside.after"
check p9-ukrun/outside-unchanged cmp -s "$T/outside.before" "$T/outside.after"
check p9-ukrun/host-links-untouched test "$(readlink "$T/share/hostabs")" = "$T/outside/secret"

# ---- read-only ----
p9_make_share
snapshot "$T/share" >"$T/share.before"
run "$UKRUN" -v "$T/share:/data:ro" "$IMG" ro /data
p9_results p9-ukrun
check p9-ukrun/ro-status status_is 0
snapshot "$T/share" >"$T/share.after"
check p9-ukrun/ro-share-unchanged cmp -s "$T/share.before" "$T/share.after"

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
check p9-ukrun/fsynced-data-on-host test "$(md5sum <"$T/share/fsynced" | cut -d' ' -f1)" = "$expect"

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

# ---- 256 MB through the guest and back ----
p9_make_share
dd if=/dev/urandom of="$T/share/in.bin" bs=1M count=256 2>/dev/null
run "$UKRUN" -m 64M -v "$T/share:/data" "$IMG" copy /data/in.bin /data/out.bin
check p9-ukrun/copy-256M-status status_is 0
check p9-ukrun/copy-256M-checksums test "$(md5sum <"$T/share/in.bin" | cut -d' ' -f1)" = \
	"$(md5sum <"$T/share/out.bin" 2>/dev/null | cut -d' ' -f1)"
grep '^copied' "$T/out" | sed 's/^/p9-ukrun: /'
rm -f "$T/share/in.bin" "$T/share/out.bin"

# ---- the file system suite with /tmp on a share ----
if [ -f "$FS" ]; then
	rm -rf "$T/tmp" && mkdir -p "$T/tmp"
	# Not here: mknod (no FIFOs on a share), rename and rename_dirs
	# (RENAME_EXCHANGE: not in 9P, EINVAL as on Linux),
	# statx (newlib's 16-bit ino_t vs the host's inode numbers), statfs
	# (expects ramfs's numbers). FS_SHARE: chmod_chown expects set-user-ID
	# dropped, as a share does.
	run "$UKRUN" -e FS_SHARE=1 -v "$T/tmp:/tmp" "$FS" open_create open_flags badf partial_read append seek \
		sparse positioned vectored big_file dup_shared_pos fcntl cloexec stat mkdir_rmdir \
		unlink_open dir_listing getdents_small link symlink symlink_loop cwd \
		truncate access umask chmod_chown utimes sendfile fallocate fsync names realpath
	grep -E '^(PASS|FAIL) fs/' "$T/out" | tr -d '\r' | sed 's#^\([A-Z]*\) fs/#\1 p9-ukrun/fs-on-9p/#'
	check p9-ukrun/fs-suite-on-9p status_is 0
fi

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
