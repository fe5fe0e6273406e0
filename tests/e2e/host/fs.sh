#!/bin/bash
# The file system suite (tests/guest/fs) under QEMU: the guest prints one
# PASS/FAIL line per test; they are passed on, and the run as a whole must
# end cleanly with its summary line.
. tests/e2e/lib.sh
IMG=build/tests/guest/fs.img

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip fs/qemu "qemu-system-x86_64 is not installed"
	exit 0
fi
timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
	-nographic -serial stdio -device isa-debug-exit -kernel "$IMG" </dev/null >"$T/raw" 2>"$T/err"
rc=$?
tr -d '\r' <"$T/raw" >"$T/out"
grep -E '^(PASS|FAIL|SKIP) fs/' "$T/out"
# isa-debug-exit: (status << 1) | 1; the suite exits 0 when all passed
check fs/qemu-suite-complete out_has '^fs: [0-9]* tests, 0 failed$'
check fs/qemu-suite-status test $(((rc - 1) / 2)) -eq 0
