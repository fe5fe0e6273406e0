#!/bin/bash
# Threads, signals, clocks and process calls under QEMU (no ukrun needed):
# the guest programs print their own PASS/FAIL lines, relayed here with a
# "qemu-" prefix; the scenarios that end the program are judged by their
# exit status. QEMU's status is (status << 1) | 1, cut to 7 bits.
. tests/e2e/lib.sh
G=build/tests/guest

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip qemu-thread/all "qemu-system-x86_64 is not installed"
	exit 0
fi

qemu_rc() { # IMAGE [ARGS...]: output in $T/out, guest status in $st
	timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit -kernel "$1" \
		${2:+-append "-- $2"} </dev/null >"$T/raw" 2>"$T/err"
	rc=$?
	tr -d '\r' <"$T/raw" >"$T/out"
	st=$(((rc - 1) / 2))
}

for s in thread signal time proc; do
	qemu_rc "$G/$s.img"
	sed -n 's/^\(PASS\|FAIL\) \(.*\)/\1 qemu-\2/p' "$T/out"
	check "qemu-$s/completed" out_has "^$s tests done: 0 failed"
	check "qemu-$s/status-0" test "$st" -eq 0
	if [ $s = proc ]; then
		for call in 'fork' 'vfork' 'execve("/bin/sh")' 'wait4'; do
			check "qemu-proc/refused-$call-says-so" out_has "^uk: $call: not supported in a unikernel"
		done
	fi
done

qemu_rc "$G/thread.img" lastexit
check qemu-thread/last-thread-exit-status-0 test "$st" -eq 0
check qemu-thread/last-thread-exit-runs-atexit out_has "^atexit handler ran"
check qemu-thread/last-thread-exit-output out_has "^last thread returning"
qemu_rc "$G/thread.img" exitthread
check qemu-thread/exit-from-thread test "$st" -eq 7
qemu_rc "$G/thread.img" exitlocked
check qemu-thread/exit-with-stdout-locked-elsewhere test "$st" -eq 5
check qemu-thread/exit-flushes-stdout out_has "^buffered before exit"

# Default actions: 128 + N, which QEMU's 7 bits cut to N.
for t in abort:6 abort-handled:6 term:15 alarm:14 blocked-term:15 resethand:10 segv-ignored:11; do
	qemu_rc "$G/signal.img" "${t%%:*}"
	check "qemu-signal/default-${t%%:*}" test "$st" -eq $((128 + ${t##*:} & 127))
done
qemu_rc "$G/signal.img" abort
check qemu-signal/abort-message out_has "^uk: killed by SIGABRT (signal 6): exit status 134"
qemu_rc "$G/signal.img" blocked-term
check qemu-signal/blocked-until-unblocked out_has "^still alive while blocked"
qemu_rc "$G/signal.img" ignored
check qemu-signal/ignored-survives test "$st" -eq 3
