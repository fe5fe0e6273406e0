#!/bin/bash
# Pipes, eventfd, poll/select/epoll and timerfd under QEMU (no KVM needed):
# the guest suites, and SIGPIPE ending a program that writes to a pipe
# nobody reads.
. tests/e2e/lib.sh
G=build/tests/guest

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip qemu-io/all "qemu-system-x86_64 is not installed"
	exit 0
fi
for t in pipe poll; do
	run qemu_guest "$G/$t.img"
	check "qemu-io/$t-suite" out_has "^$t: [0-9]* checks, 0 failed"
	check "qemu-io/$t-status" test "$(qemu_status)" -eq 0
	grep '^FAIL' "$T/out" | head -5
done
run qemu_guest "$G/pipe.img" "-- sigpipe"
check qemu-io/sigpipe test "$(qemu_status)" -eq $((141 & 127))
check qemu-io/sigpipe-report out_has "SIGPIPE"
