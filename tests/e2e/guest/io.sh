#!/bin/sh
# Pipes, eventfd, poll/select/epoll and timerfd: the guest suites (timeouts
# and timer ticks measured in the guest), and SIGPIPE's default action
# (status 141) ending a program that writes to a pipe nobody reads.
. tests/e2e/lib.sh
runner_ready io || exit 0
G=build/tests/guest

for t in pipe poll; do
	guest "$G/$t.img"
	check "$(name io/$t-suite)" out_has "^$t: [0-9]* checks, 0 failed"
	check "$(name io/$t-status)" status_is 0
	grep '^FAIL' "$T/out" | head -5
done
guest "$G/pipe.img" sigpipe
check "$(name io/sigpipe)" status_is 141
check "$(name io/sigpipe-report)" err_has "SIGPIPE"
