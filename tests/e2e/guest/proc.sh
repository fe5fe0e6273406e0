#!/bin/sh
# Processes inside the VM (libos/sys/proc.c, libos/mm/mm_proc.c): the
# Linux program tests/linux/proc.c, static and through ld.so (fork with
# copy-on-write memory, MAP_SHARED across fork, vfork, posix_spawn, execve
# in a child and close-on-exec, wait4/waitid statuses, SIGCHLD and its
# reaping, kill of a child and of a group, setpgid/setsid, a child's crash,
# a child with threads ending whole by exit or a signal), then busybox sh
# running a script the way entrypoint scripts do: $(...), a pipeline,
# background jobs and wait, trap EXIT, external commands in a row, exit
# statuses, no memory lost over 400 processes, and execs at once of a
# program on a volume. System V semaphores and message queues between
# processes: tests/linux/sysv.c.
. tests/e2e/lib.sh
runner_ready proc || exit 0
G=build/tests/guest

all_passed() { [ "$rc" -eq 0 ] && ! grep -q '^FAIL' "$T/out" && [ "$(grep -c '^PASS' "$T/out")" -ge 30 ]; }

for kind in static dynamic; do
	if [ ! -f "$G/proc-$kind.img" ]; then
		skip "$(name proc/$kind)" "$G/proc-$kind.img is missing (make builds it with the host's gcc)"
		continue
	fi
	guest "$G/proc-$kind.img"
	check "$(name proc/$kind/all-passed)" all_passed
	grep '^FAIL' "$T/out" | head -5
done

# Other Linux calls answered as Linux answers them (tests/linux/calls.c:
# extended attributes of files that have none, mincore beyond the user
# range), and System V semaphores and message queues between processes of
# the VM (tests/linux/sysv.c: ping-pong, SEM_UNDO of an exited and of a
# killed child, EINTR and EIDRM of a waiter, msgrcv by type, a full
# queue), and /proc per process (tests/linux/procfs.c: /proc/self,
# /proc/PID's stat, status, comm, cmdline, environ, exe, cwd, fd/, fdinfo/,
# task/, limits, maps with 20000 areas, a zombie, a file whose process
# went), job control (tests/linux/jobctl.c: SIGSTOP/SIGCONT of every
# thread, wait's WUNTRACED/WCONTINUED and waitid's, SIGCHLD's CLD_STOPPED
# and CLD_CONTINUED, SA_NOCLDSTOP, /proc's state T, SIGTSTP and orphaned
# groups, calls not interrupted by a stop) and POSIX timers
# (tests/linux/timers.c: every notification, overruns, CPU-time clocks,
# fork and exec), and files without names and copies between files
# (tests/linux/files.c: memfd_create and its seals, O_TMPFILE and linkat,
# copy_file_range and sendfile), and capabilities and dumpability
# (tests/linux/creds.c: capget, PR_CAPBSET_READ/DROP, cap_last_cap,
# PR_SET_DUMPABLE and /proc's rules after setuid), and sockets
# (tests/linux/sock.c: a TCP socket whose connection lwIP freed in
# TIME-WAIT while it was open, TCP_DEFER_ACCEPT, EOF soon after a bulk
# writer's close, an AF_UNIX listen(-1)'s backlog), and signals with a siginfo and process descriptors
# (tests/linux/pidfd.c: sigqueue, rt_tgsigqueueinfo, forged codes
# refused, pidfd_open, poll, send_signal, getfd, waitid(P_PIDFD)), static
# and through ld.so; sysv.c, procfs.c, jobctl.c, files.c, creds.c, sock.c
# and pidfd.c as processes here answer the same (their checks are Linux's
# answers, not uk's); and inotify (tests/linux/inotify.c: a watched
# directory's and file's events, merging, FIONREAD, poll, the watch
# flags and errors), and pseudo-terminals (tests/linux/pty.c: /dev/ptmx
# and /dev/pts, the line discipline's modes, controlling terminals,
# job control's signals, the hang-up), and bad pointers given to system
# calls (tests/linux/efault.c: EFAULT for an unmapped, PROT_NONE,
# read-only, kernel-half, non-canonical or straddling buffer, nothing
# lost or leaked, a child's bad pointer ending at most the child), and
# files' permissions (tests/linux/perms.c: Linux's discretionary access
# control for users, groups and a root with and without its
# capabilities; on a share too).
for prog in calls sysv procfs jobctl timers files creds sock pidfd inotify pty efault perms; do
	for kind in static dynamic; do
		if [ ! -f "$G/$prog-$kind.img" ]; then
			skip "$(name $prog/$kind)" "$G/$prog-$kind.img is missing (make builds it with the host's gcc)"
			continue
		fi
		guest "$G/$prog-$kind.img"
		check "$(name $prog/$kind/all-passed)" out_has "^$prog: all passed"
		grep '^FAIL' "$T/out" | head -5
	done
