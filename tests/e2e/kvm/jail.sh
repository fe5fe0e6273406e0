#!/bin/sh
# ukrun's jail (vmm/jail.c), seen from outside: after set-up a running
# ukrun has --user's ids and no supplementary group, no capability in any
# set, no dumpability, namespaces of its own (mount, IPC, UTS, network:
# --net user's host sockets are the network helper's) and an empty root;
# the 9P gofer keeps root's ids with only the file capabilities, and
# --user's uid as its saved uid; the network helper keeps root's ids and
# the host's network with no capability (CAP_NET_BIND_SERVICE alone for a
# -p port below 1024), and --user's uid as its saved uid; the guest still reads
# and writes its share and answers through -p; --verbose says what was
# dropped; a host that refuses namespaces does not stop the run, and
# without CAP_SYS_ADMIN a user namespace owns the others. The drop in
# detail, and an unprivileged ukrun's user namespace, are
# tests/unit/test_jail.c; bad --user values, tests/e2e/host/images.sh.
# POSIX sh: runs under busybox in the nested KVM host too.
. tests/e2e/lib.sh
own_netns "$0" "$@"
native_check jail
G=build/tests/guest
TAP=ukjail0
NC_FIN=
nc -h 2>&1 | grep -q '^[[:space:]]*-N[[:space:]]' && NC_FIN=-N
ctl() { echo "$1" | bound 60 nc $NC_FIN -w 10 "$2" "$3"; } # LINE ADDR PORT
trap '[ -n "${pid:-}" ] && kill -9 $pid 2>/dev/null; ip link del $TAP 2>/dev/null; rm -rf "$T"' EXIT

if [ "$(id -u)" != 0 ]; then
	skip jail/all "these checks run ukrun as root, to have ids and capabilities to drop"
	exit 0
fi

run "$UKRUN" --verbose --user 65534:65534 build/apps/hello.img
check jail/hello-as-65534 status_is 0
check jail/hello-output out_has 'Hello'
check jail/verbose-says-what-was-dropped err_has \
	'^ukrun: jail: uid 65534 gid 65534, no capabilities, namespaces mnt ipc uts net, an empty root'
check jail/before-the-lock-down sh -c "grep -n 'jail:\|seccomp:' '$T/err' | head -1 | grep -q jail"
run "$UKRUN" --verbose build/apps/hello.img
check jail/root-without-user-status status_is 0
check jail/root-without-user-keeps-uid-0 err_has \
	'^ukrun: jail: uid 0 gid 0 (no --user), no capabilities, namespaces mnt ipc uts net'
# With an exec socket (an OCI container's VM) exec.c's thread lives on
# through the jail, which waits only for the threads it joined to go: it
# once looked at /proc/self/stat 10000 times for that thread to go too
# (0.6-1.9 s of every container's start). Counted, not timed.
if need jail/exec-socket-no-wait strace; then
	run bound 120 strace -f -e trace=openat -o "$T/strace" "$UKRUN" --timeout 60 --verbose \
		--oci-exec "$T/x.sock" build/apps/hello.img
	check jail/exec-socket-status status_is 0
	check jail/exec-socket-jailed err_has '^ukrun: jail: uid 0 gid 0 (no --user), no capabilities'
	check jail/exec-socket-no-wait test "$(grep -c '"/proc/self/stat"' "$T/strace")" -le 10
fi

# The VM's teardown (3-15 ms of the host kernel's) is left to a child
# made after the jail and before the lock-down, sharing ukrun's memory
# and files, in seccomp's strict mode (ukrun.c): ukrun closes all but the
# VM's files and the child's pipe and exits with the guest's status; the
# child is killed as ukrun goes, so nothing outlives ukrun. Counted, not
# timed. (The guest sleeps 0.5 s: a ukrun that ends before its child first
# runs leaves it nothing to do, and hello's few milliseconds made that
# happen on a loaded host.)
if need jail/teardown-child strace; then
	run bound 60 strace -f -e trace=clone,close_range,prctl -o "$T/strace" "$UKRUN" --timeout 60 \
		--verbose build/tests/guest/sleep.img 500
	check jail/teardown-status status_is 0
	check jail/teardown-output out_has '^slept '
	check jail/teardown-child-made grep -q 'clone(.*flags=CLONE_VM|CLONE_FILES[,) ]' "$T/strace"
	check jail/teardown-child-strict grep -q 'prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT' "$T/strace"
	check jail/teardown-all-but-the-vm-closed grep -q 'close_range(' "$T/strace"
	check jail/teardown-child-killed-with-ukrun grep -q '+++ killed by SIGKILL +++' "$T/strace"
fi

