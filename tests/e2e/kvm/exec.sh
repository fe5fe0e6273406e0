#!/bin/sh
# `ukrun exec` (vmm/oci_exec.c, vmm/exec.c, libos/process/exec_host.c): a
# process started in a running container's VM, driven by hand as conmon
# and containerd's shim drive it. Output, exit status, stdin, the
# 126/127 codes and their words, config.json's process as the defaults
# and --cwd/--env/--user over them, --process FILE, --detach with
# --pid-file, several in a row and two at once, a large output and input
# intact, a terminal nobody reads stalling its writer and not the VM,
# terminals (the caller's own, -t relayed, --console-socket with its
# resize and ^C: tests/e2e/kvm/exec_tty.py drives them), signals passed
# on, kill --all, process 1 running through all of them, and clear errors
# for a stopped or missing container. podman exec is in ocirt.sh. POSIX
# sh; every exec bounded.
. tests/e2e/lib.sh
native_check exec
RT=$(cd "$(dirname "$UKRUN")" && pwd)/$(basename "$UKRUN")
R=$T/root
U() { "$RT" --root "$R" --log "$T/log" --log-format json "$@"; }
E() { bound 60 "$RT" --root "$R" exec "$@"; }
trap 'for p in $(cat "$T"/pid-* 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# (ukbuild links a container's image with the host's C compiler: the
# nested standard-KVM host has busybox alone)
if [ ! -x "$(dirname "$RT")/ukbuild" ] || ! have busybox || ! have gcc; then
	skip exec/all "the runtime needs ukbuild beside ukrun, gcc (it links the image) and a busybox to make a root filesystem of"
	exit 0
fi

mkdir -p "$T/b/rootfs/bin" "$T/b/rootfs/tmp" "$T/b/rootfs/etc"
cp "$(command -v busybox)" "$T/b/rootfs/bin/busybox"
for a in sh echo cat sleep ls touch md5sum id pwd stty grep test; do ln -s busybox "$T/b/rootfs/bin/$a"; done
echo 'not a program' >"$T/b/rootfs/etc/motd"
chmod 755 "$T/b/rootfs/etc/motd"
echo 'plain' >"$T/b/rootfs/etc/plain"
# process 1 says it started, then runs until killed, or 15 minutes (the
# VM is a session of its own, beyond the watchdog's reach: a run stopped
# before its EXIT trap must not leave it running)
cat >"$T/b/config.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": ["sh", "-c", "trap '' USR2; echo pid1-up; i=0; while [ \$i -lt 900 ]; do sleep 1; i=\$((i + 1)); done"],
             "env": ["PATH=/bin", "WHO=oci"], "cwd": "/tmp",
             "user": {"uid": 0, "gid": 0}, "terminal": false},
 "root": {"path": "rootfs"}, "hostname": "c1",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
EOF
U create --bundle "$T/b" --pid-file "$T/pid-c1" c1 >"$T/c1.out" 2>"$T/c1.err"
rc=$?
check exec/create status_is 0
vm=$(cat "$T/pid-c1")

run E c1 echo hi
check exec/refused-before-start err_has 'cannot exec in a not started container: c1 is created'
U start c1
_i=0
until grep -q pid1-up "$T/c1.out" || [ $_i -ge 100 ]; do
	sleep 0.1
	_i=$((_i + 1))
done

run E c1 /bin/echo hi
check exec/echo out_is hi
check exec/echo-status status_is 0
run E c1 sh -c 'exit 7'
check exec/status status_is 7
run E c1 sh -c 'kill -9 $$'
check exec/killed-status status_is 137
echo abc | E -i c1 cat >"$T/out" 2>"$T/err"
rc=$?
check exec/stdin out_is abc
: >"$T/empty"
run E c1 sh -c 'read l; echo "[$l]"' <"$T/empty"
check exec/stdin-end out_is '[]'
run E c1 sh -c 'echo to-err >&2; echo to-out'
check exec/stdout out_is to-out
check exec/stderr err_has '^to-err$'

# 127 and 126, in the words podman turns into those codes
run E c1 no-such-program
check exec/not-found-status status_is 127
check exec/not-found-says err_has 'exec failed: no-such-program: executable file not found in \$PATH'
run E c1 /etc/plain
check exec/not-executable-status status_is 126
check exec/not-executable-says err_has 'exec failed: /etc/plain: permission denied'
run E c1 /etc/motd
check exec/not-a-program-status status_is 126
run E --cwd /no/such/dir c1 pwd
check exec/cwd-missing err_has 'exec failed: cwd /no/such/dir: No such file or directory'
check exec/cwd-missing-status status_is 126

