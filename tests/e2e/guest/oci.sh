#!/bin/sh
# Unmodified Linux programs from container images (made from Debian's
# packages by the host suite's tests/e2e/host/oci_images.sh, in
# build/tests/oci/): a static busybox, sqlite3, lua5.4 and python3, the
# whiteouts of layered images seen from inside, and a test program built
# as static, static-pie and dynamic against glibc and musl. Expected
# results come from the same binaries run on the build machine. Under ukrun
# also what only ukrun has: -e over the image's Env, --trace showing the
# dynamic loader's opens and mmaps and the vDSO keeping clock calls off the
# trap path.
. tests/e2e/lib.sh
runner_ready oci || exit 0
O=build/tests/oci
N=oci-$UK_ON

for f in busybox.img sqlite.img python.img; do
	if [ ! -f "$O/$f" ]; then
		skip $N/images "$O/*.img are made by the host suite (tests/e2e/host/oci_images.sh): run it first"
		exit 0
	fi
done
# boot NAME [ARG...]: $O/NAME.img booted; false with a SKIP line when the
# host suite could not make it (oci_images.sh said why).
boot() {
	if [ ! -f "$O/$1.img" ]; then
		skip "$N/$1" "$O/$1.img was not made (tests/e2e/host/oci_images.sh says why)"
		return 1
	fi
	_img=$O/$1.img
	shift
	guest "$_img" "$@"
}

# ---- busybox: builtins, then an applet through exec ----
guest "$O/busybox.img"
check $N/busybox/status status_is 0
check $N/busybox/echo out_has '^hello$'
check $N/busybox/image-env out_has '^hello from the busybox image$'
check $N/busybox/workdir-from-config out_has '^/home/uk$'
check $N/busybox/cd out_has '^/bin$'
check $N/busybox/arithmetic out_has '^x=42$'
check $N/busybox/loop out_has '^1-2-3-$'
check $N/busybox/test out_has '^tmp-is-dir$'
check $N/busybox/function out_has '^in f arg$'
check $N/busybox/read out_has "^read: $(cat "$O/busybox-readme.expected")\$"
check $N/busybox/case out_has '^case-ok$'
check $N/busybox/exec-applet out_has '^NEW=exported$'
check $N/busybox/home-from-passwd out_has '^HOME=/root$'
# a volume at the working directory takes relative paths (redis's dump.rdb
# in /data): the directory is entered after the volumes are mounted
mkdir -p "$T/wd"
guest -v "$T/wd:/home/uk" "$O/busybox.img" sh -c 'echo relative >written-here'
check $N/busybox/volume-at-workdir test "$(cat "$T/wd/written-here" 2>/dev/null)" = relative
# the command line's ARGS replace the image's Cmd
guest "$O/busybox.img" sh -c 'echo args replace Cmd: $1 $2; exit 5' zero one two
check $N/busybox/args-replace-cmd out_has '^args replace Cmd: one two$'
check $N/busybox/exit-status status_is 5
if on_ukrun; then
	run "$UKRUN" -e GREETING=from-ukrun "$O/busybox.img" -- sh -c 'echo "$GREETING"'
	check $N/busybox/env-over-image out_is from-ukrun
	run "$UKRUN" --hostname web-1 "$O/busybox.img" -- sh -c 'uname -n; hostname other; uname -n'
	check $N/busybox/hostname out_is "web-1
