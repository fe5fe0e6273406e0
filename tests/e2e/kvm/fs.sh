#!/bin/sh
# The file system suite (tests/guest/fs) under ukrun; results are renamed
# fs-ukrun/... so they stand beside the QEMU run's.
. tests/e2e/lib.sh
native_check fs
IMG=build/tests/guest/fs.img

run "$UKRUN" "$IMG"
grep -E '^(PASS|FAIL|SKIP) fs/' "$T/out" | sed 's#^\([A-Z]*\) fs/#\1 fs-ukrun/#'
check fs-ukrun/suite-complete out_has '^fs: [0-9]* tests, 0 failed$'
check fs-ukrun/suite-status status_is 0

# --trace names the file calls and their errors, and says what the record
# locks do not do.
run "$UKRUN" --trace "$IMG" -- open_create fcntl
check fs-ukrun/trace-openat err_has '^\[uk\] openat(AT_FDCWD, "missing", O_RDONLY.*= -1 ENOENT'
check fs-ukrun/trace-create err_has '^\[uk\] openat(AT_FDCWD, "f", O_RDWR|O_CREAT.*) = [0-9]'
check fs-ukrun/trace-lock-note err_has 'record lock accepted but not kept'
check fs-ukrun/trace-status status_is 0

# RAM filesystem throughput (the numbers are for make bench; here only
# that the 64 MiB come back intact).
run "$UKRUN" -m 256M build/tests/guest/fsbench.img
check fs-ukrun/bench-64MiB out_has '^fsbench: 64 MiB .* 0 bad chunks$'

# A 40 KiB write from a stack buffer (not physically contiguous) is still
# one exit to ukrun; hello's whole run takes a handful.
run "$UKRUN" --verbose build/tests/guest/fsconsole.img -- 40
exits=$(sed -n 's/^ukrun: exits to ukrun: \([0-9]*\).*/\1/p' "$T/err")
check fs-ukrun/console-stack-write-bytes test "$(wc -c <"$T/out")" -eq 40960
check fs-ukrun/console-stack-write-one-exit test -n "$exits" -a "${exits:-99}" -le 6
