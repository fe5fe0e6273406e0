#!/bin/sh
# Pipes, eventfd, poll/select/epoll and timerfd under ukrun: the guest
# suites (timeouts and timer ticks measured in the guest), and SIGPIPE's
# default action (status 141).
. tests/e2e/lib.sh
native_check io
G=build/tests/guest

for t in pipe poll; do
	run "$UKRUN" "$G/$t.img"
	check "io/$t-suite" out_has "^$t: [0-9]* checks, 0 failed"
	check "io/$t-status" status_is 0
	grep '^FAIL' "$T/out" | head -5
done
run "$UKRUN" "$G/pipe.img" -- sigpipe
check io/sigpipe status_is 141
check io/sigpipe-report err_has "SIGPIPE"
