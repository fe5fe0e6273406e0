#!/bin/sh
# ukrun as an OCI runtime (vmm/oci*.c): first driven by hand as conmon and
# containerd's shim drive it (create, state, start, kill, delete, list,
# features, exec of a container not there (exec.sh has the rest); the image cache; a config.json or bundle that
# is wrong or hostile gets one clear error naming the field, in the JSON
# log too, and leaves nothing under the root), then under Debian's podman
# (`podman --runtime ukrun run`) with images loaded from tests/images'
# archives: output and exit status, -e, -v (read-write and :ro),
# --memory, -t, run -d + exec/logs/ps/stop/wait/kill/rm, -p through podman's
# bridge and container to container; and under containerd (`ctr run
# --runc-binary ukrun`, through its runc shim) and docker (`--runtime`)
# where it is installed.
# POSIX sh; podman's part skips with the reason where podman cannot run.
. tests/e2e/lib.sh
own_netns "$0" "$@"
native_check ocirt
RT=$(cd "$(dirname "$UKRUN")" && pwd)/$(basename "$UKRUN")
R=$T/root
U() { "$RT" --root "$R" --log "$T/log" --log-format json "$@"; }
trap 'for p in $(cat "$T"/pid-* 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# (ukbuild links a container's image with the host's C compiler: the
# nested standard-KVM host has busybox alone)
if [ ! -x "$(dirname "$RT")/ukbuild" ] || ! have busybox || ! have gcc; then
	skip ocirt/all "the runtime needs ukbuild beside ukrun, gcc (it links the image) and a busybox to make a root filesystem of"
	exit 0
fi

# A root filesystem of busybox's applets, and a bundle around it.
mkdir -p "$T/b/rootfs/bin" "$T/b/rootfs/tmp" "$T/b/rootfs/etc"
cp "$(command -v busybox)" "$T/b/rootfs/bin/busybox"
for a in sh echo cat sleep ls; do ln -s busybox "$T/b/rootfs/bin/$a"; done
# config ARGS-JSON [EXTRA-JSON]: the bundle's config.json.
config() {
	cat >"$T/b/config.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": $1, "env": ["PATH=/bin", "WHO=oci"], "cwd": "/tmp",
             "user": {"uid": 0, "gid": 0}, "terminal": false},
 "root": {"path": "rootfs"}, "hostname": "c1",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev/shm", "type": "bind", "source": "/dev/shm", "options": ["bind"]},
            {"destination": "/share", "type": "bind", "source": "$T/share", "options": ["rbind", "ro"]}],
 "annotations": {"org.example": "yes"} ${2:+, $2}}
