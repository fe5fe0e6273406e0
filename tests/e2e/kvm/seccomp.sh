#!/bin/sh
# ukrun's seccomp lock-down (vmm/seccomp.c), seen from outside: every
# thread of a running ukrun is under the filter, a 9P device thread under
# two; --verbose says how many calls are allowed; a VM with every kind of
# device runs and stops on SIGTERM under it; the only escape hatch is the
# named one. That a forbidden call stops ukrun with a message naming it is
# tests/unit/test_seccomp.c. POSIX sh: runs under busybox in the nested
# KVM host too.
. tests/e2e/lib.sh
native_check seccomp
G=build/tests/guest

run "$UKRUN" --verbose build/apps/hello.img
check seccomp/verbose-count err_has '^ukrun: seccomp: [0-9][0-9]* system calls allowed'
check seccomp/hello-status status_is 0
check seccomp/locked-before-the-guest-runs err_has 'locked down [0-9.]*, first KVM_RUN'

# Every field NAME of every thread of $pid is VALUE.
all_tasks() { # NAME VALUE
	n=0
	for s in /proc/$pid/task/*/status; do
		grep -q "^$1:[[:space:]]*$2\$" "$s" || return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}
ntasks() { ls /proc/$pid/task 2>/dev/null | wc -l; }
# The gofer's thread adds its own filter when the guest's first request
# comes (the mount at boot).
gofer_filtered() { grep -q '^Seccomp_filters:[[:space:]]*2$' /proc/$pid/task/*/status 2>/dev/null; }

# A waiting network server with a share, a disk and user-mode networking:
# the main thread plus one device thread each. (Not bg_start: the checks
# read ukrun's own /proc entries, not those of a timeout(1) around it.)
mkdir -p "$T/share"
"$UKBUILD" disk create "$T/disk.img" --size 4M >/dev/null 2>&1
"$UKRUN" --verbose -v "$T/share:/data" --disk "$T/disk.img:/disk" --net user \
	"$G/net-echo.img" >"$T/out" 2>"$T/err" &
pid=$!
i=0
up() { grep -q '^ready' "$T/out" && [ "$(ntasks)" -ge 4 ] && gofer_filtered; }
while [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null && ! up; do
	sleep 0.1
	i=$((i + 1))
done
check seccomp/device-threads-up test "$(ntasks)" -ge 4
check seccomp/every-thread-filtered all_tasks Seccomp 2
check seccomp/every-thread-no-new-privs all_tasks NoNewPrivs 1
if grep -q '^Seccomp_filters:' /proc/$pid/status 2>/dev/null; then
	check seccomp/gofer-thread-filtered-twice gofer_filtered
else
	skip seccomp/gofer-thread-filtered-twice "this kernel's /proc shows no Seccomp_filters"
fi
kill -TERM $pid
wait $pid
rc=$?
check seccomp/sigterm-status status_is 143
check seccomp/teardown-under-the-filter err_has '^ukrun: timeline'
check seccomp/nothing-blocked sh -c "! grep -q 'blocked system call' '$T/err'"

# The escape hatch for debugging says so; nothing else turns the filter off.
run env UKRUN_SECCOMP=log "$UKRUN" build/apps/hello.img
check seccomp/log-mode-runs status_is 0
check seccomp/log-mode-says-so err_has 'UKRUN_SECCOMP=log'
run env UKRUN_SECCOMP=off "$UKRUN" build/apps/hello.img
check seccomp/other-values-refused clean_error
check seccomp/other-values-say-why err_has "only 'log'"
