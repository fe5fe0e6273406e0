#!/bin/bash
# The fatal faults of tests/e2e/kvm/fatal.sh under QEMU (-M microvm, TCG):
# each ends QEMU. The library OS reports and ends through isa-debug-exit
# (QEMU's status is (status << 1) | 1) even before uk_plat_init, when it
# cannot know it runs under QEMU. A triple fault resets the machine, which
# -no-reboot turns into QEMU's exit (status 0); without it QEMU would boot
# the image again, forever. A vCPU halted with interrupts off is not
# checked: QEMU cannot tell it from an idle one.
. tests/e2e/lib.sh
G=build/tests/guest

qemu() { # IMAGE [APPEND]
	timeout -s KILL 120 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit -no-reboot \
		-kernel "$1" ${2:+-append "$2"} </dev/null
}
status_was() { [ "$rc" -ne 0 ] && [ $(((rc - 1) / 2)) -eq $(($1 & 127)) ]; }

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip fatal-qemu/all "qemu-system-x86_64 is not installed"
	exit 0
fi

run qemu "$G/crash-noidt.img"
check fatal-qemu/no-idt-ends status_is 0
run qemu "$G/crash-early.img"
check fatal-qemu/early-status status_was 132
check fatal-qemu/early-report out_has "#UD invalid opcode) at rip"
run qemu "$G/crash-report.img" "-- null"
check fatal-qemu/in-handler-status status_was 132
check fatal-qemu/in-handler-report out_has "inside the exception handler"
run qemu "$G/crash.img" "-- df"
check fatal-qemu/double-fault-status status_was 134
check fatal-qemu/double-fault-report out_has "#DF double fault"
run qemu "$G/crash.img" "-- tf"
check fatal-qemu/triple-fault-ends status_is 0
check fatal-qemu/triple-fault-ran out_has "crashing: tf"
run qemu "$G/crash.img" "-- panic"
check fatal-qemu/panic-status status_was 134
check fatal-qemu/panic-message out_has "the crash test panics"
