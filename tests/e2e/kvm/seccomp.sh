#!/bin/sh
# ukrun's seccomp lock-down (vmm/seccomp.c), seen from outside: every
# thread of a running ukrun is under the filter; a share's gofer is a
# process of its own under its own filter (vmm/p9_seccomp.c), holding its
# share and its socket and nothing else of ukrun's; --verbose says how many
# calls are allowed; a VM with every kind of device runs and stops on
# SIGTERM under it; the only escape hatch is the named one. That a
# forbidden call stops ukrun or the gofer with a message naming it, and
# that ukrun's own list has no open, unlink, rename, link or chown with
# shares, is tests/unit/test_seccomp.c. POSIX sh: runs under busybox in the
# nested KVM host too.
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
# ukrun's child processes (pids): its gofers.
children() {
	grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null |
		sed 's|/proc/\([0-9]*\)/status|\1|'
}
# The gofer's FIELD is VALUE.
gofer_has() { grep -q "^$1:[[:space:]]*$2\$" /proc/$gofer/status; }
# Its descriptors: stdin, stdout, stderr, the socket to ukrun, the share.
gofer_fds() {
	[ "$(ls /proc/$gofer/fd | sort -n | tr '\n' ' ')" = "0 1 2 3 4 " ] &&
		[ "$(readlink /proc/$gofer/fd/0)" = /dev/null ] &&
		case $(readlink /proc/$gofer/fd/3) in socket:*) true ;; *) false ;; esac &&
		[ "$(readlink /proc/$gofer/fd/4)" = "$(cd "$T/share" && pwd -P)" ]
}
# Its address space is far smaller than the guest's 512 MiB: guest RAM is
# not in it.
gofer_small() {
	kb=$(sed -n 's/^VmSize:[[:space:]]*\([0-9]*\) kB$/\1/p' /proc/$gofer/status)
	[ -n "$kb" ] && [ "$kb" -lt $((256 * 1024)) ]
}

# A waiting network server with a share, a disk and user-mode networking:
# the main thread plus one device thread each. (Not bg_start: the checks
# read ukrun's own /proc entries, not those of a timeout(1) around it.)
mkdir -p "$T/share"
"$UKBUILD" disk create "$T/disk.img" --size 4M >/dev/null 2>&1
"$UKRUN" --verbose -m 512M -v "$T/share:/data" --disk "$T/disk.img:/disk" --net user \
	"$G/net-echo.img" >"$T/out" 2>"$T/err" &
pid=$!
i=0
up() { grep -q '^ready' "$T/out" && [ "$(ntasks)" -ge 4 ]; }
while [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null && ! up; do
	sleep 0.1
	i=$((i + 1))
done
check seccomp/device-threads-up test "$(ntasks)" -ge 4
check seccomp/every-thread-filtered all_tasks Seccomp 2
check seccomp/every-thread-no-new-privs all_tasks NoNewPrivs 1
gofer=$(children)
check seccomp/gofer-is-one-child-process test -n "$gofer" -a "$(echo "$gofer" | wc -l)" -eq 1
gofer=${gofer:-none}
check seccomp/gofer-named grep -q '^Name:[[:space:]]*ukrun-gofer$' /proc/$gofer/status
check seccomp/gofer-filtered gofer_has Seccomp 2
check seccomp/gofer-no-new-privs gofer_has NoNewPrivs 1
if grep -q '^Seccomp_filters:' /proc/$pid/status 2>/dev/null; then
	# started before ukrun's lock-down: its own filter, not ukrun's too
	check seccomp/gofer-own-filter-only gofer_has Seccomp_filters 1
	check seccomp/ukrun-one-filter all_tasks Seccomp_filters 1
else
	skip seccomp/gofer-own-filter-only "this kernel's /proc shows no Seccomp_filters"
fi
check seccomp/gofer-holds-only-its-share gofer_fds
check seccomp/gofer-no-guest-memory gofer_small
check seccomp/gofer-single-threaded test "$(ls /proc/$gofer/task | wc -l)" -eq 1
check seccomp/verbose-names-the-gofer err_has "^ukrun: the gofer of /data: process $gofer\$"
kill -TERM $pid
wait $pid
rc=$?
check seccomp/sigterm-status status_is 143
check seccomp/gofer-reaped test ! -e /proc/$gofer
check seccomp/teardown-under-the-filter err_has '^ukrun: timeline'
check seccomp/nothing-blocked sh -c "! grep -q 'blocked system call' '$T/err'"

# The escape hatch for debugging says so; nothing else turns the filter off.
run env UKRUN_SECCOMP=log "$UKRUN" build/apps/hello.img
check seccomp/log-mode-runs status_is 0
check seccomp/log-mode-says-so err_has 'UKRUN_SECCOMP=log'
run env UKRUN_SECCOMP=off "$UKRUN" build/apps/hello.img
check seccomp/other-values-refused clean_error
check seccomp/other-values-say-why err_has "only 'log'"