EOF
}
# wait_status ID STATUS: until `state` says STATUS (10 s at most).
wait_status() {
	_i=0
	while [ $_i -lt 100 ]; do
		U state "$1" 2>/dev/null | grep -q "\"status\": \"$2\"" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
# until_ok N PAUSE CMD...: CMD until it succeeds, again after each PAUSE
# seconds, N times more at the most (a daemon coming up, a page served).
until_ok() {
	_n=$1 _pause=$2 _i=0
	shift 2
	until "$@" || [ $_i -ge "$_n" ]; do
		sleep "$_pause"
		_i=$((_i + 1))
	done
}
mkdir -p "$T/share"
echo 'from the host' >"$T/share/note"

config '["sh", "-c", "echo \"hi $WHO in $PWD\"; read l </share/note; echo \"$l\"; echo to-stderr >&2; exit 3"]'
# (the VM's stdout and stderr are create's: the output goes to c1.out)
U create --bundle "$T/b" --pid-file "$T/pid-c1" c1 >"$T/c1.out" 2>"$T/c1.err"
rc=$?
check ocirt/create/status status_is 0
check ocirt/create/pid-file test -s "$T/pid-c1"
check ocirt/create/built-once test "$(ls "$R"/images/*.img | wc -l)" -eq 1
run U state c1
check ocirt/state/created out_has '"status": "created"'
check ocirt/state/pid out_has "\"pid\": $(cat "$T/pid-c1")"
check ocirt/state/bundle out_has "\"bundle\": \"$T/b\""
check ocirt/state/annotations out_has '"org.example": "yes"'
run U list
check ocirt/list out_has '^c1 .* created '
# The VM waits: nothing of the program has run before start.
check ocirt/create/waits-for-start test ! -s "$T/c1.out"
run U start c1
check ocirt/start/status status_is 0
check ocirt/start/stops wait_status c1 stopped
run cat "$T/c1.out"
check ocirt/run/stdout out_is "hi oci in /tmp
from the host"
check ocirt/run/stderr grep -q '^to-stderr$' "$T/c1.err"
run U state c1
check ocirt/state/stopped-pid-0 out_has '"pid": 0'
run U start c1
check ocirt/start/again-refused err_has 'container c1 is stopped: only a created container starts'
run U delete c1
check ocirt/delete/status status_is 0
check ocirt/delete/nothing-left test ! -e "$R/c1"
run U state c1
check ocirt/state/gone err_has 'container c1 does not exist'

# The second container of the same root filesystem finds its image,
# whatever its program.
config '["echo", "second"]'
U create --bundle "$T/b" --pid-file "$T/pid-c2" c2 >"$T/c2.out" 2>&1
rc=$?
check ocirt/cache/create status_is 0
check ocirt/cache/no-rebuild test "$(grep -c 'building the image' "$T/log")" -eq 1
U start c2 && wait_status c2 stopped
run cat "$T/c2.out"
check ocirt/cache/runs out_is second
U delete c2

# kill: SIGKILL ends the VM; delete of a created one ends its VM.
config '["sleep", "60"]'
U create --bundle "$T/b" --pid-file "$T/pid-k" k >/dev/null 2>&1
U start k
run U state k
check ocirt/kill/running out_has '"status": "running"'
run U delete k
check ocirt/delete/running-refused err_has 'container k is running: stop it first, or delete --force'
run U kill k KILL
check ocirt/kill/status status_is 0
check ocirt/kill/stopped wait_status k stopped
run U kill k TERM
check ocirt/kill/stopped-refused err_has 'container not running: k has stopped'
U delete k
U create --bundle "$T/b" --pid-file "$T/pid-d" d >/dev/null 2>&1
run U delete d
# (gone, or a zombie its new parent has not reaped yet)
check ocirt/delete/created-ends-vm sh -c "! [ -e /proc/$(cat "$T/pid-d") ] || grep -q ') Z' /proc/$(cat "$T/pid-d")/stat"
# gone, or a zombie its new parent has not reaped yet
vm_gone() { ! [ -e "/proc/$1" ] || grep -q ') Z' "/proc/$1/stat"; }
# delete --force with a corrupt state.json still ends the VM (vm.pid).
U create --bundle "$T/b" --pid-file "$T/pid-cz" cz >/dev/null 2>&1
echo '{corrupt' >"$R/cz/state.json"
run U delete --force cz
check ocirt/delete/force-corrupt-state status_is 0
check ocirt/delete/force-corrupt-state-ends-vm vm_gone "$(cat "$T/pid-cz")"
check ocirt/delete/force-corrupt-state-gone test ! -e "$R/cz"
# delete --force while a create is under way (its image being built: a
# root of its own, whose cache is empty) does not pull the directory from
# under it.
U2() { "$RT" --root "$T/root2" "$@"; }
U2 create --bundle "$T/b" --pid-file "$T/pid-cr" cr >"$T/cr.out" 2>"$T/cr.err" &
crpid=$!
until_ok 100 0.05 test -d "$T/root2/cr"
U2 delete --force cr >"$T/out" 2>"$T/err"
rc=$?
wait $crpid
crrc=$?
if [ "$rc" -ne 0 ]; then
	check ocirt/delete/force-during-create-refused err_has 'container cr is being created'
	check ocirt/delete/force-during-create-create-ok test "$crrc" -eq 0
	U2 delete --force cr
else # (create had ended already)
	check ocirt/delete/force-after-create-ends-vm vm_gone "$(cat "$T/pid-cr" 2>/dev/null || echo 0)"
fi
check ocirt/delete/force-during-create-nothing-left test ! -e "$T/root2/cr"
run U kill nosuch TERM
check ocirt/kill/unknown err_has 'container nosuch does not exist'
run U kill k SIGNOPE
check ocirt/kill/bad-signal err_has "signal 'SIGNOPE': expected a name"

# The cache: an image no container used for over a week goes when
# another is built; one used since stays.
old_img=$(ls "$R"/images/*.img)
touch -d '10 days ago' "$old_img"
config '["echo", "again"]'
U create --bundle "$T/b" --pid-file "$T/pid-u" u >/dev/null 2>&1
U delete -f u
check ocirt/cache/use-renews-time test -n "$(find "$old_img" -mmin -5)"
touch -d '10 days ago' "$old_img"
cp -R "$T/b/rootfs" "$T/b/rootfs2"
echo other >"$T/b/rootfs2/etc/other"
config '["echo", "again"]'
sed 's#"path": "rootfs"#"path": "rootfs2"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
U create --bundle "$T/b" --pid-file "$T/pid-n" n >/dev/null 2>&1
U delete -f n
check ocirt/cache/new-image-built test "$(ls "$R"/images/*.img | wc -l)" -eq 1
check ocirt/cache/unused-pruned test ! -e "$old_img"
check ocirt/cache/prune-logged grep -q 'image cache: removed .* (unused for 10 days)' "$T/log"

# A file whose bytes change but not its size or time (tar, cp -p, rsync
# -a and reproducible builds keep mtime): the next container gets them.
echo version-1 >"$T/b/rootfs2/msg"
config '["cat", "/msg"]'
sed 's#"path": "rootfs"#"path": "rootfs2"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
U create --bundle "$T/b" --pid-file "$T/pid-v1" v1 >"$T/v1.out" 2>&1
U start v1 && wait_status v1 stopped
U delete -f v1
touch -r "$T/b/rootfs2/msg" "$T/stamp"
echo version-2 >"$T/b/rootfs2/msg"
touch -r "$T/stamp" "$T/b/rootfs2/msg"
U create --bundle "$T/b" --pid-file "$T/pid-v2" v2 >"$T/v2.out" 2>&1
U start v2 && wait_status v2 stopped
U delete -f v2
run cat "$T/v1.out" "$T/v2.out"
check ocirt/cache/same-size-same-mtime-new-bytes out_is "version-1
version-2"

# create fails after the VM is up (its pid file cannot be written): the
# VM goes too, not left waiting on the FIFO of a removed container.
run U create --bundle "$T/b" --pid-file "$T/no/such/dir/pid" leak
check ocirt/create/pid-file-failure-status test "$rc" -ne 0
sleep 0.5
check ocirt/create/pid-file-failure-no-vm-left sh -c "! pgrep -f '$R/[l]eak/exec.fifo' >/dev/null" # ([l]: not this shell's own line)

# A network namespace as an engine prepares it (a veth with the address):
# a second container there after the first is deleted (a restart in a
# pod's namespace) is made, not refused by what the first left.
ns=ukoci$$
if have ip tc && ip netns add "$ns" 2>/dev/null; then
	ip -n "$ns" link add eth0 type veth peer name peer0 &&
		ip -n "$ns" addr add 10.88.7.2/24 dev eth0 &&
		ip -n "$ns" link set eth0 up && ip -n "$ns" link set peer0 up
	config '["echo", "in-netns"]' '"linux": {"namespaces": [{"type": "network", "path": "/run/netns/'"$ns"'"}]}'
	U create --bundle "$T/b" --pid-file "$T/pid-m1" m1 >"$T/m1.out" 2>&1
	U start m1 && wait_status m1 stopped
	U delete -f m1
	run U create --bundle "$T/b" --pid-file "$T/pid-m2" m2
	check ocirt/net/second-container-in-namespace status_is 0
	U delete -f m2
	ip netns del "$ns"
else
	skip ocirt/net/second-container-in-namespace "no ip/tc, or no network namespaces here"
fi

# (exec itself: exec.sh; here, what it says of a container not there)
run U exec c1 true
check ocirt/exec/missing err_has 'exec: container c1 does not exist'
check ocirt/exec/status status_is 1
# The default root: /run/ukrun for the host's root; $XDG_RUNTIME_DIR/ukrun
# for root of a user namespace (rootless podman runs the runtime so, and
# gives no --root), as runc and crun choose theirs
if [ "$(id -u)" = 0 ]; then
	run env XDG_RUNTIME_DIR="$T/xdg" "$RT" state nope
	check ocirt/root/default err_has '(under /run/ukrun)'
fi
if unshare -r true 2>/dev/null; then
	run env XDG_RUNTIME_DIR="$T/xdg" unshare -r "$RT" state nope
	check ocirt/root/rootless err_has "(under $T/xdg/ukrun)"
else
	skip ocirt/root/rootless "no user namespaces here (unshare -r)"
fi
run U features
check ocirt/features out_has '"ociVersionMax": "1.0.2"'
run U frobnicate x
check ocirt/unknown-command err_has "unknown command 'frobnicate'"

# Bad bundles and configs: status 1, the field named on stderr and in the
# JSON log, nothing left under the root.
# bad NAME ERROR-PATTERN: create with the current config.json.
bad() {
	: >"$T/log"
	run U create --bundle "$T/b" "bad-$1"
	check "ocirt/bad/$1" err_has "$2"
	check "ocirt/bad/$1-status" status_is 1
	check "ocirt/bad/$1-log" grep -q '"level":"error","msg":".*'"$2" "$T/log"
	check "ocirt/bad/$1-nothing-left" test ! -e "$R/bad-$1"
}
echo '{"ociVersion": "1.0.2", "process": ' >"$T/b/config.json"
bad truncated-json 'config.json: line 2'
echo '[]' >"$T/b/config.json"
bad not-object 'config.json: not a JSON object'
config '[]'
bad empty-args 'process.args: empty'
config '"sh"'
bad args-not-array 'process.args: expected an array of strings'
config '["sh"]' '"linux": {"resources": {"memory": {"limit": 1099511627776000}}}'
bad absurd-memory 'linux.resources.memory.limit: 1099511627776000 bytes; a uk VM takes'
config '["sh"]' '"linux": {"resources": {"memory": {"limit": 1000}}}'
bad tiny-memory 'linux.resources.memory.limit: 1000 bytes'
sed 's#"cwd": "/tmp"#"cwd": "tmp"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
bad relative-cwd "process.cwd: 'tmp': expected an absolute path"
config '["sh"]'
sed 's#"WHO=oci"#"WHO"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
bad env-without-value "process.env\[1\] 'WHO': expected NAME=VALUE"
config '["sh"]'
sed 's#"uid": 0#"uid": -1#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
bad negative-uid 'process.user.uid: expected a number'
config '["sh"]'
sed 's#"path": "rootfs"#"path": "missing"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
bad missing-rootfs "root.path 'missing': No such file or directory"
ln -s / "$T/b/escape"
sed 's#"path": "missing"#"path": "escape"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
bad rootfs-symlink-out "root.path 'escape': leaves the bundle through a symlink"
config '["sh"]'
sed 's#"source": "'"$T"'/share"#"source": "escape/etc"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
bad mount-symlink-out "mounts\[2\].source 'escape/etc': leaves the bundle through a symlink"
config '["sh"]'
sed 's#"destination": "/share"#"destination": "/a/../etc"#' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
bad mount-dotdot "mounts\[2\].destination '/a/../etc': expected an absolute path without '..'"
config '["sh"]' '"process": {}'
bad duplicate-key 'duplicate object key'
rm "$T/b/config.json"
bad no-config 'config.json: No such file or directory'
config '["sh"]'
run U create --bundle "$T/b" ../x
check ocirt/bad/id err_has "container id '../x': expected letters"
check ocirt/bad/id-nothing-left test ! -e "$T/x"
config '["/bin/nonexistent"]'
U create --bundle "$T/b" --pid-file "$T/pid-dup" dup >/dev/null 2>&1
run U create --bundle "$T/b" dup
check ocirt/bad/duplicate-id err_has 'container dup already exists'
U delete --force dup
run "$RT" --root relative list
check ocirt/bad/relative-root err_has "root 'relative': expected an absolute path"
run "$RT" --root "$R" --log-format xml list
check ocirt/bad/log-format err_has "log-format 'xml': expected text or json"
check ocirt/bad/root-clean test "$(ls "$R" | grep -v '^images$' | wc -l)" -eq 0

# ---- podman ----
podman_ok() {
	if ! have podman conmon; then
		skip ocirt/podman "podman is not installed here (ci/deps.sh installs it)"
		return 1
	fi
	if [ "$(id -u)" != 0 ]; then
		skip ocirt/podman "podman's checks run as root (rootless podman needs a user session here)"
		return 1
	fi
	if ! I=$(bash tests/images/build.sh busybox python go nginx redis 2>"$T/images.log"); then
		skip ocirt/podman "the test images could not be built: $(tail -c 200 "$T/images.log" | tr '\n' ' ')"
		return 1
	fi
	# A store of its own: nothing of this host's podman is touched.
	P="podman --root $T/ps --runroot $T/pr --tmpdir $T/ptmp --events-backend file --runtime $RT --runtime-flag root=$T/uk-podman"
	if ! bound 120 $P load -q -i "$I/busybox.tar" >"$T/out" 2>"$T/err" ||
		! bound 120 $P load -q -i "$I/python.tar" >>"$T/out" 2>>"$T/err" ||
		! bound 120 $P load -q -i "$I/go.tar" >>"$T/out" 2>>"$T/err" ||
		! bound 120 $P load -q -i "$I/nginx.tar" >>"$T/out" 2>>"$T/err" ||
		! bound 120 $P load -q -i "$I/redis.tar" >>"$T/out" 2>>"$T/err"; then
		skip ocirt/podman "podman load failed here: $(tail -c 200 "$T/err" | tr '\n' ' ')"
		return 1
	fi
}
if podman_ok; then
	trap '$P rm -af -t 0 >/dev/null 2>&1; bound 60 $P system reset -f >/dev/null 2>&1; for p in $(cat "$T"/pid-* 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
	BB=localhost/uk-test/busybox:latest
	PY=localhost/uk-test/python:latest
	GO=localhost/uk-test/go:latest
	NG=localhost/uk-test/nginx:latest
	RD=localhost/uk-test/redis:latest
	run bound 120 $P run --rm --network none "$BB" sh -c 'echo "hello $GREETING"; exit 7'
	check ocirt/podman/busybox-output out_is 'hello hello from the busybox image'
	check ocirt/podman/busybox-status status_is 7
	# processes in the guest: a command substitution and a pipeline
	run bound 120 $P run --rm --network none "$BB" sh -c 'echo "sub $(echo shell)" | cat'
	check ocirt/podman/fork out_is 'sub shell'
	run bound 120 $P run --rm --network none -e GREETING=from-e "$BB" sh -c 'echo "$GREETING"'
	check ocirt/podman/env out_is from-e
	run bound 300 $P run --rm --network none "$PY" -c 'import os, sys; print(os.getcwd(), sum(range(10))); sys.exit(4)'
	check ocirt/podman/python-output out_is '/app 45'
	check ocirt/podman/python-status status_is 4
	# The second python container does not build its image again.
	n=$(ls "$T/uk-podman/images/"*.img | wc -l)
	run bound 300 $P run --rm --network none "$PY" -c 'print("again")'
	check ocirt/podman/python-cached test "$(ls "$T/uk-podman/images/"*.img | wc -l)" -eq "$n"
	mkdir -p "$T/vol"
	run bound 120 $P run --rm --network none -v "$T/vol:/data" "$BB" sh -c 'echo written > /data/f'
	check ocirt/podman/volume-written grep -q '^written$' "$T/vol/f"
	run bound 120 $P run --rm --network none -v "$T/vol:/data:ro" "$BB" sh -c 'echo x > /data/g'
	check ocirt/podman/volume-ro-refused err_has 'Read-only file system'
	check ocirt/podman/volume-ro-untouched test ! -e "$T/vol/g"
	run bound 120 $P run --rm --network none --memory 256m "$BB" head -1 /proc/meminfo
	check ocirt/podman/memory out_has '^MemTotal: *26[0-9]* kB'
	# podman's single files (/etc/hostname, /etc/hosts, ...): copies in a
	# share the image links them into.
	run bound 120 $P run --rm --network none --hostname ukhost "$BB" sh -c 'read h </etc/hostname; echo "$h"'
	check ocirt/podman/etc-hostname out_is ukhost
	# --read-only: root.readonly, and podman's tmpfs mounts (/tmp) stay writable
	run bound 120 $P run --rm --network none --read-only "$BB" sh -c 'echo x >/bin/f; echo ok >/tmp/t && cat /tmp/t'
	check ocirt/podman/read-only-refused err_has 'Read-only file system'
	check ocirt/podman/read-only-tmpfs out_is ok
	run bound 120 $P run --rm --network none --hostname ukhost "$BB" uname -n
	check ocirt/podman/uname-hostname out_is ukhost
	run bound 120 $P run --rm -t --network none "$BB" sh -c 'echo on-a-tty; exit 2'
	check ocirt/podman/tty-output out_has 'on-a-tty'
	check ocirt/podman/tty-status status_is 2

	# logged NAME LINE: until podman's logs of NAME have LINE (10 s at most).
	has_line() { bound 30 $P logs "$1" 2>/dev/null | grep -q "^$2\$"; }
	logged() { until_ok 50 0.2 has_line "$1" "$2"; }
	run bound 120 $P run -d --name bg --hostname bg --network none "$BB" sh -c 'echo started; exec sleep 120'
	check ocirt/podman/detached status_is 0
	logged bg started
	run bound 30 $P logs bg
	check ocirt/podman/logs out_has '^started$'
	run bound 30 $P ps --format '{{.Names}} {{.Status}}'
	check ocirt/podman/ps-up out_has '^bg Up'
	# podman exec (conmon runs `ukrun exec --detach --pid-file --process`):
	# output, status, stdin, 127 for a program not there; process 1 runs on
	run bound 60 $P exec bg cat /etc/hostname
	check ocirt/podman/exec-output out_has '^bg$'
	run bound 60 $P exec bg sh -c 'echo "in sh $(echo sub)"; exit 5'
	check ocirt/podman/exec-sh out_is 'in sh sub'
	check ocirt/podman/exec-status status_is 5
	echo piped | bound 60 $P exec -i bg cat >"$T/out" 2>"$T/err"
	check ocirt/podman/exec-stdin out_is piped
	# podman exec -it (conmon gets the terminal by --console-socket):
	# a terminal for the process, of podman's own terminal's size
	if have python3; then
		run bound 90 python3 tests/e2e/kvm/exec_tty.py pty 30 90 $P exec -it bg \
			sh -c 'test -t 0 && test -t 1 && echo exec-tty; stty size; exit 6'
		check ocirt/podman/exec-tty out_has '^exec-tty$'
		check ocirt/podman/exec-tty-size out_has '^30 90$'
		check ocirt/podman/exec-tty-status out_has '^status 6$'
	else
		skip ocirt/podman/exec-tty "python3 is not installed on this host (ci/deps.sh installs it)"
	fi
	run bound 60 $P exec bg no-such-program
	check ocirt/podman/exec-not-found status_is 127
	check ocirt/podman/exec-not-found-says err_has 'executable file not found'
	run bound 30 $P ps --format '{{.Names}} {{.Status}}'
	check ocirt/podman/exec-pid1-runs out_has '^bg Up'
	run bound 30 $P logs bg
	check ocirt/podman/exec-logs-alone out_is started
	run bound 60 $P stop -t 5 bg
	check ocirt/podman/stop status_is 0
	run bound 30 $P wait bg
	check ocirt/podman/stop-status out_is 143
	# (nothing of the VM's own in the container's output: crun says nothing)
	run bound 30 $P logs bg
	check ocirt/podman/stop-logs-quiet out_is started
	run bound 30 $P rm bg
	check ocirt/podman/rm status_is 0
	# podman stop's SIGTERM reaches the program (process 1 in the VM): a
	# handler ends it its own way; one that ignores it ends by SIGKILL
	# after stop's timeout, as under runc.
	# stopped NAME TRAP SECS: a container whose program traps TERM with
	# TRAP, started, then podman stop -t SECS; its wait's answer in $T/out.
	stopped() {
		bound 120 $P run -d --name "$1" --network none "$BB" sh -c \
			"trap '$2' TERM; echo started; i=0; while [ \$i -lt 900 ]; do sleep 1; i=\$((i + 1)); done" >/dev/null 2>&1
		logged "$1" started
		run bound 60 $P stop -t "$3" "$1"
		run bound 30 $P wait "$1"
	}
	stopped trapper 'echo graceful; exit 7' 30
	check ocirt/podman/stop-handled-status out_is 7
	run bound 30 $P logs trapper
	check ocirt/podman/stop-handled-output out_has '^graceful$'
	bound 30 $P rm -f trapper >/dev/null 2>&1
	stopped deaf '' 2
	check ocirt/podman/stop-ignored-killed out_is 137
	bound 30 $P rm -f deaf >/dev/null 2>&1
	# podman kill -s INT: python's KeyboardInterrupt.
	bound 120 $P run -d --name pyint --network none "$PY" -c \
		'import time
print("started", flush=True)
try:
    time.sleep(100)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    raise SystemExit(5)' >/dev/null 2>&1
	logged pyint started
	run bound 30 $P kill -s INT pyint
	run bound 30 $P wait pyint
	check ocirt/podman/sigint-keyboardinterrupt out_is 5
	run bound 30 $P logs pyint
	check ocirt/podman/sigint-handler-output out_has '^interrupted$'
	bound 30 $P rm -f pyint >/dev/null 2>&1
	run bound 120 $P run -d --name bg2 --network none "$BB" sleep 120
	run bound 30 $P kill bg2
	run bound 30 $P wait bg2
	check ocirt/podman/kill-status out_is 137
	run bound 30 $P inspect bg2 --format '{{.State.Status}} {{.State.ExitCode}}'
	# (exited once podman's cleanup ran: with a store of its own it does
	# not always, whatever the runtime)
	check ocirt/podman/inspect out_has '^[a-z]* 137$'
	bound 30 $P rm bg2 >/dev/null 2>&1

	# The engine's network (netavark's bridge, in this script's own
	# network namespace): the VM takes the veth's address through a TAP
	# joined to it by tc mirred; -p is podman's DNAT, unchanged.
	if ! have curl; then
		skip ocirt/podman-net "curl is not installed here (ci/deps.sh installs it)"
	elif ! bound 120 $P run -d --name web -p 127.0.0.1:18080:8080 "$GO" >"$T/out" 2>"$T/err"; then
		fail ocirt/podman-net/run "$(tail -c 300 "$T/err" | tr '\n' ' ')"
	else
		until_ok 60 0.5 bound 10 curl -sf -m 5 -o "$T/page" http://127.0.0.1:18080/ 2>/dev/null
		check ocirt/podman-net/publish-p grep -q 'served by go in a uk microVM' "$T/page"
		ip=$(bound 30 $P inspect web --format '{{.NetworkSettings.IPAddress}}')
		run bound 120 $P run --rm "$BB" wget -q -O - "http://$ip:8080/"
		check ocirt/podman-net/container-to-container out_has 'served by go in a uk microVM'
		# The guest has the veth's MAC address (Kata's way): the host's
		# neighbour entry for the container is what podman reports.
		# (a request from here to its address first: the entry is fresh)
		mac=$(bound 30 $P inspect web --format '{{.NetworkSettings.MacAddress}}')
		bound 10 curl -sf -m 5 "http://$ip:8080/" >/dev/null 2>&1
		run ip neigh show to "$ip"
		check ocirt/podman-net/guest-mac-is-the-veths out_has "lladdr ${mac:-none} "
		bound 60 $P stop -t 2 web >/dev/null 2>&1
		bound 30 $P rm web >/dev/null 2>&1
		# nginx -p HOST:80, and redis-cli in a second container over
		# the bridge (by address on podman's default network, which has
		# no DNS).
		bound 120 $P run -d --name ng -p 127.0.0.1:18081:80 "$NG" >/dev/null 2>&1
		until_ok 60 0.5 bound 10 curl -sf -m 5 -o "$T/page" http://127.0.0.1:18081/ 2>/dev/null
		check ocirt/podman-net/nginx-publish-p grep -q 'served by nginx in a uk microVM' "$T/page"
		# nginx's own shutdown at podman stop (its master and worker end,
		# status 0), not the VM killed
		run bound 60 $P stop -t 20 ng
		run bound 30 $P wait ng
		check ocirt/podman-net/nginx-stop-graceful out_is 0
		bound 60 $P rm -f -t 2 ng >/dev/null 2>&1
		bound 120 $P run -d --name rd "$RD" >/dev/null 2>&1
		ip=$(bound 30 $P inspect rd --format '{{.NetworkSettings.IPAddress}}')
		# said_ok ARGS...: podman run --rm ARGS, and it printed OK
		said_ok() { bound 60 $P run --rm "$@" >"$T/out" 2>&1 && grep -q OK "$T/out"; }
		until_ok 10 1 said_ok --entrypoint redis-cli "$RD" -h "$ip" set k from-another-vm
		run bound 60 $P run --rm --entrypoint redis-cli "$RD" -h "$ip" get k
		check ocirt/podman-net/redis-cli-to-redis out_has '^from-another-vm$'
		bound 60 $P rm -f -t 2 rd >/dev/null 2>&1
		# By name, on a network of its own (aardvark-dns answers there):
		# glibc's resolver in the guest (it sets IP_RECVERR on its socket).
		if bound 60 $P network create uk-dns >/dev/null 2>&1 &&
			bound 120 $P run -d --name rdn --network uk-dns "$RD" >/dev/null 2>&1; then
			until_ok 10 1 said_ok --network uk-dns --entrypoint redis-cli "$RD" -h rdn set k by-name
			run bound 60 $P run --rm --network uk-dns --entrypoint redis-cli "$RD" -h rdn get k
			check ocirt/podman-net/redis-cli-by-name out_has '^by-name$'
		else
			fail ocirt/podman-net/redis-cli-by-name "podman network create or run failed"
		fi
		bound 60 $P rm -f -t 2 rdn >/dev/null 2>&1
		bound 30 $P network rm uk-dns >/dev/null 2>&1
	fi
	run bound 120 $P run --rm --network none "$BB" /bin/nonexistent
	check ocirt/podman/missing-program-status test "$rc" -ne 0
fi

# ---- rootless podman (UK_ROOTLESS_USER: an account with /etc/subuid and
# /etc/subgid ranges that may open /dev/kvm and /dev/net/tun, as a stock
# system lets the group kvm and everyone; none is made here) ----
# -p through slirp4netns's own port handler: its forward goes through the
# namespace's TAP, which ukrun joins to the VM. podman's default handler,
# rootlessport, connects to the container's address from inside the
# namespace, where that address is the TAP's own: the namespace's kernel
# answers (a reset), not the VM (README, "Rootless podman").
rootless_ok() {
	RU=${UK_ROOTLESS_USER:-}
	if [ -z "$RU" ]; then
		skip ocirt/rootless "UK_ROOTLESS_USER is not set (an account with subuid/subgid ranges that may open /dev/kvm and /dev/net/tun)"
		return 1
	fi
	if [ "$(id -u)" != 0 ] || ! have podman slirp4netns newuidmap runuser curl || [ -z "${I:-}" ]; then
		skip ocirt/rootless "rootless checks need root to become $RU, podman, slirp4netns, uidmap, curl and the test images"
		return 1
	fi
	if ! runuser -u "$RU" -- sh -c 'test -r /dev/kvm -a -w /dev/kvm -a -w /dev/net/tun'; then
		skip ocirt/rootless "$RU may not open /dev/kvm or /dev/net/tun"
		return 1
	fi
	mkdir -p "$T/rl/xdg" && cp "$I/busybox.tar" "$I/go.tar" "$T/rl/" && chmod 700 "$T/rl/xdg" &&
		chown -R "$RU" "$T/rl" && chmod 755 "$T" || return 1
	RP="podman --root $T/rl/store --runroot $T/rl/run --cgroup-manager cgroupfs --events-backend file --runtime $RT"
	R_() { bound 120 runuser -u "$RU" -- env HOME="$T/rl" XDG_RUNTIME_DIR="$T/rl/xdg" $RP "$@"; }
	R_ load -q -i "$T/rl/busybox.tar" >"$T/out" 2>"$T/err" && R_ load -q -i "$T/rl/go.tar" >>"$T/out" 2>>"$T/err" ||
		{ skip ocirt/rootless "rootless podman load failed: $(tail -c 200 "$T/err" | tr '\n' ' ')"; return 1; }
}
if rootless_ok; then
	run R_ run --rm --network none localhost/uk-test/busybox:latest sh -c 'echo "rootless $(id -u)"; exit 3'
	check ocirt/rootless/output out_is 'rootless 0'
	check ocirt/rootless/status status_is 3
	run R_ run -d --name rlweb --network slirp4netns:port_handler=slirp4netns -p 127.0.0.1:18085:8080 localhost/uk-test/go:latest
	until_ok 60 0.5 bound 10 curl -sf -m 5 -o "$T/page" http://127.0.0.1:18085/ 2>/dev/null
	check ocirt/rootless/publish-p grep -q 'served by go in a uk microVM' "$T/page"
	R_ rm -f -t 0 rlweb >/dev/null 2>&1
	R_ system reset -f >/dev/null 2>&1
fi

# ---- containerd ----
ctd_ok() {
	if ! have containerd ctr containerd-shim-runc-v2; then
		skip ocirt/containerd "containerd is not installed here (ci/deps.sh installs it)"
		return 1
	fi
	if [ "$(id -u)" != 0 ] || [ -z "${UK_OWN_NETNS:-}" ]; then
		skip ocirt/containerd "containerd's checks run as root in a mount namespace of their own"
		return 1
	fi
	if [ -z "${I:-}" ] || [ ! -f "$I/busybox.tar" ]; then
		skip ocirt/containerd "the busybox test image is not built (see podman's reason above)"
		return 1
	fi
	# The shim puts runtime state in /run/containerd/runc/NAMESPACE: a
	# tmpfs of this script's mount namespace holds it.
	mkdir -p /run/containerd && mount -t tmpfs tmpfs /run/containerd || return 1
	mkdir -p "$T/ctd"
	# (with the README's runtime for Kubernetes' CRI: its plugin must load)
	cat >"$T/ctd/config.toml" <<EOF
version = 2
root = "$T/ctd/root"
state = "$T/ctd/state"
[grpc]
  address = "$T/ctd/sock"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.uk]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.uk.options]
  BinaryName = "$RT"
EOF
	timeout -k 5 300 containerd --config "$T/ctd/config.toml" >"$T/ctd/log" 2>&1 &
	ctdpid=$!
	C="ctr -a $T/ctd/sock"
	until_ok 50 0.2 bound 10 $C version >/dev/null 2>&1
	if ! bound 120 $C images import "$I/busybox.tar" >"$T/out" 2>"$T/err"; then
		skip ocirt/containerd "containerd did not start or import here: $(tail -c 200 "$T/err" "$T/ctd/log" | tr '\n' ' ')"
		return 1
	fi
}
if ctd_ok; then
	# CRI: the runtime class's handler "uk" is accepted (no CRI client
	# here to start a pod: Debian has no crictl)
	run bound 30 $C plugins ls
	check ocirt/containerd/cri-plugin-loads out_has '^io.containerd.grpc.v1 *cri .* ok *$'
	run bound 30 containerd --config "$T/ctd/config.toml" config dump
	check ocirt/containerd/cri-runtime-uk out_has "^ *BinaryName = \"$RT\"\$"
	run bound 120 $C run --rm --runc-binary "$RT" docker.io/uk-test/busybox:latest t1 sh -c 'echo "from ctr $GREETING"; exit 5'
	check ocirt/containerd/output out_is 'from ctr hello from the busybox image'
	check ocirt/containerd/status status_is 5
	run bound 120 $C run -d --runc-binary "$RT" docker.io/uk-test/busybox:latest t2 sleep 120
	run bound 30 $C task ls
	check ocirt/containerd/running out_has '^t2 .*RUNNING'
	bound 30 $C task kill -s SIGKILL t2 >/dev/null 2>&1
	t2_stopped() { bound 10 $C task ls 2>/dev/null | grep -q '^t2 .*STOPPED'; }
	until_ok 50 0.2 t2_stopped
	run bound 30 $C task ls
	check ocirt/containerd/killed out_has '^t2 .*STOPPED'
	bound 30 $C task rm t2 >/dev/null 2>&1
	bound 30 $C container rm t2 >/dev/null 2>&1
	kill "$ctdpid" 2>/dev/null
	wait "$ctdpid" 2>/dev/null
fi

# ---- docker (Debian's docker.io, which ci/deps.sh installs) ----
docker_ok() {
	if ! have dockerd || [ ! -x /usr/bin/docker ]; then
		skip ocirt/docker "Debian's docker.io is not installed here (ci/deps.sh installs it)"
		return 1
	fi
	if [ "$(id -u)" != 0 ] || [ -z "${UK_OWN_NETNS:-}" ] || [ -z "${I:-}" ]; then
		skip ocirt/docker "docker's checks run as root in namespaces of their own, with the test images"
		return 1
	fi
	mkdir -p /run/docker /run/containerd "$T/dk"
	mount -t tmpfs tmpfs /run/docker && mount -t tmpfs tmpfs /run/containerd || return 1
	timeout -k 5 300 dockerd --data-root "$T/dk/root" --exec-root "$T/dk/exec" -H "unix://$T/dk/sock" \
		--pidfile "$T/dk/pid" --iptables=false --bridge=none --add-runtime "uk=$RT" >"$T/dk/log" 2>&1 &
	dkpid=$!
	D="/usr/bin/docker -H unix://$T/dk/sock"
	until_ok 50 0.3 bound 10 $D version >/dev/null 2>&1
	if ! bound 120 $D load -i "$I/busybox.tar" >"$T/out" 2>"$T/err"; then
		skip ocirt/docker "dockerd did not start or load here: $(tail -c 200 "$T/err" "$T/dk/log" | tr '\n' ' ')"
		kill "$dkpid" 2>/dev/null
		return 1
	fi
}
if docker_ok; then
	run bound 120 $D run --rm --runtime uk --network none uk-test/busybox:latest sh -c 'echo "from docker $GREETING"; exit 6'
	check ocirt/docker/output out_is 'from docker hello from the busybox image'
	check ocirt/docker/status status_is 6
	bound 120 $D run -d --name dbg --runtime uk --network none uk-test/busybox:latest sleep 120 >/dev/null 2>&1
	run bound 30 $D ps --format '{{.Names}} {{.Status}}'
	check ocirt/docker/ps-up out_has '^dbg Up'
	bound 60 $D stop -t 2 dbg >/dev/null 2>&1
	run bound 30 $D wait dbg
	check ocirt/docker/stop-status out_is 143
	bound 30 $D rm dbg >/dev/null 2>&1
	kill "$dkpid" 2>/dev/null
	wait "$dkpid" 2>/dev/null
fi