# config.json's process is the default; options over it
run E c1 sh -c 'echo "$WHO $PWD $PATH"'
check exec/defaults out_is 'oci /tmp /bin'
run E --cwd / -e WHO=over -e NEW=1 -u 1000:1001 c1 sh -c 'echo "$WHO $NEW $PWD $(id -u):$(id -g)"'
check exec/options out_is 'over 1 / 1000:1001'
# as runc's: a process of its own, its parent outside the container
run E c1 sh -c 'echo "ppid $PPID"'
check exec/parent-outside out_is 'ppid 0'
cat >"$T/process.json" <<'EOF'
{"args": ["sh", "-c", "echo \"from $0 in $PWD as $(id -u)\"; exit 3"], "env": ["PATH=/bin"],
 "cwd": "/etc", "user": {"uid": 7, "gid": 7}, "terminal": false}
EOF
run E --process "$T/process.json" c1
check exec/process-file out_is 'from sh in /etc as 7'
check exec/process-file-status status_is 3

# --detach (conmon's way): returns once it runs; --pid-file names the
# process that stays for its status
run E --detach --pid-file "$T/pid-d" c1 sh -c 'sleep 0.5; echo detached-done >/tmp/d'
check exec/detach-status status_is 0
check exec/detach-pid-file test -s "$T/pid-d"
_i=0
until E c1 cat /tmp/d >"$T/out" 2>/dev/null || [ $_i -ge 50 ]; do
	sleep 0.2
	_i=$((_i + 1))
done
check exec/detach-ran out_is detached-done

# several in a row, and two at once (the first waits for the second)
for i in 1 2 3 4 5 6 7 8; do E c1 echo "row $i"; done >"$T/out" 2>"$T/err"
check exec/in-a-row test "$(grep -c '^row [1-8]$' "$T/out")" -eq 8
E c1 sh -c 'i=0; while [ ! -e /tmp/go ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; echo A' >"$T/a" 2>&1 &
a=$!
E c1 sh -c 'touch /tmp/go; echo B' >"$T/out" 2>"$T/err"
wait $a
check exec/two-at-once-second out_is B
check exec/two-at-once-first grep -qx A "$T/a"

# a large output and input come through whole
want=$(md5sum <"$T/b/rootfs/bin/busybox" | cut -d' ' -f1)
run E c1 cat /bin/busybox
check exec/large-output test "$(md5sum <"$T/out" | cut -d' ' -f1)" = "$want"
E c1 md5sum <"$T/b/rootfs/bin/busybox" >"$T/out" 2>"$T/err"
check exec/large-input out_has "^$want "

# The vCPU never waits on a caller's descriptor: an exec whose stdout is
# a terminal nobody reads (its pty fills, a write there would block) leaves
# the VM answering another exec; closing the terminal ends the writer
if have python3; then
	cat >"$T/ptyfill.py" <<'EOF'
import fcntl, os, pty, struct, subprocess, sys, termios, time
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=s, stderr=s)
os.close(s)
last, same = -1, 0
for _ in range(300):  # until the master's queue stops growing: full
    n = struct.unpack("i", fcntl.ioctl(m, termios.FIONREAD, b"0000"))[0]
    same = same + 1 if n == last and n > 0 else 0
    last = n
    if same == 10:
        break
    time.sleep(0.1)
print("full" if same == 10 else "never-full", flush=True)
sys.stdin.read()
os.close(m)
try:
    p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