other"
	run "$UKRUN" "$O/busybox.img" -- uname -n
	check $N/busybox/hostname-default out_is uk
	# --read-only: the root refuses writes; a --tmpfs and /dev/shm do not
	run "$UKRUN" --read-only --tmpfs /scratch "$O/busybox.img" -- sh -c \
		'echo x >/bin/f; mkdir /d; echo y >/scratch/f && cat /scratch/f; echo z >/dev/shm/z && cat /dev/shm/z; grep " / " /proc/mounts'
	check $N/busybox/read-only-refused err_has 'Read-only file system'
	check $N/busybox/read-only-nothing-made test "$(grep -c 'Read-only file system' "$T/err")" -eq 2
	check $N/busybox/read-only-tmpfs-writable out_has '^y$'
	check $N/busybox/read-only-shm-writable out_has '^z$'
	check $N/busybox/read-only-in-mounts out_has ' / ramfs ro'
	run "$UKRUN" --tmpfs /tmp "$O/busybox.img" -- sh -c 'grep " /tmp " /proc/mounts'
	check $N/busybox/tmpfs-mounted out_has '^tmpfs /tmp [a-z]* rw'
	run "$UKRUN" --tmpfs /a:size=1m "$O/busybox.img" -- true
	check $N/busybox/tmpfs-options-refused err_has "^ukrun: --tmpfs '/a:size=1m': expected an absolute path"
	run "$UKRUN" --hostname 'a b' "$O/busybox.img" -- true
	check $N/busybox/hostname-checked err_has "^ukrun: --hostname 'a b': expected 1 to 64 letters"
	# docker's -w, --env-file, --entrypoint (which drops the image's
	# Cmd; "" none) and --memory, and --rm accepted
	run "$UKRUN" -w /tmp --rm "$O/busybox.img" -- pwd
	check $N/busybox/workdir-flag out_is /tmp
	run "$UKRUN" -w tmp "$O/busybox.img" -- pwd
	check $N/busybox/workdir-relative-refused err_has "^ukrun: -w 'tmp': expected an absolute path"
	printf 'A=1\n# a comment\n\n  \nB\nC=x=y\n  D=4\n' >"$T/env"
	run env B=2 "$UKRUN" --env-file "$T/env" --memory 96M "$O/busybox.img" -- sh -c \
		'echo "$A$B-$C-$D"; grep MemTotal /proc/meminfo'
	check $N/busybox/env-file out_has '^12-x=y-4$'
	check $N/busybox/memory-flag out_has '^MemTotal: *9[0-9][0-9][0-9][0-9] kB$'
	run "$UKRUN" --env-file "$T/none" "$O/busybox.img" -- true
	check $N/busybox/env-file-missing err_has "^ukrun: --env-file $T/none: No such file"
	printf 'A B=1\n' >"$T/env2"
	run "$UKRUN" --env-file "$T/env2" "$O/busybox.img" -- true
	check $N/busybox/env-file-blank-in-name err_has "^ukrun: --env-file $T/env2: 'A B=1': a variable's name"
	if [ -f "$O/busybox-ls.img" ]; then
		run "$UKRUN" --entrypoint /bin/echo "$O/busybox-ls.img" over the entrypoint
		check $N/busybox/entrypoint-flag out_is "over the entrypoint"
		run "$UKRUN" --entrypoint /bin/echo "$O/busybox-ls.img" # (Cmd: -1 /)
		check $N/busybox/entrypoint-drops-cmd out_is "" # (echo alone: an empty line)
		run "$UKRUN" --entrypoint "" "$O/busybox-ls.img" /bin/echo no entrypoint
		check $N/busybox/entrypoint-empty out_is "no entrypoint"
	fi
fi
if boot busybox-applet-last; then
	check $N/busybox/applet-last out_has "^$(cat "$O/busybox-applet-last.expected")\$"
fi
if boot busybox-ls; then
	check $N/busybox/applet-entrypoint out_has '^home$'
	check $N/busybox/applet-entrypoint-status status_is 0
fi
boot busybox-exit7 && check $N/busybox/exit-status-passed status_is 7
if boot busybox-fork; then # ls runs in a child process
	check $N/busybox/fork-runs-ls out_has '^b$'
	check $N/busybox/fork-ls-output out_has 'etc'
fi
if boot busybox-script; then
	check $N/busybox/script-entrypoint out_has '^script /usr/local/bin/run.sh arg1$'
fi
if boot busybox-missing; then
	check $N/missing-program-127 status_is 127
	check $N/missing-program-says err_has 'no-such-program: not found'
fi

# ---- whiteouts, seen from inside ----
if boot layers; then
	check $N/layers/kept out_has '^/data/keep$'
	check $N/layers/whiteout sh -c "! grep -q '/data/gone' '$T/out'"
	check $N/layers/whiteout-subdir sh -c "grep -q '^/data/dir/b$' '$T/out' && ! grep -q '/data/dir/a' '$T/out'"
	check $N/layers/opaque sh -c "grep -q '^/opq/new2$' '$T/out' && ! grep -q '/opq/old' '$T/out'"
	check $N/layers/later-layer out_has '^from the third layer$'
	check $N/layers/through-link out_has 'echo through the link'
