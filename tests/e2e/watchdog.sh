#!/bin/sh
# watchdog.sh SECONDS NAME COMMAND [ARG...]: COMMAND, stopped at SECONDS.
#
# COMMAND runs in a session of its own, so everything it starts, however
# deep (ukrun, QEMU, servers, timeout(1) with its own process group), is
# found by the session id and stopped with it. At the bound: SIGTERM to the
# whole session (the scripts' EXIT traps clean up: lib.sh turns SIGTERM
# into exit), SIGKILL to what is left 5 s later, then
# "FAIL NAME: killed at its bound" and status 124. Processes that COMMAND
# leaves running after it ends are stopped the same way and named in a
# FAIL line. Otherwise COMMAND's status.
#
# POSIX sh: tests/run.sh runs it here and inside the nested standard-KVM
# host (busybox).
bound=$1 name=$2
shift 2
flag=${TMPDIR:-/tmp}/uk-watchdog.$$
rm -f "$flag"

# The processes of session $sid. Field 6 of /proc/PID/stat is the session;
# the command name before it (in parentheses) may hold spaces.
members() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		sed -n 's/^\([0-9]*\) .*) [^ ]* [^ ]* [^ ]* \([0-9]*\) .*/\1 \2/p' |
		awk -v sid="$sid" '$2 == sid { print $1 }'
}

# stop_all: SIGTERM to the session, up to 5 s to finish, then SIGKILL.
stop_all() {
	p=$(members)
	[ -n "$p" ] || return 0
	kill -TERM $p 2>/dev/null
	i=0
	while [ $i -lt 10 ] && [ -n "$(members)" ]; do
		sleep 0.5
		i=$((i + 1))
	done
	p=$(members)
	[ -z "$p" ] || kill -KILL $p 2>/dev/null
}

# (Not a process-group leader, so setsid(1) makes the session without
# forking: its pid is the session id.)
setsid "$@" &
sid=$!
(
	i=0
	while [ $i -lt "$bound" ] && kill -0 "$sid" 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	kill -0 "$sid" 2>/dev/null || exit 0
	: >"$flag"
	stop_all
) &
watcher=$!
wait "$sid"
st=$?
if [ -f "$flag" ]; then
	wait "$watcher"
	rm -f "$flag"
	echo "FAIL $name: killed at its ${bound}s bound (the watchdog stopped it and everything it started)"
	exit 124
fi
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

# Left behind: a moment to end on their own (a server told to quit), then
# named and stopped.
i=0
while [ $i -lt 6 ] && [ -n "$(members)" ]; do
	sleep 0.5
	i=$((i + 1))
done
left=
for p in $(members); do
	left="$left $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-60)"
done
if [ -n "$left" ]; then
	stop_all
	echo "FAIL $name: left processes running after it ended (stopped now):$left"
fi
exit $st
