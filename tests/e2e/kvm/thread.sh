#!/bin/sh
# Threads, signals, clocks and process calls under ukrun: the guest
# programs print their own PASS/FAIL lines (relayed here), the scenarios
# that end the program are judged by their exit status (128 + N after a
# signal, as a shell reports). POSIX sh: runs under busybox too.
. tests/e2e/lib.sh
native_check thread
G=build/tests/guest

for s in thread signal time proc; do
	run "$UKRUN" --timeout 300 "$G/$s.img"
	sed -n 's/^\(PASS\|FAIL\) /\1 /p' "$T/out"
	check "$s/completed" out_has "^$s tests done: 0 failed"
	check "$s/status-0" status_is 0
done
# the last run was proc's: the refused calls said so on stderr
for call in 'fork' 'vfork' 'execve("/bin/sh")' 'wait4'; do
	check "proc/refused-$call-says-so" err_has "^uk: $call: not supported in a unikernel"
done

run "$UKRUN" --timeout 60 "$G/thread.img" -- lastexit
check thread/last-thread-exit-status-0 status_is 0
check thread/last-thread-exit-runs-atexit out_has "^atexit handler ran"
run "$UKRUN" --timeout 60 "$G/thread.img" -- exitthread
check thread/exit-from-thread status_is 7
run "$UKRUN" --timeout 60 "$G/thread.img" -- exitlocked
check thread/exit-with-stdout-locked-elsewhere status_is 5
check thread/exit-flushes-stdout out_has "^buffered before exit"

for t in abort:134 abort-handled:134 term:143 alarm:142 blocked-term:143 resethand:138 \
	segv-ignored:139 ignored:3; do
	run "$UKRUN" --timeout 60 "$G/signal.img" -- "${t%%:*}"
	check "signal/default-${t%%:*}" status_is "${t##*:}"
done
run "$UKRUN" --timeout 60 "$G/signal.img" -- abort
check signal/abort-message err_has "^uk: killed by SIGABRT (signal 6): exit status 134"

# --trace names the calls and shows what a refusal looks like.
run "$UKRUN" --trace --timeout 60 "$G/proc.img"
check trace/fork-enosys err_has '^\[uk\] fork() = -1 ENOSYS'
check trace/unimplemented-note err_has '^\[uk\] timer_create(.*ENOSYS (not implemented by uk)'

run "$UKRUN" --timeout 300 "$G/threadbench.img" -- 1
check threadbench/runs out_has "^bench thread_switch "