fi

# ---- dynamic glibc programs from Debian ----
guest "$O/sqlite.img"
check $N/sqlite/status status_is 0
check $N/sqlite/query out_is "$(cat "$O/sqlite.expected")"
guest "$O/sqlite.img" :memory: 'select 6*7;'
check $N/sqlite/args out_is 42
if boot sqlite-cmd; then
	check $N/sqlite/cmd-override out_is "$(cat "$O/sqlite-cmd.expected")"
fi

if boot lua; then
	check $N/lua/status status_is 0
	check $N/lua/computed out_has "^$(cat "$O/lua.expected")	"
	check $N/lua/env-from-config out_has '	hello from the lua image	'
	check $N/lua/workdir-from-config out_has '	a file read relative to the working directory$'
fi

guest -M 384M "$O/python.img"
check $N/python/status status_is 0
check $N/python/computed-cwd-env out_is "$(cat "$O/python.expected")"

# ---- the test program: static, static-pie, dynamic; glibc and musl ----
for v in static static-pie dynamic musl-static musl-dynamic; do
	boot linuxprog-$v || continue
	check "$N/linuxprog-$v/status-42" status_is 42
	check "$N/linuxprog-$v/all-checks" out_has '^done 0 failed$'
	n=$(grep -c '^ok ' "$T/out")
	check "$N/linuxprog-$v/checks-ran" test "$n" -ge 25
	# signals: a fault's handler, kill() to itself, alarm() while spinning,
	# a handler that moves %rsp (Go's preemption), nothing written below a
	# preempted or signalled thread's %rsp, SA_RESTART
	boot linuxprog-$v-signals || continue
	check "$N/linuxprog-$v/signals" out_has '^done 0 failed$'
	check "$N/linuxprog-$v/signals-ran" test "$(grep -c '^ok ' "$T/out")" -eq 8
done

# ---- a system call and a clock read: link mode (a function call) against
# a Linux program (the syscall instruction; the vDSO). Numbers, not
# limits. ----
guest build/tests/guest/binary_bench.img
check $N/bench/link out_has '^bench link getppid'
grep '^bench' "$T/out"
if boot bench; then
	check $N/bench/binary out_has '^bench binary getppid [0-9.]* clock_gettime [0-9.]*$'
	grep '^bench' "$T/out"
fi
on_ukrun || exit 0

# --trace: the dynamic loader opens the libraries and maps them.
run "$UKRUN" --trace "$O/sqlite.img" -- :memory: 'select 1;'
check $N/trace/exec-line err_has '^\[uk\] exec /usr/bin/sqlite3: dynamic PIE, interpreter /lib64/ld-linux-x86-64.so.2'
# (the trace shows at most 32 bytes of a string)
check $N/trace/opens-libsqlite err_has '^\[uk\] openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libsqlite3".*, O_RDONLY|O_CLOEXEC, .*) = 3$'
check $N/trace/opens-libc err_has '^\[uk\] openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC, .*) = 3$'
check $N/trace/maps-libraries err_has '^\[uk\] mmap(0x[0-9a-f]*, [0-9]*, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED[A-Z_|]*, 3, 0x[0-9a-f]*) = 0x'
check $N/trace/arch-prctl err_has '^\[uk\] arch_prctl('
# A VM stopped while the program waits (--timeout) still shows the calls
# made before the wait: the buffered lines go out when the vCPU idles (they
# were lost, the trace ending at the exec line).
run "$UKRUN" --trace --timeout 2 "$O/busybox.img" sleep 30
check $N/trace/flushed-before-idle sh -c "[ $rc -eq 124 ] && awk '/^\[uk\] exec \/bin\/sleep/ { f = 1; next }
	f && /^\[uk\] [a-z_0-9]*\(/ { n++ } END { exit !n }' '$T/err'"

# The vDSO: a thousand clock reads, no clock system call.
run "$UKRUN" --trace "$O/python.img" -- -c 'import time; [time.time() for i in range(1000)]; [time.monotonic() for i in range(1000)]; print("ok")'
check $N/vdso/python-ran out_is ok
n=$(grep -c '^\[uk\] clock_gettime(' "$T/err")
check $N/vdso/no-clock-traps test "$n" -lt 10
