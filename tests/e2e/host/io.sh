#!/bin/bash
# Pipes, eventfd, poll/select/epoll and timerfd under QEMU (no KVM needed):
# the guest suites, and SIGPIPE ending a program that writes to a pipe
# nobody reads.
. tests/e2e/lib.sh
G=build/tests/guest

qemu() { # IMAGE [APPEND]
	timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit -kernel "$1" ${2:+-append "$2"} \
		</dev/null
}
status() { echo $(((rc - 1) / 2)); } # isa-debug-exit: (status << 1) | 1

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip qemu-io/all "qemu-system-x86_64 is not installed"
	exit 0
fi
for t in pipe poll; do
	run qemu "$G/$t.img"
	check "qemu-io/$t-suite" out_has "^$t: [0-9]* checks, 0 failed"
	check "qemu-io/$t-status" test "$(status)" -eq 0
	grep '^FAIL' "$T/out" | head -5
done
run qemu "$G/pipe.img" "-- sigpipe"
check qemu-io/sigpipe test "$(status)" -eq $((141 & 127))
check qemu-io/sigpipe-report out_has "SIGPIPE"
