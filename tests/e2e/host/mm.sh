#!/bin/bash
# Memory mappings under QEMU (no KVM needed): the guest suite, then what
# must end the program: the crash status and its report.
. tests/e2e/lib.sh
G=build/tests/guest

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip qemu-mm/all "qemu-system-x86_64 is not installed"
	exit 0
fi
run qemu_guest "$G/mm.img"
check qemu-mm/suite out_has "^mm: [0-9]* checks, 0 failed"
check qemu-mm/suite-status test "$(qemu_status)" -eq 0
grep '^FAIL' "$T/out" | head -5

# A crash status of 128 and more reaches QEMU cut to 7 bits.
crash() { # NAME MODE STATUS TEXT
	run qemu_guest "$G/mm.img" "-- $2"
	check "qemu-mm/$1" test "$(qemu_status)" -eq $(($3 & 127))
	check "qemu-mm/$1-report" out_has "$4"
}
crash write-read-only wprot 139 "cr2 0x[0-9a-f]* (write to a protected page"
crash write-read-only-fresh wprot-fresh 139 "(write to an unmapped page"
crash read-prot-none none 139 "#PF page fault"
crash read-unmapped unmapped 139 "#PF page fault"
crash exec-nx nx 139 "#PF page fault) at rip 0x7"
crash out-of-memory oom 137 "out of memory: no page left for address"
