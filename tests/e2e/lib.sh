# Helpers for end-to-end tests. POSIX sh: the KVM suite also runs under
# busybox inside the nested standard-KVM host (tests/stdkvm.sh).
#
# Tests report one line each: "PASS name", "FAIL name: why" or
# "SKIP name: why"; tests/run.sh counts them.

UKRUN=${UKRUN:-build/bin/ukrun}
UKBUILD=${UKBUILD:-build/bin/ukbuild}
T=${TMPDIR:-/tmp}/uk-e2e.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
# SIGTERM (tests/e2e/watchdog.sh at a script's bound), ^C or a hang-up run
# the script's EXIT trap too: its servers, TAP devices and files go.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# UK_NESTED=1 inside the nested standard-KVM host (tests/run.sh's kvm suite
# on a machine without a usable /dev/kvm): there every instruction is
# emulated (~10x slower than native KVM), so a load test may run shorter.
UK_NESTED=${UK_NESTED:-}

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# have TOOL...: every TOOL is a command here (quiet).
have() {
	for _tool; do
		command -v "$_tool" >/dev/null 2>&1 || return 1
	done
}

# need NAME TOOL...: true when every TOOL is a command here; otherwise
# prints "SKIP NAME: TOOL is not installed ..." and is false, so a missing
# tool is one line at once rather than checks sitting in timeouts:
#   need net/icmp-echo ping && { run ping -c 3 ...; check ...; }
need() {
	_name=$1
	shift
	for _tool; do
		if ! have "$_tool"; then
			skip "$_name" "$_tool is not installed on this host (ci/deps.sh installs it)"
			return 1
		fi
	done
}

# bound SECONDS CMD [ARG...]: an external command stopped after SECONDS
# (SIGTERM, SIGKILL 5 s later), status 124 then. For a check's own
# deadline inside the script's (tests/e2e/watchdog.sh); a shell function
# cannot be bounded this way. In the background use timeout(1) itself
# (`timeout -k 5 SECONDS CMD &`): $! must be its pid, not a subshell's.
bound() {
	timeout -k 5 "$@"
}

# own_netns "$0" "$@", first thing in a script after lib.sh: the script
# again, in network and mount namespaces of its own (unshare(1), as root),
# so its TAP devices, addresses and forwarded ports meet nobody else's: not
# this host's, not another run's at the same time. There, $UK_OWN_NETNS is
# 1, loopback is up, and a mount (a resolv.conf bound over /etc's) stays
# in the script. Where namespaces cannot be made, the script goes on in the
# host's.
own_netns() {
	if [ -n "${UK_OWN_NETNS:-}" ]; then
		ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
		return 0
	fi
	unshare -n -m true 2>/dev/null || return 0
	rm -rf "$T"
	export UK_OWN_NETNS=1
	exec unshare -n -m sh "$@"
}

