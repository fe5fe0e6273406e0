#!/bin/bash
# The same images boot under QEMU (-M microvm, PVH): QEMU is our
# interoperability check. Without KVM here, QEMU runs them under TCG.
. tests/e2e/lib.sh
G=build/tests/guest

qemu() { qemu_guest -s 120 "$@"; } # IMAGE [APPEND]

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip qemu/all "qemu-system-x86_64 is not installed"
	exit 0
fi
run qemu build/apps/hello.img
check qemu/hello-output out_is "Hello from uk!
argv[0] = hello
GREETING = (unset)"
# isa-debug-exit: QEMU's status is (status << 1) | 1.
check qemu/hello-status status_is 1
run qemu "$G/exit.img" "-- 42"
check qemu/exit-42 test $(((rc - 1) / 2)) -eq 42
run qemu build/apps/hello.img "-- a b"
check qemu/args out_has "argv\[2\] = b"
run qemu "$G/crash.img" "-- null"
check qemu/null-deref-report out_has "#PF page fault) at rip"
check qemu/null-deref-status test $(((rc - 1) / 2)) -eq $((139 & 127))
run qemu "$G/crash.img" "-- stack"
check qemu/stack-overflow-report out_has "stack overflow (the thread's stack guard page)"
run qemu "$G/churn.img"
check qemu/malloc-churn out_has "0 corrupt bytes"
run qemu "$G/sleep.img" "-- 100"
ms=$(sed -n 's/^slept \([0-9]*\) ms\r*$/\1/p' "$T/out")
check qemu/nanosleep test -n "$ms" -a "${ms:-0}" -ge 100 -a "${ms:-0}" -le 3000
run qemu "$G/native.img" "-- 20"
check qemu/fpu-state out_has "float: 4.50"
