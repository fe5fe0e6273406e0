#!/bin/sh
# A hostile guest against ukrun's devices (tests/guest/hostile: a program
# that drives the network device itself and breaks the virtio rules six
# ways, and sends IPv4 fragments and frames cut inside their headers). Verdicts: the guest's own checks (after each violation a reset
# brings the device back, and it answers), ukrun alive and ending with the
# guest's status, no thread more at the end than at the start, each
# violation reported, and a guest repeating one cannot fill the host's logs.
. tests/e2e/lib.sh
own_netns "$0" "$@"
native_check hostile
G=build/tests/guest

# threads PID: how many threads the ukrun under timeout PID has (busybox's
# timeout execs the command itself: then PID is ukrun).
threads() {
	if [ "$(cat "/proc/$1/comm" 2>/dev/null)" = ukrun ]; then
		ls "/proc/$1/task" | wc -l
		return
	fi
	for p in /proc/[0-9]*; do
		[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$1" ] || continue
		ls "$p/task" | wc -l
		return
	done
	echo 0
}

bg_start "$T/hostile" "$UKRUN" --verbose --net user "$G/hostile.img"
if bg_wait "$T/hostile" "^phase before" 120; then
	before=$(threads "$bgpid")
	bg_wait "$T/hostile" "^phase after" 120
	after=$(threads "$bgpid")
fi
wait "$bgpid"
rc=$?
bgpid=
cp "$T/hostile" "$T/out"
: >"$T/err"
grep '^\(PASS\|FAIL\) ' "$T/hostile"
check hostile/guest-checks-ran out_has "^PASS hostile/oversize/works-after-reset"
check hostile/status-0 status_is 0
check hostile/threads-counted test "${before:-0}" -gt 0
check hostile/no-thread-left test "${after:-99}" -le "${before:-0}"
check hostile/reported-loop out_has "^ukrun: guest broke the ABI: virtio-net queue 1: descriptor chain loops"
check hostile/reported-outside out_has "^ukrun: guest broke the ABI.*outside"
check hostile/reported-status out_has "^ukrun: guest broke the ABI: virtio-net status 0xf -> 0xb clears bits"
check hostile/oversize-dropped out_has "frame longer than"
check hostile/fragments-dropped out_has "dropped a frame from the guest: an IPv4 fragment"
# 300 status violations and more: 20 lines, then the count at the end.
check hostile/logs-bounded test "$(grep -c '^ukrun: guest broke the ABI' "$T/out")" -le 20
check hostile/logs-counted out_has "^ukrun: the guest broke the ABI [0-9]* times in all"