# A host that refuses namespaces (here: no CAP_SYS_ADMIN, as in a
# container) does not stop the run; --verbose says so. Without --user,
# ukrun then makes a user namespace that owns the others, where the host
# allows one (as an unprivileged ukrun does).
if setpriv --help 2>&1 | grep -q -- --bounding-set; then
	run setpriv --bounding-set -sys_admin "$UKRUN" --timeout 60 --verbose --user 65534:65534 \
		build/apps/hello.img
	check jail/refused/runs status_is 0
	check jail/refused/says-so err_has \
		'^ukrun: jail: uid 65534 gid 65534, no capabilities, no namespaces (refused: mnt ipc uts net: Operation not permitted)'
	run setpriv --bounding-set -sys_admin "$UKRUN" --timeout 60 --verbose build/apps/hello.img
	check jail/userns/runs status_is 0
	if err_has 'refused: user'; then
		skip jail/userns/namespaces "this host makes no user namespace here"
	else
		check jail/userns/namespaces err_has \
			'no capabilities, namespaces user mnt ipc uts net, an empty root'
	fi
else
	skip jail/refused "no setpriv with --bounding-set here (util-linux's has it)"
fi

# Field NAME of /proc/$1/status is VALUE (tabs between a line's ids).
has() { grep -q "^$2:[[:space:]]*$3\$" /proc/$1/status; }
ids_are() { has $1 Uid "$2	$2	$2	$2" && has $1 Gid "$3	$3	$3	$3"; }
no_caps() {
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		has $1 $c 0000000000000000 || return 1
	done
}
# Every thread of $1 has FIELD VALUE.
all_tasks() {
	for s in /proc/$1/task/*/status; do
		grep -q "^$2:[[:space:]]*$3\$" "$s" || return 1
	done
}
# Namespace $2 of process $1 (of every thread: a namespace is a thread's)
# is not this script's; or is.
own_ns() {
	for t in /proc/$1/task/*; do
		[ "$(readlink $t/ns/$2)" != "$(readlink /proc/self/ns/$2)" ] || return 1
	done
}
same_ns() {
	for t in /proc/$1/task/*; do
		[ "$(readlink $t/ns/$2)" = "$(readlink /proc/self/ns/$2)" ] || return 1
	done
}
# Not dumpable: the kernel hands its /proc files to root.
undumpable() { [ "$(stat -c %u /proc/$1/status)" = 0 ]; }
children() { # PID NAME: its child processes named NAME
	for s in $(grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null); do
		grep -q "^Name:[[:space:]]*$2\$" "$s" && echo "$s"
	done | sed 's|/proc/\([0-9]*\)/status|\1|'
}
wait_ready() { # OUT: the guest listens, or ukrun ended
	pid_wait "$pid" "$1" '^ready'
	grep -qs '^ready' "$1"
}

# A share only root may enter, a disk only root may read: ukrun opened
# both before it became 65534, the gofer serves the share as root.
mkdir -p "$T/share"
chmod 700 "$T/share"
echo "from the host" >"$T/share/host.txt"
"$UKBUILD" disk create "$T/disk.img" --size 4M >/dev/null 2>&1
chmod 600 "$T/disk.img"
"$UKRUN" --timeout 300 --verbose --user 65534:65534 -m 256M -v "$T/share:/data" \
	--disk "$T/disk.img:/disk" -p 18190:1000 "$G/net-echo.img" >"$T/vm.out" 2>"$T/vm.err" &
pid=$!
if ! wait_ready "$T/vm.out"; then
	fail jail/vm-up "$(tail -c 400 "$T/vm.err" | tr '\n' '|')"
else
	check jail/vm/ids-65534 ids_are $pid 65534 65534
	check jail/vm/no-supplementary-groups has $pid Groups ''
	check jail/vm/no-capabilities no_caps $pid
	check jail/vm/every-thread-no-new-privs all_tasks $pid NoNewPrivs 1
	check jail/vm/every-thread-filtered all_tasks $pid Seccomp 2
	check jail/vm/every-thread-65534 all_tasks $pid Uid "65534	65534	65534	65534"
	check jail/vm/not-dumpable undumpable $pid
	check jail/vm/own-mount-ns own_ns $pid mnt
	check jail/vm/own-ipc-ns own_ns $pid ipc
	check jail/vm/own-uts-ns own_ns $pid uts
	check jail/vm/own-net-ns-with-net-user own_ns $pid net
	check jail/vm/verbose-says-what-was-dropped grep -q \
		'^ukrun: jail: uid 65534 gid 65534, no capabilities, namespaces mnt ipc uts net, an empty root' \
		"$T/vm.err"
	nethelper=$(children $pid ukrun-net)
	nethelper=${nethelper:-none}
	check jail/net-helper/root-with-65534-as-saved-uid has $nethelper Uid "0	0	65534	0"
	check jail/net-helper/no-capabilities no_caps $nethelper
	check jail/net-helper/host-net-ns same_ns $nethelper net
	check jail/net-helper/not-dumpable undumpable $nethelper
	run ctl "read /data/host.txt" 127.0.0.1 18190
	check jail/vm/guest-reads-the-share out_is "from the host"
	run ctl "write /data/guest.txt written-by-the-guest" 127.0.0.1 18190
	check jail/vm/guest-writes-the-share out_is OK
	check jail/vm/host-sees-the-write grep -qx written-by-the-guest "$T/share/guest.txt"
	check jail/vm/the-gofer-made-it-as-root test "$(stat -c %u:%g "$T/share/guest.txt")" = 0:0
	gofer=$(children $pid ukrun-gofer)
	gofer=${gofer:-none}
	check jail/gofer/root-with-65534-as-saved-uid has $gofer Uid "0	0	65534	0"
	check jail/gofer/file-capabilities-only has $gofer CapEff 000000000000000f
	check jail/gofer/bounding-set-too has $gofer CapBnd 000000000000000f
	check jail/gofer/not-dumpable undumpable $gofer
	check jail/gofer/chrooted-in-its-share test "$(readlink /proc/$gofer/root)" = \
		"$(cd "$T/share" && pwd -P)"
	kill -TERM $pid
	wait $pid
	rc=$?
	check jail/vm/sigterm-status status_is 143
	check jail/gofer/reaped test ! -e /proc/$gofer
	check jail/net-helper/reaped test ! -e /proc/$nethelper
	check jail/vm/nothing-blocked sh -c "! grep -q 'blocked system call' '$T/vm.err'"
fi
pid=

# An OCI container's VM (an exec socket, no --user): every thread, the
# exec one too, without capabilities and in ukrun's own mount namespace
# (a thread keeps its own: exec.c's starts after the jail).
"$UKRUN" --timeout 300 --oci-exec "$T/exec.sock" -p 18191:1000 "$G/net-echo.img" \
	>"$T/ex.out" 2>"$T/ex.err" &
pid=$!
if ! wait_ready "$T/ex.out"; then
	fail jail/exec-socket-up "$(tail -c 400 "$T/ex.err" | tr '\n' '|')"
else
	check jail/exec-socket/threads-several test "$(ls /proc/$pid/task | wc -l)" -gt 1
	check jail/exec-socket/every-thread-no-capabilities all_tasks $pid CapEff 0000000000000000
	check jail/exec-socket/every-thread-no-bounding-set all_tasks $pid CapBnd 0000000000000000
	check jail/exec-socket/every-thread-own-mount-ns own_ns $pid mnt
	check jail/exec-socket/every-thread-own-net-ns own_ns $pid net
	kill -TERM $pid
	wait $pid
fi
pid=

# -p 80: the network helper binds it each time the guest listens, so it
# keeps CAP_NET_BIND_SERVICE (bit 10) alone; ukrun keeps nothing.
"$UKRUN" --timeout 300 --user 65534:65534 -p 80:1000 "$G/net-echo.img" >"$T/low.out" \
	2>"$T/low.err" &
pid=$!
if ! wait_ready "$T/low.out"; then
	fail jail/low-port-up "$(tail -c 400 "$T/low.err" | tr '\n' '|')"
else
	nethelper=$(children $pid ukrun-net)
	check jail/low-port/net-helper-bind-service-only has ${nethelper:-none} CapEff 0000000000000400
	check jail/low-port/ukrun-no-capabilities no_caps $pid
	run ctl fds 127.0.0.1 80
	check jail/low-port/forward-works out_has '^[0-9]'
	kill -TERM $pid
	wait $pid
fi
pid=

# A TAP: its descriptor is open before the jail, so ukrun leaves the
# host's network namespace and the guest still answers through it.
tap_up() {
	[ -c /dev/net/tun ] && ip tuntap add dev $TAP mode tap 2>/dev/null &&
		ip addr add 10.0.9.1/24 dev $TAP && ip link set $TAP up
}
if ! have ip nc; then
	skip jail/tap "ip and nc are needed (ci/deps.sh installs them)"
elif ! tap_up; then
	skip jail/tap "cannot make TAP device $TAP here"
else
	"$UKRUN" --timeout 300 --verbose --user 65534:65534 --net tap:$TAP,vhost=off \
		--ip 10.0.9.2/24 "$G/net-echo.img" >"$T/tap.out" 2>"$T/tap.err" &
	pid=$!
	if ! wait_ready "$T/tap.out"; then
		fail jail/tap/up "$(tail -c 400 "$T/tap.err" | tr '\n' '|')"
	else
		check jail/tap/own-net-ns own_ns $pid net
		check jail/tap/an-empty-root test -z "$(ls -A /proc/$pid/root/)"
		run ctl fds 10.0.9.2 1000
		check jail/tap/guest-answers grep -q '^[0-9][0-9]*$' "$T/out"
		run ctl quit 10.0.9.2 1000
		wait $pid
		rc=$?
		check jail/tap/guest-exit-status status_is 0
	fi
	pid=
fi