done
# The host name resolves from the start, as in a container: to Debian's
# 127.0.1.1 until the network is up, then to the guest's address (the
# user network's 10.0.2.15); without a network 127.0.1.1 throughout.
if [ -f "$G/sock-static.img" ]; then
	guest "$G/sock-static.img" hostname
	check "$(name sock/hostname-no-network)" sh -c "grep -q '^before: 127.0.1.1\$' '$T/out' &&
		grep -q '^after: 127.0.1.1\$' '$T/out'"
	guest --net user "$G/sock-static.img" hostname
	check "$(name sock/hostname-before-network)" out_has '^before: 127.0.1.1$'
	check "$(name sock/hostname-after-network)" out_has '^after: 10.0.2.15$'
	# /etc/resolv.conf is there from the start, as a container's (it was
	# written when the network came up, at the first socket): ukrun's user
	# network names libslirp's server at boot (under QEMU the guest learns
	# it from DHCP, or from uk.dns= on its line).
	if on_ukrun; then
		guest --net user "$G/sock-static.img" resolv
		check "$(name sock/resolv-conf-at-start)" out_has '^resolv: nameserver 10.0.2.3$'
		# a volume over /etc is the user's: the boot's file goes under
		# it (written after the mount, it overwrote the host's file)
		mkdir -p "$T/etcshare"
		echo 'nameserver 192.0.2.99' >"$T/etcshare/resolv.conf"
		guest --net user -v "$T/etcshare:/etc" "$G/sock-static.img" resolv
		check "$(name sock/resolv-conf-volume-kept)" sh -c "grep -q '^resolv: nameserver 192.0.2.99\$' '$T/out' &&
			grep -qx 'nameserver 192.0.2.99' '$T/etcshare/resolv.conf'"
	fi
	guest --net user "$G/sock-static.img" routes
	check "$(name sock/routes-default)" out_has '^route 0.0.0.0/0 via 10.0.2.2 src -$'
	check "$(name sock/routes-subnet)" out_has '^route 10.0.2.0/24 via - src 10.0.2.15$'
	# IPv6's: the user network's router (libslirp) advertises fec0::/64
	# from fe80::2; the address it brings becomes valid seconds after the
	# network came up, told to a member of the address and route groups
	guest --net user "$G/sock-static.img" routes6
	check "$(name sock/routes6-default)" out_has '^route6 ::/0 via fe80::2$'
	check "$(name sock/routes6-link-local)" out_has '^route6 fe80::/64 via -$'
	check "$(name sock/routes6-prefix)" out_has '^route6 fec0::/64 via -$'
	guest --net user "$G/sock-static.img" ll-self
	check "$(name sock/link-local-self)" out_has '^ll-self: connected to fe80::[0-9a-f:]*%2$'
	guest --net user "$G/sock-static.img" notify
	check "$(name sock/notify-address)" out_has '^notify RTM_NEWADDR inet6 fec0::[0-9a-f:]*/64 seq 0 pid 0$'
	check "$(name sock/notify-route)" out_has '^notify RTM_NEWROUTE inet6 fec0::/64 seq 0 pid 0$'
fi
# inotify on a share: the VM's own changes to its files are heard, as
# on the RAM filesystem (the host's are not: README).
if [ -f "$G/inotify-static.img" ]; then
	mkdir -p "$T/inoshare"
	guest -v "$T/inoshare:/s" "$G/inotify-static.img" /s
	check "$(name inotify/9p/all-passed)" out_has '^inotify: all passed$'
	grep '^FAIL' "$T/out" | head -5
fi
# Permissions on a share: the guest checks its users' (the gofer, root's
# here, gives new files their guest owners).
if [ -f "$G/perms-static.img" ]; then
	mkdir -p "$T/permshare"
	guest -v "$T/permshare:/s" "$G/perms-static.img" /s
	check "$(name perms/9p/all-passed)" out_has '^perms: all passed$'
	grep '^FAIL' "$T/out" | head -5
