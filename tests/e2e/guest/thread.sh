#!/bin/sh
# Threads, signals, clocks and process calls: the guest programs print their
# own PASS/FAIL lines (relayed here), the scenarios that end the program are
# judged by their exit status (128 + N after a signal, as a shell reports).
. tests/e2e/lib.sh
runner_ready thread || exit 0
G=build/tests/guest
P=$(name "")

for s in thread signal time proc; do
	guest "$G/$s.img"
	sed -n "s/^\(PASS\|FAIL\) /\1 $P/p" "$T/out"
	check "$P$s/completed" out_has "^$s tests done: 0 failed"
	check "$P$s/status-0" status_is 0
done
# the last run was proc's: the refused calls said so (a link-mode program
# cannot fork; without children, wait is ECHILD without a word)
for call in 'fork' 'vfork' 'execve("/bin/sh")'; do
	check "${P}proc/refused-$call-says-so" err_has "^uk: $call: not supported in a unikernel"
done

guest "$G/thread.img" lastexit
check "${P}thread/last-thread-exit-status-0" status_is 0
check "${P}thread/last-thread-exit-runs-atexit" out_has "^atexit handler ran"
check "${P}thread/last-thread-exit-output" out_has "^last thread returning"
guest "$G/thread.img" exitthread
check "${P}thread/exit-from-thread" status_is 7
guest "$G/thread.img" exitlocked
check "${P}thread/exit-with-stdout-locked-elsewhere" status_is 5
check "${P}thread/exit-flushes-stdout" out_has "^buffered before exit"

for t in abort:134 abort-handled:134 term:143 alarm:142 blocked-term:143 resethand:138 \
	segv-ignored:139 ignored:3; do
	guest "$G/signal.img" "${t%%:*}"
	check "${P}signal/default-${t%%:*}" status_is "${t##*:}"
done
guest "$G/signal.img" abort
check "${P}signal/abort-message" err_has "^uk: killed by SIGABRT (signal 6): exit status 134"
guest "$G/signal.img" blocked-term
check "${P}signal/blocked-until-unblocked" out_has "^still alive while blocked"
on_ukrun || exit 0

# --trace names the calls and shows what a refusal looks like.
run "$UKRUN" --trace --timeout 60 "$G/proc.img"
check trace/fork-enosys err_has '^\[uk\] fork() = -1 ENOSYS'
check trace/unimplemented-note err_has '^\[uk\] perf_event_open(.*ENOSYS (not implemented by uk)'

run "$UKRUN" --timeout 300 "$G/threadbench.img" -- 1
check threadbench/runs out_has "^bench thread_switch "
