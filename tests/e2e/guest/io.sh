#!/bin/sh
# Pipes, eventfd, poll/select/epoll, timerfd and AF_UNIX sockets: the guest
# suites (timeouts and timer ticks measured in the guest), and SIGPIPE's
# default action (status 141) ending a program that writes to a pipe nobody
# reads. The AF_UNIX suite runs three ways: linked with uk, as a static
# glibc program in binary mode, and (once, in the ukrun run) as that same
# program on this host, Linux's answers; all pass the same checks.
. tests/e2e/lib.sh
runner_ready io || exit 0
G=build/tests/guest

for t in pipe poll unix unix-linux; do
	guest "$G/$t.img"
	check "$(name io/$t-suite)" out_has "^${t%-linux}: [0-9]* checks, 0 failed"
	check "$(name io/$t-status)" status_is 0
	grep '^FAIL' "$T/out" | head -5
done
guest "$G/pipe.img" sigpipe
check "$(name io/sigpipe)" status_is 141
check "$(name io/sigpipe-report)" err_has "SIGPIPE"

# The AF_UNIX suite as a process here: the checks hold on Linux too, and
# every way runs as many of them.
L=build/tests/unix-linux/unix
if ! on_ukrun; then
	:
elif [ -x "$L" ]; then
	guest "$G/unix.img"
	n=$(sed -n 's/^unix: \([0-9]*\) checks.*/\1/p' "$T/out")
	run bound 60 "$L"
	check io/unix-linux-process out_has "^unix: [0-9]* checks, 0 failed"
	grep '^FAIL' "$T/out" | head -5
	check io/unix-same-checks out_has "^unix: ${n:-none} checks"
else
	skip io/unix-linux-process "$L is not built (make builds it)"
fi
