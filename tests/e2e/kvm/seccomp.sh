#!/bin/sh
# ukrun's seccomp lock-down (vmm/seccomp.c), seen from outside: every
# thread of a running ukrun is under the filter; a share's gofer is a
# process of its own under its own filter (vmm/p9_seccomp.c), holding its
# share and its socket and nothing else of ukrun's; so is the network
# helper of --net user (vmm/net_seccomp.c), holding its two sockets to
# ukrun; --verbose says how many calls are allowed; a VM with every kind
# of device runs and stops on SIGTERM under it; the only escape hatch is
# the named one. That a forbidden call stops ukrun or a helper with a
# message naming it, and that ukrun's own list has no socket, open,
# unlink, rename, link or chown with any device, is
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
# ukrun's child processes (pids) named NAME: its gofers (ukrun-gofer),
# its network helper (ukrun-net).
children() {
	for s in $(grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null); do
		grep -q "^Name:[[:space:]]*$1\$" "$s" && echo "$s"
	done | sed 's|/proc/\([0-9]*\)/status|\1|'
}
nchildren() { grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null | wc -l; }
# Helper PID's FIELD is VALUE.
has() { grep -q "^$2:[[:space:]]*$3\$" /proc/$1/status; }
gofer_has() { has $gofer "$@"; }
net_has() { has $nethelper "$@"; }
is_socket() { case $(readlink /proc/$1/fd/$2) in socket:*) true ;; *) false ;; esac; }
# Helper PID's descriptors: stdin (/dev/null), stdout, stderr and N more.
fds_are() { # PID LIST
	[ "$(ls /proc/$1/fd | sort -n | tr '\n' ' ')" = "$2" ] &&
		[ "$(readlink /proc/$1/fd/0)" = /dev/null ]
}
# The gofer's: the socket to ukrun, the share.
gofer_fds() {
	fds_are $gofer "0 1 2 3 4 " && is_socket $gofer 3 &&
		[ "$(readlink /proc/$gofer/fd/4)" = "$(cd "$T/share" && pwd -P)" ]
}
# The network helper's: its sockets to ukrun (frames, commands), the
# frames ring's two eventfds (kick, room: vmm/net_ring.c; the ring itself
# is mapped, its fd closed), its one epoll instance (the poll set,
# vmm/net_epset.c), and libslirp's own: a forward's host port held (and at
# most a few more).
net_fds() {
	is_socket $nethelper 3 && is_socket $nethelper 4 && [ "$(readlink /proc/$nethelper/fd/0)" = /dev/null ] &&
		[ "$(readlink /proc/$nethelper/fd/6)" = 'anon_inode:[eventfd]' ] &&
		[ "$(readlink /proc/$nethelper/fd/7)" = 'anon_inode:[eventfd]' ] &&
		[ "$(ls -l /proc/$nethelper/fd | grep -c 'anon_inode:\[eventpoll\]')" -eq 1 ] &&
		! ls -l /proc/$nethelper/fd | grep -v -e socket: -e /dev/null -e ' [012] ->' \
			-e 'anon_inode:\[eventpoll\]' -e 'anon_inode:\[eventfd\]' | grep -q -- '->'
}
# Its address space is far smaller than the guest's 512 MiB: guest RAM is
# not in it.
small() {
	kb=$(sed -n 's/^VmSize:[[:space:]]*\([0-9]*\) kB$/\1/p' /proc/$1/status)
	[ -n "$kb" ] && [ "$kb" -lt $((256 * 1024)) ]
}

# A waiting network server with a share, a disk and user-mode networking:
# the main thread plus one device thread each. (Not bg_start: the checks
# read ukrun's own /proc entries, not those of a timeout(1) around it.)
mkdir -p "$T/share"
"$UKBUILD" disk create "$T/disk.img" --size 4M >/dev/null 2>&1
"$UKRUN" --verbose -m 512M -v "$T/share:/data" --disk "$T/disk.img:/disk" -p 18399:7 \
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
gofer=$(children ukrun-gofer)
nethelper=$(children ukrun-net)
# and the teardown's reaper (ukrun.c): a process sharing ukrun's memory
# and files, in seccomp's strict mode (read, write, exit)
reaper=$(children ukrun)
check seccomp/two-helpers-and-the-reaper test "$(nchildren)" -eq 3 -a -n "$reaper"
check seccomp/reaper-strict-mode has "${reaper:-0}" Seccomp 1
check seccomp/gofer-is-one-child-process test -n "$gofer" -a "$(echo "$gofer" | wc -l)" -eq 1
check seccomp/net-helper-is-one-child-process test -n "$nethelper" -a "$(echo "$nethelper" | wc -l)" -eq 1
gofer=${gofer:-none} nethelper=${nethelper:-none}
check seccomp/gofer-filtered gofer_has Seccomp 2
check seccomp/gofer-no-new-privs gofer_has NoNewPrivs 1
if grep -q '^Seccomp_filters:' /proc/$pid/status 2>/dev/null; then
	# started before ukrun's lock-down: its own filter, not ukrun's too
	check seccomp/gofer-own-filter-only gofer_has Seccomp_filters 1
	check seccomp/net-helper-own-filter-only net_has Seccomp_filters 1
	check seccomp/ukrun-one-filter all_tasks Seccomp_filters 1
else
	skip seccomp/gofer-own-filter-only "this kernel's /proc shows no Seccomp_filters"
fi
check seccomp/gofer-holds-only-its-share gofer_fds
check seccomp/gofer-no-guest-memory small $gofer
check seccomp/gofer-single-threaded test "$(ls /proc/$gofer/task | wc -l)" -eq 1
check seccomp/verbose-names-the-gofer err_has "^ukrun: the gofer of /data: process $gofer\$"
check seccomp/net-helper-named grep -q '^Name:[[:space:]]*ukrun-net$' /proc/$nethelper/status
check seccomp/net-helper-filtered net_has Seccomp 2
check seccomp/net-helper-no-new-privs net_has NoNewPrivs 1
check seccomp/net-helper-holds-only-sockets net_fds
check seccomp/net-helper-no-guest-memory small $nethelper
check seccomp/net-helper-single-threaded test "$(ls /proc/$nethelper/task | wc -l)" -eq 1
check seccomp/verbose-names-the-net-helper err_has "^ukrun: the network helper: process $nethelper\$"
# ukrun holds no socket of the network but its two to the helper: the
# forward's host port is the helper's.
ukrun_sockets=$(ls -l /proc/$pid/fd 2>/dev/null | grep -c socket:)
check seccomp/ukrun-no-network-sockets test "$ukrun_sockets" -le 3
kill -TERM $pid
wait $pid
rc=$?
check seccomp/sigterm-status status_is 143
check seccomp/gofer-reaped test ! -e /proc/$gofer
check seccomp/net-helper-reaped test ! -e /proc/$nethelper
check seccomp/teardown-under-the-filter err_has '^ukrun: timeline'
check seccomp/nothing-blocked sh -c "! grep -q 'blocked system call' '$T/err'"

# The escape hatch for debugging says so; nothing else turns the filter off.
run env UKRUN_SECCOMP=log "$UKRUN" build/apps/hello.img
check seccomp/log-mode-runs status_is 0
check seccomp/log-mode-says-so err_has 'UKRUN_SECCOMP=log'
run env UKRUN_SECCOMP=off "$UKRUN" build/apps/hello.img
check seccomp/other-values-refused clean_error
check seccomp/other-values-say-why err_has "only 'log'"