print("ended", flush=True)
EOF
	mkfifo "$T/hold"
	timeout -k 5 120 python3 "$T/ptyfill.py" timeout -k 5 100 "$RT" --root "$R" exec c1 \
		cat /bin/busybox /bin/busybox /bin/busybox <"$T/hold" >"$T/fill.out" 2>&1 &
	fill=$!
	exec 7>"$T/hold"
	_i=0
	until grep -qs full "$T/fill.out" || [ $_i -ge 400 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	check exec/stuck-terminal-full grep -qx full "$T/fill.out"
	run bound 20 "$RT" --root "$R" exec c1 echo alive
	check exec/stuck-terminal-vm-answers out_is alive
	exec 7>&-
	wait $fill
	check exec/stuck-terminal-ends grep -qx ended "$T/fill.out"
	run E c1 echo after
	check exec/stuck-terminal-after out_is after
else
	skip exec/stuck-terminal "python3 is not installed on this host (ci/deps.sh installs it)"
fi

# Terminals: the caller's own (no -t) is the process's, modes and size
# the host's; -t makes one, relayed by exec or sent to --console-socket,
# whose resize and ^C reach the process as SIGWINCH and SIGINT
if have python3; then
	TP="python3 tests/e2e/kvm/exec_tty.py"
	run bound 60 $TP pty 33 77 "$RT" --root "$R" exec c1 sh -c 'test -t 0 && test -t 1 && echo both-tty; stty size'
	check exec/tty-caller out_has '^both-tty$'
	check exec/tty-caller-size out_has '^33 77$'
	check exec/tty-caller-status out_has '^status 0$'
	run bound 60 $TP pty 33 77 "$RT" --root "$R" exec -t c1 sh -c \
		'test -t 0 && echo tty; stty size; stty -echo && stty -a | grep -q -- "-echo " && echo echo-off; exit 4'
	check exec/tty-relay out_has '^tty$'
	check exec/tty-relay-size out_has '^33 77$'
	check exec/tty-relay-modes out_has '^echo-off$'
	check exec/tty-relay-status out_has '^status 4$'
	run bound 60 $TP console "$T/console.sock" "$RT" --root "$R" exec -t --console-socket "$T/console.sock" c1 \
		sh -c 'trap "stty size; echo winch-done" WINCH; trap "exit 7" INT; echo ready; while :; do sleep 0.1; done'
	check exec/tty-console-socket out_has '^name /dev/pts/'
	check exec/tty-console-resized out_has '^40 100$'
	check exec/tty-console-interrupted out_has '^status 7$'
else
	skip exec/tty "python3 is not installed on this host (ci/deps.sh installs it)"
fi
run E c1 sh -c 'test -t 0 || test -t 1 || echo no-tty' </dev/null
check exec/no-tty out_is no-tty
run E -t --detach c1 true
check exec/tty-detach-needs-socket err_has 'exec: --tty with --detach needs --console-socket'
# -t relayed, its session's child ended before the parent took its
# signals (the parent held 2 s in that step by strace): the parent still
# sees that end (it waited on with the child a zombie)
if need exec/tty-child-ended-early strace; then
	run bound 60 strace -o /dev/null -e trace=pipe2 -e inject=pipe2:delay_enter=2000000 \
		"$RT" --root "$R" exec -t c1 echo relay-end </dev/null
	check exec/tty-child-ended-early status_is 0
	check exec/tty-child-ended-early-output out_has relay-end
fi

# Signals exec gets go on to the process (podman's, a ^C), as runc's
timeout -k 5 60 "$RT" --root "$R" exec c1 sh -c \
	'trap "echo got-term; exit 3" TERM; touch /tmp/trap-up; while :; do sleep 0.1; done' >"$T/sig.out" 2>&1 &
sig=$!
_i=0
until E c1 test -e /tmp/trap-up 2>/dev/null || [ $_i -ge 50 ]; do
	sleep 0.2
	_i=$((_i + 1))
done
kill -TERM $sig
wait $sig
rc=$?
check exec/signal-forwarded grep -qx got-term "$T/sig.out"
check exec/signal-status status_is 3
# process 1 ran through all of them; nothing of the execs in its output
run U state c1
check exec/pid1-running out_has '"status": "running"'
check exec/pid1-same-vm out_has "\"pid\": $vm"
check exec/pid1-output-alone test "$(cat "$T/c1.out")" = pid1-up

# kill --all: every process of the container, the exec'd ones too
# (process 1 ignores USR2 here, so the container stays)
E c1 sh -c 'trap "echo all-usr2; exit 9" USR2; touch /tmp/all-up; while :; do sleep 0.1; done' >"$T/all1.out" 2>&1 &
all1=$!
E c1 sh -c 'touch /tmp/all-up2; exec sleep 60' >/dev/null 2>&1 &
all2=$!
_i=0
until E c1 sh -c 'test -e /tmp/all-up && test -e /tmp/all-up2' 2>/dev/null || [ $_i -ge 50 ]; do
	sleep 0.2
	_i=$((_i + 1))
done
run U kill --all c1 USR2
check exec/kill-all-status status_is 0
wait $all1
rc=$?
check exec/kill-all-trapped status_is 9
check exec/kill-all-trapped-said grep -qx all-usr2 "$T/all1.out"
wait $all2
rc=$?
check exec/kill-all-default status_is 140
run U state c1
check exec/kill-all-pid1-stays out_has '"status": "running"'

# kill --all with 16 execs running (every session taken, a 17th exec is
# refused): the VM still takes it, each of them gets the signal, status 0
i=0
while [ $i -lt 16 ]; do
	E c1 sh -c 'trap "echo got-usr2; exit 9" USR2; echo up; while :; do sleep 1; done' \
		>"$T/busy$i.out" 2>&1 &
	echo $! >"$T/busy$i.pid"
	i=$((i + 1))
done
_i=0
until [ "$(cat "$T"/busy*.out | grep -c '^up$')" -eq 16 ] || [ $_i -ge 300 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
run E c1 echo
check exec/busy-refused err_has 'too many execs at once (16)'
run U kill --all c1 USR2
check exec/kill-all-busy-status status_is 0
n=0
for f in "$T"/busy*.pid; do
	wait "$(cat "$f")" && continue
	[ $? -eq 9 ] && n=$((n + 1))
done
check exec/kill-all-busy-each test "$n" -eq 16
check exec/kill-all-busy-said test "$(cat "$T"/busy*.out | grep -c '^got-usr2$')" -eq 16

# Output nobody reads, on a non-blocking pipe, after its process and its
# caller are gone: dropped 10 s later, so 16 such sessions do not refuse
# every exec for ever
if have python3; then
	cat >"$T/unread.py" <<'EOF'
import fcntl, os, struct, subprocess, sys, termios, time
# Each pipe one page (F_SETPIPE_SZ): 40000 bytes are 4096 there and the
# rest in ukrun's 64 KiB, so the process ends with its output waiting.
pipes, callers = [], []
for _ in range(16):
    r, w = os.pipe()
    fcntl.fcntl(w, 1031, 4096)
    os.set_blocking(w, False)
    callers.append(subprocess.Popen(sys.argv[1:] + ["busybox", "head", "-c", "40000", "/bin/busybox"],
                                    stdin=subprocess.DEVNULL, stdout=w, stderr=subprocess.DEVNULL))
    os.close(w)
    pipes.append(r)
def queued(r):
    return struct.unpack("i", fcntl.ioctl(r, termios.FIONREAD, b"0000"))[0]
end = time.time() + 60
while time.time() < end and any(queued(r) < 4096 for r in pipes):
    time.sleep(0.1)
time.sleep(1)  # (the processes end once ukrun holds the rest)
print("full" if all(queued(r) == 4096 for r in pipes) else
      "not-full %s" % [queued(r) for r in pipes], flush=True)
for c in callers:
    c.kill()
    c.wait()
print("callers-gone", flush=True)
sys.stdin.read()  # the pipes' read ends held, never read
EOF
	mkfifo "$T/hold2"
	timeout -k 5 120 python3 "$T/unread.py" "$RT" --root "$R" exec c1 <"$T/hold2" >"$T/unread.out" 2>&1 &
	unread=$!
	exec 7>"$T/hold2"
	_i=0
	until grep -qs callers-gone "$T/unread.out" || [ $_i -ge 900 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	check exec/unread-pipes-full grep -qx full "$T/unread.out"
	run E c1 echo
	check exec/unread-slots-held err_has 'too many execs at once (16)'
	_i=0
	until E c1 echo 2>/dev/null || [ $_i -ge 60 ]; do
		sleep 0.5
		_i=$((_i + 1))
	done
	run E c1 echo freed
	check exec/unread-dropped-slots-freed out_is freed
	exec 7>&-
	wait $unread
else
	skip exec/unread "python3 is not installed on this host (ci/deps.sh installs it)"
fi

# an exec whose container ends first: 137, and it says so
E c1 sh -c 'touch /tmp/long; exec sleep 60' >"$T/long.out" 2>"$T/long.err" &
long=$!
_i=0
until E c1 cat /tmp/long >/dev/null 2>&1 || [ $_i -ge 50 ]; do
	sleep 0.2
	_i=$((_i + 1))
done
U kill c1 KILL
wait $long
rc=$?
check exec/container-ended-status status_is 137
check exec/container-ended-says grep -q 'container c1 stopped before the process ended' "$T/long.err"
_i=0
until U state c1 2>/dev/null | grep -q '"status": "stopped"' || [ $_i -ge 100 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
run E c1 echo hi
check exec/stopped err_has 'cannot exec in a stopped container: c1 is stopped'
check exec/stopped-status status_is 1
U delete c1
check exec/delete-nothing-left test ! -e "$R/c1"
run E c1 echo hi
check exec/missing err_has 'container c1 does not exist'

# A guest breaking UK_HC_EXEC's rules (tests/guest/hostexec): the errors
# are answered; each violation ends the VM with ukrun's report, status 125
G=build/tests/guest/hostexec.img
if [ -f "$G" ]; then
	run "$UKRUN" --timeout 60 --oci-exec "$T/h.sock" "$G"
	check exec/hostile/answers out_has '^checks 11 failures 0$'
	check exec/hostile/answers-status status_is 0
	for m in gpa len block; do
		rm -f "$T/h.sock"
		run "$UKRUN" --timeout 60 --oci-exec "$T/h.sock" "$G" -- "$m"
		check "exec/hostile/$m-status" status_is 125
		check "exec/hostile/$m-reported" err_has '^ukrun: guest broke the ABI'
		check "exec/hostile/$m-stopped" sh -c "! grep -q '^survived' '$T/out'"
	done
else
	skip exec/hostile "$G is missing (make builds it)"
fi
