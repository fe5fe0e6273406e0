#!/bin/sh
# Container images under ukrun: unmodified Linux programs from Debian's
# packages (built into images by the host suite's tests/e2e/host/oci_run.sh
# in build/tests/oci/), ukrun's -- ARGS replacing Cmd and -e over Env,
# --trace showing the dynamic loader's opens and mmaps, the vDSO keeping
# clock calls off the trap path.
. tests/e2e/lib.sh
native_check oci
O=build/tests/oci

if [ ! -f "$O/busybox.img" ] || [ ! -f "$O/sqlite.img" ] || [ ! -f "$O/python.img" ]; then
	skip oci-kvm/images "$O/*.img are made by the host suite (tests/e2e/host/oci_run.sh): run it first"
	exit 0
fi

run "$UKRUN" "$O/busybox.img"
check oci-kvm/busybox/status status_is 0
check oci-kvm/busybox/builtins out_has '^x=42$'
check oci-kvm/busybox/exec-applet out_has '^NEW=exported$'
run "$UKRUN" "$O/busybox.img" -- sh -c 'echo "args replace Cmd: $1 $2"; exit 5' zero one two
check oci-kvm/busybox/args-replace-cmd out_has '^args replace Cmd: one two$'
check oci-kvm/busybox/exit-status status_is 5
run "$UKRUN" -e GREETING=from-ukrun "$O/busybox.img" -- sh -c 'echo "$GREETING"'
check oci-kvm/busybox/env-over-image out_is from-ukrun

run "$UKRUN" "$O/sqlite.img"
check oci-kvm/sqlite/query out_is "$(cat "$O/sqlite.expected")"
run "$UKRUN" "$O/sqlite.img" -- :memory: 'select 6*7;'
check oci-kvm/sqlite/args out_is 42

# --trace: the dynamic loader opens the libraries and maps them.
run "$UKRUN" --trace "$O/sqlite.img" -- :memory: 'select 1;'
check oci-kvm/trace/exec-line err_has '^\[uk\] exec /usr/bin/sqlite3: dynamic PIE, interpreter /lib64/ld-linux-x86-64.so.2'
# (the trace shows at most 32 bytes of a string)
check oci-kvm/trace/opens-libsqlite err_has '^\[uk\] openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libsqlite3".*, O_RDONLY|O_CLOEXEC, .*) = 3$'
check oci-kvm/trace/opens-libc err_has '^\[uk\] openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC, .*) = 3$'
check oci-kvm/trace/maps-libraries err_has '^\[uk\] mmap(0x[0-9a-f]*, [0-9]*, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED[A-Z_|]*, 3, 0x[0-9a-f]*) = 0x'
check oci-kvm/trace/arch-prctl err_has '^\[uk\] arch_prctl('

# The vDSO: a thousand clock reads, no clock system call.
run "$UKRUN" --trace "$O/python.img" -- -c 'import time; [time.time() for i in range(1000)]; [time.monotonic() for i in range(1000)]; print("ok")'
check oci-kvm/vdso/python-ran out_is ok
n=$(grep -c '^\[uk\] clock_gettime(' "$T/err")
check oci-kvm/vdso/no-clock-traps test "$n" -lt 10

run "$UKRUN" "$O/python.img"
check oci-kvm/python/computed-cwd-env out_is "$(cat "$O/python.expected")"

# A system call and a clock read: link mode (a function call) against a
# Linux program (the syscall instruction; the vDSO). Numbers, not limits.
if [ -f "$O/bench.img" ]; then
	run "$UKRUN" build/tests/guest/binary_bench.img
	check oci-kvm/bench/link out_has '^bench link getppid'
	cat "$T/out"
	run "$UKRUN" "$O/bench.img"
	check oci-kvm/bench/binary out_has '^bench binary getppid'
	cat "$T/out"
fi
