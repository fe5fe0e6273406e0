#!/bin/sh
# The file system suite (tests/guest/fs): the guest prints one PASS/FAIL
# line per test, passed on renamed (fs-ukrun/..., fs-qemu/...); the run as a
# whole must end cleanly with its summary line. Under ukrun also what only
# ukrun has: --trace, the RAM filesystem's bench run, console exits.
. tests/e2e/lib.sh
runner_ready fs || exit 0
IMG=build/tests/guest/fs.img
N=fs-$UK_ON

guest "$IMG"
grep -E '^(PASS|FAIL|SKIP) fs/' "$T/out" | sed "s#^\([A-Z]*\) fs/#\1 $N/#"
check $N/suite-complete out_has '^fs: [0-9]* tests, 0 failed$'
check $N/suite-status status_is 0
on_ukrun || exit 0

# --trace names the file calls and their errors, and says what the record
# locks do not do.
run "$UKRUN" --trace "$IMG" -- open_create fcntl
check $N/trace-openat err_has '^\[uk\] openat(AT_FDCWD, "missing", O_RDONLY.*= -1 ENOENT'
check $N/trace-create err_has '^\[uk\] openat(AT_FDCWD, "f", O_RDWR|O_CREAT.*) = [0-9]'
check $N/trace-lock-note err_has 'record lock accepted but not kept'
check $N/trace-status status_is 0

# A link-mode program that calls none of the POSIX terminal API has no
# pseudo-terminals (libos/newlib/glue_pty.c links them): /dev/ptmx is
# ENODEV and --trace says why; the fs suite's pty_api has them.
run "$UKRUN" --trace build/tests/guest/noterm.img
check $N/no-pty-without-the-api out_has '^noterm: ok$'
check $N/no-pty-trace-note err_has 'this image has no pseudo-terminals'

# RAM filesystem throughput (the numbers are for make bench; here only
# that the 64 MiB come back intact).
run "$UKRUN" -m 256M build/tests/guest/fsbench.img
check $N/bench-64MiB out_has '^fsbench: 64 MiB .* 0 bad chunks$'

# A 40 KiB write from a stack buffer (not physically contiguous) is still
# one exit to ukrun; hello's whole run takes a handful.
run "$UKRUN" --verbose build/tests/guest/fsconsole.img -- 40
exits=$(sed -n 's/^ukrun: exits to ukrun: \([0-9]*\).*/\1/p' "$T/err")
check $N/console-stack-write-bytes test "$(wc -c <"$T/out")" -eq 40960
check $N/console-stack-write-one-exit test -n "$exits" -a "${exits:-99}" -le 6