# run CMD [ARG...]: stdout in $T/out, stderr in $T/err, status in $rc.
# A program named by a path ("$UKRUN", "$NT", build/...) is bounded by
# $RUN_BOUND seconds (300; status 124 when it hit it), so a guest that
# never ends fails its own check and the script goes on. Shell functions
# and commands from PATH bound themselves (qemu_guest, timeout ...).
RUN_BOUND=${RUN_BOUND:-300}
run() {
	case $1 in
	*/*) bound "$RUN_BOUND" "$@" >"$T/out" 2>"$T/err" ;;
	*) "$@" >"$T/out" 2>"$T/err" ;;
	esac
	rc=$?
}

# check NAME CONDITION-COMMAND...: PASS when the command succeeds, else
# FAIL with the command and the last lines of what the run printed.
check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "'$*' failed (status $rc; stdout: $(tail -c 300 "$T/out" | tr '\n' '|'); stderr: $(tail -c 300 "$T/err" | tr '\n' '|'))"
	fi
}

# (under QEMU the status as isa-debug-exit passes it: 7 bits)
status_is() { [ "$rc" -eq "$(if on_ukrun; then echo "$1"; else echo $(($1 & 127)); fi)" ]; }
out_has() { grep -q -- "$1" "$T/out"; }
err_has() { grep -q -- "$1" "$T/err"; }
out_is() { printf '%s\n' "$1" | cmp -s - "$T/out"; }
# One line of stderr, no core dump, the status ukrun uses for its own errors.
clean_error() { [ "$rc" -eq "${1:-125}" ] && [ "$(wc -l <"$T/err")" -le 2 ] && [ -s "$T/err" ]; }

# ---- one script, two runners ----
# The scripts in tests/e2e/guest/ run under ukrun in the kvm suite (natively,
# or in the nested standard-KVM host) and under QEMU's microvm without KVM in
# the host suite: tests/run.sh sets UK_ON to ukrun or qemu.
UK_ON=${UK_ON:-ukrun}
on_ukrun() { [ "$UK_ON" = ukrun ]; }
# name NAME: a check's name in this run: NAME under ukrun, qemu-NAME under
# QEMU, so both runs' results stand side by side (a suite whose names carry
# the runner already says SUITE-$UK_ON/..., as fs-ukrun/ and fs-qemu/).
name() { if on_ukrun; then echo "$1"; else echo "qemu-$1"; fi; }
# runner_ready SCRIPT: true when this run's runner is here; otherwise one
# SKIP line. Under ukrun it also checks the guest runs at native speed.
runner_ready() {
	if on_ukrun; then
		native_check "$1"
	else
		need "$(name "$1")/all" qemu-system-x86_64
	fi
}

# guest [OPTION...] IMAGE [ARG...]: IMAGE with ARGs as its command line, as
# `run` does: stdout in $T/out, stderr in $T/err, the guest's status in $rc.
# OPTIONs say what the guest gets, each runner its own way (paths without
# spaces or commas):
#   -m SIZE                 its memory (128M)
#   -M SIZE                 its memory under QEMU (128M); ukrun takes the
#                           image's own (ukbuild sizes it for a root
#                           filesystem)
#   -t SECONDS              killed (SIGKILL) after SECONDS (300), not
#                           trusting ukrun's own --timeout to end it
#   -v HOST:GUEST[:ro]      a 9P share (QEMU: its own server, -fsdev local)
#   --disk FILE:GUEST[:ro]  a virtio-blk disk mounted at GUEST (QEMU: the
#                           disk's serial is the ID); FILE alone: no ID
#   -p HOSTPORT:GUESTPORT   a TCP port of 127.0.0.1 forwarded to the guest
#                           over user-mode networking (QEMU: its libslirp)
#   --net tap:IF[,...]      virtio-net on TAP device IF (QEMU: no scripts;
#                           ukrun's ,OPTIONS are ukrun's)
#   --net user[,hostfwd=..] user-mode networking (QEMU's netdev takes the
#                           same hostfwd=; other options are ukrun's)
#   --ip ADDR/N, --gw ADDR  a static address (QEMU: uk.ip=, uk.gw= on the
#                           kernel command line)
#   -u UKRUN-ARG            an argument for ukrun alone (--verbose)
#   -e VAR=VALUE            in its environment: ukrun only (QEMU has no way
#                           to give the guest one; a script says so)
# Under QEMU the guest's stdout and stderr are one serial console, in both
# files (crash reports included), and the status reaches QEMU cut to 7 bits
# (isa-debug-exit makes QEMU's (status << 1) | 1): status_is compares so.
# An even QEMU status is QEMU's own end (124: its bound), never a guest's;
# a reset (a triple fault: -no-reboot ends QEMU with 0) is status 255.
guest() {
	guest_opts "$@"
	shift $_gshift
	_img=$1
	shift
	if on_ukrun; then
		run ${_bound:+timeout -s KILL "$_bound"} "$UKRUN" ${_mem:+-m "$_mem"} $_ukopts --timeout 300 \
			"$_img" ${1+--} "$@"
		return
	fi
	guest_append "$@"
	qemu_guest -m "${_mem:-128M}" -s "${_bound:-300}" "$_img" "$_app" $_qopts >"$T/raw" 2>"$T/qemu-err"
	rc=$?
	tr -d '\r' <"$T/raw" >"$T/out"
	cat "$T/out" "$T/qemu-err" >"$T/err"
	if [ $((rc % 2)) -eq 1 ]; then
		rc=$(((rc - 1) / 2))
	elif [ "$rc" -eq 0 ]; then
		rc=255
	fi
}

# guest_bg OUT [OPTION...] IMAGE [ARG...]: the guest in the background as
# bg_start starts a command (bg_wait, bg_stop), everything it printed in OUT.
guest_bg() {
	_out=$1
	shift
	guest_opts "$@"
	shift $_gshift
	_img=$1
	shift
	if on_ukrun; then
		bg_start "$_out" "$UKRUN" ${_mem:+-m "$_mem"} $_ukopts "$_img" ${1+--} "$@"
		return
	fi
	guest_append "$@"
	: >"$_out" # (as bg_start: emptied before this returns)
	(_qexec=exec qemu_guest -m "${_mem:-128M}" -s 600 "$_img" "$_app" $_qopts) </dev/null >>"$_out" 2>&1 &
	bgpid=$!
}

# guest_opts OPTION...: guest's options as ukrun's ($_ukopts) and QEMU's
# ($_qopts) arguments, $_mem; $_gshift of the arguments were options.
guest_opts() {
	_mem= _bound= _ukopts= _qopts= _qnet= _fwd= _kv= _gshift=0 _nfs=0 _ndisk=0
	while [ $# -gt 1 ]; do
		case $1 in
		-m) _mem=$2 ;;
		-M) on_ukrun || _mem=$2 ;;
		-t) _bound=$2 ;;
		-u) _ukopts="$_ukopts $2" ;;
		--ip | --gw)
			_ukopts="$_ukopts $1 $2"
			_kv="$_kv uk.${1#--}=$2"
			;;
		--net)
			_ukopts="$_ukopts --net $2"
			case $2 in
			tap:*)
				_if=${2#tap:}
				_qnet="tap,id=n0,ifname=${_if%%,*},script=no,downscript=no"
				;;
			user*) _qnet="user,id=n0${2#user}" ;;
			esac
			;;
		-e) _ukopts="$_ukopts -e $2" ;;
		-v)
			_ukopts="$_ukopts -v $2"
			_ro=
			case $2 in *:ro) _ro=,readonly=on ;; esac
			_h=${2%%:*} _g=${2#*:}
			_g=${_g%:ro}
			_qopts="$_qopts -fsdev local,id=fs$_nfs,path=$_h,security_model=none$_ro"
			_qopts="$_qopts -device virtio-9p-device,fsdev=fs$_nfs,mount_tag=$_g"
			_nfs=$((_nfs + 1))
			;;
		--disk)
			_ukopts="$_ukopts --disk $2"
			_ro= _g=
			case $2 in *:ro) _ro=,readonly=on ;; esac
			case $2 in *:*) _g=${2#*:} ;; esac
			[ -z "$_g" ] || _g=,serial=${_g%:ro}
			_qopts="$_qopts -drive if=none,id=d$_ndisk,format=raw,file=${2%%:*}$_ro"
			_qopts="$_qopts -device virtio-blk-device,drive=d$_ndisk$_g"
			_ndisk=$((_ndisk + 1))
			;;
		-p)
			_ukopts="$_ukopts -p $2"
			_fwd="$_fwd,hostfwd=tcp:127.0.0.1:${2%%:*}-:${2#*:}"
			;;
		*) break ;;
		esac
		shift 2
		_gshift=$((_gshift + 2))
	done
	[ -z "$_qnet$_fwd" ] ||
		_qopts="$_qopts -netdev ${_qnet:-user,id=n0}$_fwd -device virtio-net-device,netdev=n0"
}

# guest_append ARG...: the guest's command line for QEMU's -append in $_app
# (guest_opts' uk.KEY=VALUE parameters, then "-- ARG..."; an empty ARG or
# one with spaces in double quotes).
guest_append() {
	_app=
	for _a; do
		case $_a in
		'' | *' '*) _app="$_app \"$_a\"" ;;
		*) _app="$_app $_a" ;;
		esac
	done
	_app=${_kv# }${_app:+${_kv:+ }--$_app}
}

# qemu_guest [-m SIZE] [-s SECONDS] IMAGE [APPEND [QEMU-ARG...]]: IMAGE under
# QEMU's microvm (TCG, no KVM needed), its console on stdout, bounded by
# SECONDS (300), APPEND its command line. The one QEMU command line of the
# tests: every device a QEMU-ARG (virtio-mmio devices are modern ones, as
# ukrun's are). A reset ends QEMU (-no-reboot), status 0; a guest's exit
# status reaches QEMU's as (status << 1) | 1 (isa-debug-exit).
qemu_guest() {
	_qm=128M _qs=300
	while :; do
		case $1 in
		-m) _qm=$2 ;;
		-s) _qs=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	_qimg=$1 _qapp=${2:-}
	shift $(($# < 2 ? $# : 2))
	$_qexec timeout -k 5 "$_qs" qemu-system-x86_64 -M microvm -cpu max -m "$_qm" -nodefaults \
		-no-user-config -no-reboot -nographic -serial stdio -device isa-debug-exit \
		-global virtio-mmio.force-legacy=false "$@" -kernel "$_qimg" ${_qapp:+-append "$_qapp"} \
		</dev/null
}
_qexec=

# Milliseconds since boot (busybox's date has no %N).
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# One command in the background (a VM, a server): bg_start OUT CMD [ARG...]
# runs it (for 600 s at most) with its output in OUT; bg_stop ends it;
# bg_wait FILE PATTERN [SECONDS] waits until PATTERN is in FILE, false once
# the command has exited or after SECONDS (120: nested hosts are slow).
# OUT is emptied before bg_start returns: the background shell's own
# redirection truncates it only when that shell runs, and a bg_wait right
# after would find the last command's line there (a "ready" from the run
# before: the net suite connected to a VM not started yet, ~1 run in 20).
bgpid=
bg_start() {
	out=$1
	shift
	: >"$out"
	timeout -k 5 600 "$@" </dev/null >>"$out" 2>&1 &
	bgpid=$!
}

bg_stop() {
	[ -n "$bgpid" ] && kill "$bgpid" 2>/dev/null
	[ -n "$bgpid" ] && wait "$bgpid" 2>/dev/null
	bgpid=
}

bg_wait() { pid_wait "$bgpid" "$@"; }

# pid_wait PID FILE PATTERN [SECONDS]: bg_wait for a process started
# otherwise (a test that needs its own pid): false once PID has exited.
pid_wait() {
	i=0
	while [ $i -lt $((${4:-120} * 10)) ]; do
		grep -q "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# dd_ms FILE MIB: "WRITE READ", the ms dd takes to write MIB MiB to FILE
# (an fsync at the end) and to read them back (from the page cache, as a
# guest's read after its write is); FILE is removed. The host's side of a
# guest's throughput.
dd_ms() {
	t0=$(now_ms)
	dd if=/dev/zero of="$1" bs=1M count="$2" conv=fsync 2>/dev/null
	t1=$(now_ms)
	dd if="$1" of=/dev/null bs=1M 2>/dev/null
	echo "$((t1 - t0)) $(($(now_ms) - t1))"
	rm -f "$1"
}

# native_check SUITE: the guest runs natively on this KVM, not instruction-
# emulated (../shared/platform/pvm.md: an unprepared guest on the
# paravirtual host runs ~100x slower, silently). 2^24 dec/jnz iterations
# take ~5 ms natively, tens of ms under nested TCG (2 s seen with the
# machine loaded by two test runs at once), ~20 s when emulated: the bound
# (400 ns an iteration, 6.7 s in all) sits between the last two. Every ukrun suite
# calls it first, so a slow path cannot hide behind a suite whose own
# checks pass. Leaves the run's output in $T/out.
native_check() {
	run "$UKRUN" --timeout 60 build/tests/guest/native.img -- 24
	_ps=$(sed -n 's/.* \([0-9]*\) ps\/iteration$/\1/p' "$T/out")
	check "$1/native-speed" test -n "$_ps" -a "${_ps:-999999}" -lt 400000
}
