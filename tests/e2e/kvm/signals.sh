#!/bin/sh
# Signals sent to ukrun reach the guest's process 1, as `docker run`
# proxies them (vmm/signal_fwd.c, libos/virtio/host_signal.c): a handler
# runs and the program ends with its own status; without one the default
# action ends it (143); one that ignores SIGTERM goes on, until a second
# SIGTERM, --stop-timeout (10 s unless told) or SIGKILL ends the VM, as
# does --stop-timeout a guest spinning with interrupts off and a ukrun
# waiting in a write to a pipe nobody reads; SIGINT interrupts a
# console read (EINTR); repeated SIGHUPs all arrive; SIGTSTP stops ukrun
# (the whole VM) until SIGCONT. The guest program is
# tests/guest/hostsig. Everything bounded: ukrun's --timeout and a
# SIGKILL from the script.
. tests/e2e/lib.sh
native_check signals
I=build/tests/guest/hostsig.img
if [ ! -f "$I" ]; then
	skip signals/all "$I is missing (make builds it)"
	exit 0
fi

# vm MODE [UKRUN-OPTION...]: the program in the background, its input a
# FIFO this script holds open (a read waits), until it says it is ready;
# ukrun's pid in $vm.
mkfifo "$T/in"
exec 3<>"$T/in"
PGRP= # a command to start ukrun through (below: a process group of its own)
vm() {
	_mode=$1
	shift
	: >"$T/out"
	$PGRP "$UKRUN" --timeout 60 "$@" "$I" "$_mode" <"$T/in" >"$T/out" 2>"$T/err" &
	vm=$!
	_i=0
	until grep -q '^ready$' "$T/out" || [ $_i -ge 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# ends SECONDS: the VM ended within SECONDS (else it is killed); its
# status in $rc.
ends() {
	_i=0
	while kill -0 "$vm" 2>/dev/null && [ $_i -lt $(($1 * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -0 "$vm" 2>/dev/null && kill -9 "$vm"
	wait "$vm"
	rc=$?
	[ $_i -lt $(($1 * 10)) ]
}

vm trap
kill -TERM "$vm"
check signals/term/handled-ends ends 30
check signals/term/handler-status status_is 7
check signals/term/handler-ran out_has '^SIGTERM from pid 0, code 0$'

vm default
kill -TERM "$vm"
check signals/term/default-ends ends 30
check signals/term/default-status status_is 143
check signals/term/default-said err_has 'killed by SIGTERM (signal 15): exit status 143'

vm ignore
kill -TERM "$vm"
sleep 1
check signals/term/ignored-runs-on kill -0 "$vm"
kill -TERM "$vm"
check signals/term/second-ends ends 30
check signals/term/second-status status_is 143

vm ignore
kill -TERM "$vm"
sleep 1
kill -KILL "$vm"
check signals/kill/ends ends 30
check signals/kill/status status_is 137

vm ignore --stop-timeout 1
kill -TERM "$vm"
check signals/stop-timeout/ends ends 30
check signals/stop-timeout/status status_is 143
check signals/stop-timeout/said err_has 'ukrun: stopped the VM: the guest still ran 1 s (--stop-timeout) after signal 15'

# --stop-timeout's default: docker's and podman's 10 s
vm ignore
kill -TERM "$vm"
check signals/stop-timeout-default/ends ends 30
check signals/stop-timeout-default/status status_is 143
check signals/stop-timeout-default/said err_has 'ukrun: stopped the VM: the guest still ran 10 s (--stop-timeout) after signal 15'

# a guest that can take nothing (interrupts off, spinning)
vm spin --stop-timeout 1
kill -TERM "$vm"
check signals/stop-timeout-spin/ends ends 30
check signals/stop-timeout-spin/status status_is 143
check signals/stop-timeout-spin/said err_has 'ukrun: stopped the VM: the guest still ran 1 s (--stop-timeout) after signal 15'

# ukrun itself waiting: its output a pipe this script holds and never
# reads, full; the run loop waits in its write (the stop's watch thread)
mkfifo "$T/full"
exec 4<>"$T/full"
"$UKRUN" --timeout 60 --stop-timeout 1 "$I" flood <"$T/in" >"$T/full" 2>"$T/err" &
vm=$!
sleep 2
kill -TERM "$vm"
check signals/stop-host-wait/ends ends 30
check signals/stop-host-wait/status status_is 143
check signals/stop-host-wait/said err_has 'ukrun: stopped the VM: signal 15, and the run loop did not stop it'
exec 4>&-

# -1: wait for the guest (docker's); the run itself unchanged
run "$UKRUN" --timeout 60 --stop-timeout -1 "$I" no-such-mode
check signals/stop-timeout-wait-accepted status_is 2

vm read
sleep 0.5 # past "ready" into its read (one SIGINT only: a second ends the VM)
kill -INT "$vm"
check signals/int/read-ends ends 30
check signals/int/read-status status_is 9
check signals/int/read-eintr out_has '^read: -1, Interrupted system call, signals 1$'

# hups FIRST LAST: SIGHUP to the VM for its "hup FIRST" to "hup LAST", one
# at a time (two that come together are one, as on Linux): each but the
# last awaited in its output, 10 s at most.
hups() {
	i=$1
	while [ "$i" -le "$2" ]; do
		kill -HUP "$vm"
		_j=0
		until grep -q "^hup $i\$" "$T/out" || [ "$i" -eq "$2" ] || [ $_j -ge 100 ]; do
			sleep 0.1
			_j=$((_j + 1))
		done
		i=$((i + 1))
	done
}

vm hup
hups 1 3
check signals/hup/ends ends 30
check signals/hup/status status_is 3
check signals/hup/each-arrived out_has '^hup 2$'

# SIGTSTP is not passed on: it stops ukrun itself, and with it the whole
# VM (what `docker pause`'s freezer does to a container, and a Ctrl-Z to a
# program in a terminal); a signal sent meanwhile waits, SIGCONT resumes.
# ukrun in a process group of its own whose parent is in the session: the
# suite runs in a session of its own (tests/e2e/watchdog.sh's setsid), whose
# group is orphaned, and Linux discards SIGTSTP sent to an orphaned group.
if ! command -v python3 >/dev/null; then
	skip signals/tstp "no python3 here to give ukrun a process group of its own (in this suite's orphaned group Linux discards SIGTSTP)"
else
	pgrp() { exec python3 -c 'import os, sys; os.setpgid(0, 0); os.execvp(sys.argv[1], sys.argv[1:])' "$@"; }
	PGRP=pgrp
	vm hup
	PGRP=
	kill -TSTP "$vm"
	_j=0
	until [ "$(cut -d' ' -f3 /proc/$vm/stat 2>/dev/null)" = T ] || [ $_j -ge 100 ]; do
		sleep 0.05
		_j=$((_j + 1))
	done
	check signals/tstp/stops-ukrun test "$(cut -d' ' -f3 /proc/$vm/stat)" = T
	kill -HUP "$vm"
	sleep 0.5
	check signals/tstp/nothing-runs-meanwhile sh -c "! grep -q '^hup 1\$' '$T/out'"
	kill -CONT "$vm"
	_j=0
	until grep -q '^hup 1$' "$T/out" || [ $_j -ge 100 ]; do
		sleep 0.1
		_j=$((_j + 1))
	done
	check signals/tstp/cont-resumes out_has '^hup 1$'
	hups 2 3
	check signals/tstp/ends ends 30
	check signals/tstp/status status_is 3
fi

run "$UKRUN" --stop-timeout 0 "$I"
check signals/stop-timeout-checked clean_error