fi
# O_TMPFILE on a share is refused (EOPNOTSUPP), as by Linux's 9P client;
# flock excludes between processes there too (files are known by inode
# number: each open of a share's file may have its own vnode).
if [ -f "$G/files-static.img" ]; then
	mkdir -p "$T/tmpshare"
	guest -v "$T/tmpshare:/s" "$G/files-static.img" /s
	check "$(name files/9p-tmpfile-refused)" out_has '^PASS files/tmpfile/9p-unsupported$'
	check "$(name files/9p-flock)" sh -c "grep -q '^PASS files/flock-9p/blocked-then-granted\$' '$T/out' &&
		! grep -q '^FAIL files/flock-9p' '$T/out'"
fi
for prog in sysv procfs jobctl files creds sock pidfd inotify pty efault perms; do
	LXS=build/tests/linux/$prog/static/bin/prog
	if on_ukrun && [ -x "$LXS" ]; then
		run timeout -s KILL 150 "$LXS"
		check "$prog/linux-process/all-passed" out_has "^$prog: all passed"
		grep '^FAIL' "$T/out" | head -5
	fi
done

# python's os.getpid() and /proc/self agree in a forked child (Debian's
# python3 from build/tests/oci, made by tests/e2e/host/oci_images.sh).
PY=build/tests/oci/python.img
if [ -f "$PY" ]; then
	# (a script on a volume: QEMU's kernel command line splits on spaces)
	mkdir -p "$T/pyshare"
	printf '%s\n' '
import os
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, b"%d %s %d" % (os.getpid(), os.readlink("/proc/self").encode(), os.getppid()))
    os._exit(0)
os.waitpid(pid, 0)
got = os.read(r, 100).decode().split()
print("python-self-" + ("ok" if got[0] == str(pid) == got[1] and got[2] == str(os.getpid()) else "bad %s %d" % (got, pid)))' >"$T/pyshare/self.py"
	guest -v "$T/pyshare:/s" "$PY" /s/self.py
	check "$(name proc/python-self-in-child)" out_has '^python-self-ok$'
else
	skip "$(name proc/python-self-in-child)" "$PY is made by the host suite (tests/e2e/host/oci_images.sh): run it first"
fi

BB=build/tests/oci/busybox.img
if [ ! -f "$BB" ]; then
	skip "$(name proc/busybox)" "$BB is made by the host suite (tests/e2e/host/oci_run.sh): run it first"
	exit 0
fi
script='trap "echo trap-exit-ran" EXIT
x=$(echo sub); echo "subst=$x"
echo "pipeline=$(seq 1 100 | grep 7 | sort -r | wc -l)"
(sleep 0.2; exit 3) & a=$!
(exit 5) & b=$!
wait $b; echo "wait-b=$?"
wait $a; echo "wait-a=$?"
/bin/true; /bin/false; echo "false=$?"
ls / >/dev/null; echo "ls=$?"
sh -c "exit 7"; echo "sh=$?"
no-such-command 2>/dev/null; echo "not-found=$?"
sh -c "kill -SEGV \$\$"; echo "segv=$?"
sleep 10 & k=$!; kill $k; wait $k; echo "killed=$?"
v=parent; (v=child); echo "cow=$v"
p=$(sh -c "echo \$PPID"); [ "$p" = "$$" ] && echo ppid-ok
i=0; while [ $i -lt 200 ]; do y=$(echo $i); i=$((i + 1)); done
# free memory in KiB, with the freed page tables waiting in their queue
# before the allocator has them back (at most 4 MiB, filling as processes
# end: no loss); one process reads both (the other half of a pipeline would be
# counted, or not, as it runs)
free_kib() {
	set -- $(grep -h -E "^(MemFree:|uk_pt_queued )" /proc/meminfo /proc/vmstat)
	echo $(($2 + ${5:-0} * 4))
}
m1=$(free_kib)
i=0; while [ $i -lt 200 ]; do y=$(echo $i); i=$((i + 1)); done; echo "loop=$y"
m2=$(free_kib)
# (a page or so may move between the reads, a table kept for reuse; a
# page lost per process would be 800 KiB)
d=$((m1 - m2))
[ $d -le 64 ] && echo memory-steady || echo "memory: $m1 then $m2"
cp /bin/busybox /s/busybox
/s/busybox sh -c "exit 3" & a=$!; /s/busybox sh -c "exit 4" & b=$!; /s/busybox true & c=$!
wait $a; x=$?; wait $b; y=$?; wait $c; echo "parallel-execs=$x$y$?"
exit 4'
# (in a file on a share: a kernel command line would not keep it whole)
mkdir -p "$T/share"
printf '%s\n' "$script" >"$T/share/script.sh"
script_checks() { # NAME
	N=$1
	check "$(name $N/exit-status)" status_is 4
	check "$(name $N/command-substitution)" out_has '^subst=sub$'
	check "$(name $N/pipeline)" out_has '^pipeline=19$'
	check "$(name $N/background-wait)" out_has '^wait-b=5$'
	check "$(name $N/background-wait-sleeper)" out_has '^wait-a=3$'
	check "$(name $N/external-commands)" out_has '^false=1$'
	check "$(name $N/external-ls)" out_has '^ls=0$'
	check "$(name $N/nested-shell)" out_has '^sh=7$'
	check "$(name $N/not-found)" out_has '^not-found=127$'
	check "$(name $N/child-crash)" out_has '^segv=139$'
	check "$(name $N/kill-job)" out_has '^killed=143$'
	check "$(name $N/subshell-memory)" out_has '^cow=parent$'
	check "$(name $N/ppid)" out_has '^ppid-ok$'
	check "$(name $N/many-processes)" out_has '^loop=199$'
	check "$(name $N/no-memory-lost)" out_has '^memory-steady$'
	# three execs at once of a program on a 9P volume, each blocking on its reads
	check "$(name $N/parallel-execs-from-volume)" out_has '^parallel-execs=340$'
	check "$(name $N/trap-exit)" out_has '^trap-exit-ran$'
}
guest -v "$T/share:/s" "$BB" sh /s/script.sh
script_checks proc/busybox

# Job control from the shell: kill -STOP stops a background job (/proc
# says T), kill -CONT continues it; SIGTERM waits for the stopped job's
# SIGCONT (Linux: no stopped thread takes it), then ends it, as a shell's
# kill of a stopped job does.
# (Bounded polls: on Linux a stop lands when the target next runs.)
script='state() { sed -n "s/^State:.\(.\).*/\1/p" /proc/$1/status; }
until_state() { i=0; while [ "$(state $1)" != "$2" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; state $1; }
sleep 30 & p=$!
(i=0; while [ $i -lt 10000 ]; do i=$((i + 1)); echo $i >/tmp/count; sleep 0.01; done) & q=$!
sleep 0.2
kill -STOP $p $q; echo "stop=$?"
echo "sleeper=$(until_state $p T) counter=$(until_state $q T)"
a=$(cat /tmp/count); sleep 0.3; b=$(cat /tmp/count)
[ "$a" = "$b" ] && echo counter-still || echo "counter moved: $a $b"
kill -CONT $q; echo "cont=$?"
i=0; while [ "$(state $q)" = T ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(state $q)" != T ] && echo counter-continued
sleep 0.3; c=$(cat /tmp/count); [ "$c" != "$b" ] && echo counter-moves || echo "counter still at $c"
kill $q; wait $q; echo "killed-counter=$?"
kill $p; sleep 0.2; echo "stopped-after-term=$(state $p)"
kill -CONT $p; wait $p; echo "killed-stopped=$?"'
printf '%s\n' "$script" >"$T/share/stop.sh"
stop_checks() { # NAME
	N=$1
	check "$(name $N/status)" status_is 0
	check "$(name $N/kill-stop)" out_has '^stop=0$'
	check "$(name $N/stopped-state)" out_has '^sleeper=T counter=T$'
	check "$(name $N/stopped-does-not-run)" out_has '^counter-still$'
	check "$(name $N/kill-cont)" out_has '^cont=0$'
	check "$(name $N/continued-state)" out_has '^counter-continued$'
	check "$(name $N/continued-runs)" out_has '^counter-moves$'
	check "$(name $N/kill-continued-job)" out_has '^killed-counter=143$'
	check "$(name $N/term-waits-for-cont)" out_has '^stopped-after-term=T$'
	check "$(name $N/kill-stopped-job)" out_has '^killed-stopped=143$'
}
guest -v "$T/share:/s" "$BB" sh /s/stop.sh
stop_checks proc/busybox-stop
# The same scripts under Debian's dash (this machine's, through its own
# loader and C library on the volume; busybox's applets for the rest):
# the entrypoint-like one, then job control.
LDSO=/lib64/ld-linux-x86-64.so.2 LIBC=/lib/x86_64-linux-gnu/libc.so.6
if [ -x /usr/bin/dash ] && [ -f "$LDSO" ] && [ -f "$LIBC" ]; then
	cp /usr/bin/dash "$LDSO" "$LIBC" "$T/share/"
	guest -v "$T/share:/s" "$BB" /s/ld-linux-x86-64.so.2 --library-path /s /s/dash /s/script.sh
	script_checks proc/dash
	guest -v "$T/share:/s" "$BB" /s/ld-linux-x86-64.so.2 --library-path /s /s/dash /s/stop.sh
	stop_checks proc/dash-stop
else
	skip "$(name proc/dash)" "no /usr/bin/dash with $LDSO and $LIBC on this machine"
fi

# busybox's ps, ls -l /proc/self/fd and readlink /proc/self/exe over
# /proc: the VM's processes with their pids, parents and commands.
script='sleep 30 & s=$!
sh -c "exec sleep 29" & t=$!
sleep 0.2
echo "me=$$ sleeper=$s shell=$t"
ps -o pid,ppid,comm,args
echo "exe=$(readlink /proc/self/exe)"
echo "cgroup=$(cat /proc/self/cgroup)"
exec 7</s/ps.sh
ls -l /proc/self/fd
[ "$(readlink /proc/self)" != "$$" ] && echo self-is-the-child
kill $s $t
wait'
printf '%s\n' "$script" >"$T/share/ps.sh"
guest -v "$T/share:/s" "$BB" sh /s/ps.sh
N=proc/busybox-ps
ids=$(sed -n 's/^me=\([0-9]*\) sleeper=\([0-9]*\) shell=\([0-9]*\)$/\1 \2 \3/p' "$T/out")
me=${ids%% *} rest=${ids#* }
sleeper=${rest%% *} shell=${rest#* }
ps_has() { grep -Eq "^ *$1 +$2 +$3 +$4\$" "$T/out"; }
check "$(name $N/status)" status_is 0
check "$(name $N/shell)" ps_has 1 0 sh "sh /s/ps.sh"
check "$(name $N/sleeper)" ps_has "$sleeper" "$me" sleep "sleep 30"
check "$(name $N/exec-in-child)" ps_has "$shell" "$me" sleep "sleep 29"
check "$(name $N/ps-itself)" grep -Eq '^ *[0-9]+ +1 +ps +' "$T/out"
check "$(name $N/exe)" out_has '^exe=/bin/busybox$'
check "$(name $N/cgroup)" out_has '^cgroup=0::/$'
check "$(name $N/fd-file)" out_has ' 7 -> /s/ps.sh$'
check "$(name $N/fd-console)" out_has ' 1 -> /dev/console$'
check "$(name $N/self)" out_has '^self-is-the-child$'

# Debian's procps over /proc (its libproc2 reads stat, status, cmdline,
# statm of every pid): ps -ef, pgrep by name and by command line, top's
# batch mode, pkill.
PS=build/tests/oci/procps.img
if [ ! -f "$PS" ]; then
	skip "$(name proc/procps)" "$PS is made by the host suite (tests/e2e/host/oci_images.sh): run it first"
	exit 0
fi
script='sleep 30 & s=$!
sh -c "exec sleep 29" & t=$!
sleep 0.3
echo "me=$$ s=$s t=$t"
/usr/bin/ps -ef
echo "pgrep=$(/usr/bin/pgrep -d, -x sleep)"
echo "pgrep-f=$(/usr/bin/pgrep -f "sleep 29")"
/usr/bin/top -bn1 >/tmp/top.txt; echo "top=$?"
cat /tmp/top.txt
/usr/bin/pkill -x sleep
wait
/usr/bin/pgrep -x sleep || echo none-left'
printf '%s\n' "$script" >"$T/share/procps.sh"
guest -v "$T/share:/s" "$PS" /s/procps.sh
N=proc/procps
ids=$(sed -n 's/^me=\([0-9]*\) s=\([0-9]*\) t=\([0-9]*\)$/\1 \2 \3/p' "$T/out")
me=${ids%% *} rest=${ids#* }
s=${rest%% *} t=${rest#* }
ef_has() { grep -Eq "^root +$1 +$2 +[0-9]+ [0-9:]+ \? +[0-9:]+ $3\$" "$T/out"; }
check "$(name $N/status)" status_is 0
check "$(name $N/ps-ef-shell)" ef_has 1 0 "sh /s/procps.sh"
check "$(name $N/ps-ef-child)" ef_has "$s" "$me" "sleep 30"
check "$(name $N/ps-ef-exec-in-child)" ef_has "$t" "$me" "sleep 29"
check "$(name $N/ps-ef-itself)" ef_has '[0-9]+' "$me" "/usr/bin/ps -ef"
check "$(name $N/pgrep)" out_has "^pgrep=$s,$t\$"
check "$(name $N/pgrep-f)" out_has "^pgrep-f=$t\$"
check "$(name $N/top)" out_has '^top=0$'
check "$(name $N/top-tasks)" out_has '^Tasks: *[0-9]* total'
check "$(name $N/top-lists)" grep -Eq "^ *$s +root .* sleep *\$" "$T/out"
check "$(name $N/pkill)" out_has '^none-left$'
