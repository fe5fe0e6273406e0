#!/bin/sh
# A hostile guest against ukrun's devices. tests/guest/hostile drives the
# network device itself and breaks the virtio rules six ways, and sends
# IPv4 fragments and frames cut inside their headers; tests/guest/hostile9p
# takes the 9P device and sends malformed 9P (below). Verdicts: the
# guests' own checks (after each violation a reset brings the device back,
# and it answers), ukrun alive and ending with the guest's status, no
# thread more at the end than at the start, each violation reported, and a
# guest repeating one cannot fill the host's logs.
. tests/e2e/lib.sh
own_netns "$0" "$@"
native_check hostile
G=build/tests/guest

# threads PID: how many threads the ukrun under timeout PID has (busybox's
# timeout execs the command itself: then PID is ukrun).
threads() {
	if [ "$(cat "/proc/$1/comm" 2>/dev/null)" = ukrun ]; then
		ls "/proc/$1/task" | wc -l
		return
	fi
	for p in /proc/[0-9]*; do
		[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$1" ] || continue
		ls "$p/task" | wc -l
		return
	done
	echo 0
}

# verdicts NAME FILE LAST BEFORE AFTER: the guest started by bg_start
# ended: its status in $rc, what it and ukrun printed (FILE) in $T/out for
# the checks, its own verdict lines shown. Then what every hostile guest is
# held to: its checks ran to the last (LAST passed), status 0, ukrun's
# threads counted at its "before" phase (BEFORE) and none more at "after"
# (AFTER).
verdicts() {
	wait "$bgpid"
	rc=$?
	bgpid=
	cp "$2" "$T/out"
	: >"$T/err"
	grep '^\(PASS\|FAIL\|SKIP\|fids:\|files:\|phase\) ' "$2"
	check "$1/guest-checks-ran" out_has "^PASS $3"
	check "$1/status-0" status_is 0
	check "$1/threads-counted" test "${4:-0}" -gt 0
	check "$1/no-thread-left" test "${5:-99}" -le "${4:-0}"
}

bg_start "$T/hostile" "$UKRUN" --verbose --net user "$G/hostile.img"
if bg_wait "$T/hostile" "^phase before" 120; then
	before=$(threads "$bgpid")
	bg_wait "$T/hostile" "^phase after" 120
	after=$(threads "$bgpid")
fi
verdicts hostile "$T/hostile" hostile/oversize/works-after-reset "${before:-}" "${after:-}"
# (the attack loops a chain on both queues: whichever the device thread
# walks first stops the device, the receive queue when a frame for the
# guest is waiting, as on a slow or emulated host)
check hostile/reported-loop out_has "^ukrun: guest broke the ABI: virtio-net queue [01]: descriptor chain loops"
check hostile/reported-outside out_has "^ukrun: guest broke the ABI.*outside"
check hostile/reported-status out_has "^ukrun: guest broke the ABI: virtio-net status 0xf -> 0xb clears bits"
check hostile/oversize-dropped out_has "frame longer than"
check hostile/fragments-dropped out_has "dropped a frame from the guest: an IPv4 fragment"
# 300 status violations and more: 20 lines, then the count at the end.
check hostile/logs-bounded test "$(grep -c '^ukrun: guest broke the ABI' "$T/out")" -le 20
check hostile/logs-counted out_has "^ukrun: the guest broke the ABI [0-9]* times in all"

# ---- the 9P device (tests/guest/hostile9p) ----
# The guest takes the share's device over and sends what no client should
# (sizes that lie, messages cut short, unknown types, msize up and down,
# walks out of the share, 65 536 fids and then many more, 4096 open files,
# reply buffers too small or outside RAM, a full queue, a reset with it
# full). Its own checks: every answer as expected, the guard pages around
# its buffers untouched, the share answering a normal request after each
# attack. Here: ukrun alive and ending with the guest's status, no thread
# more, the gofer the same process throughout (nothing a guest sends may
# end it), its memory bounded at the fid limit and not growing with
# attempts past it, the descriptors of the open files given back, and
# nothing changed outside the share.
S=$T/share9p
O=$T/outside9p
rm -rf "$S" "$O"
mkdir -p "$S/sub" "$O"
printf 'hello from the host\n' >"$S/hello.txt"
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "%05d\n", i }' >"$S/big.bin"
: >"$S/rw.bin"
echo secret >"$O/secret"
ln -s ../outside9p "$S/up"
ln -s "$O/secret" "$S/abs"
big_sum=$(md5sum <"$S/big.bin")
outside_before=$(ls -lAR "$O"; cat "$O/secret")

# The ukrun under timeout PID, and its gofer (its one child).
ukrun_of() {
	if [ "$(cat "/proc/$1/comm" 2>/dev/null)" = ukrun ]; then
		echo "$1"
		return
	fi
	for p in /proc/[0-9]*; do
		[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}" && return
	done
}
gofer_of() {
	grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null |
		sed -n '1s|/proc/\([0-9]*\)/status|\1|p'
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# sample PHASE: wait for the guest's "phase PHASE" line, then record
# PHASE_threads, _ukrun_kb, _gofer, _gofer_kb, _ukrun_fds, _gofer_fds.
sample() {
	bg_wait "$T/h9" "^phase $1\$" 300 || return 1
	u=$(ukrun_of "$bgpid")
	g=$(gofer_of "${u:-x}")
	eval "$1_threads=$(ls "/proc/${u:-x}/task" 2>/dev/null | wc -l) $1_ukrun_kb=$(rss_kb "${u:-x}") \
		$1_gofer=${g:-none} $1_gofer_kb=$(rss_kb "${g:-x}") $1_ukrun_fds=$(nfds "${u:-x}") \
		$1_gofer_fds=$(nfds "${g:-x}")"
	echo "phase $1: ukrun $u threads $(ls "/proc/${u:-x}/task" | wc -l), RSS $(rss_kb "${u:-x}") kB, $(nfds "${u:-x}") descriptors; gofer $g RSS $(rss_kb "${g:-x}") kB, $(nfds "${g:-x}") descriptors"
}

# (emulated, in the nested host, the 70 000 requests and more of the fid
# and open-file exhaustion would take most of an hour: not there)
attempts=200000 phases="before fids_full fids_refused files_full after"
[ -n "${UK_NESTED:-}" ] && attempts=0 phases="before after"
bg_start "$T/h9" "$UKRUN" --verbose -v "$S:/data" "$G/hostile9p.img" -- "$attempts"
for p in $phases; do
	sample "$p" || break
done
verdicts hostile9p "$T/h9" hostile9p/reset-inflight/works-after "${before_threads:-}" "${after_threads:-}"
check hostile9p/gofer-found test "${before_gofer:-none}" != none
# the same gofer at every phase: PID, or none
same_gofer() {
	for p in $phases; do
		eval "[ \"\${${p}_gofer:-x}\" = \"$1\" ]" || return 1
	done
}
check hostile9p/gofer-lives-throughout same_gofer "${before_gofer:-none}"
if [ "$attempts" = 0 ]; then
	skip hostile9p/fids-and-files "not emulated (UK_NESTED)"
else
	check hostile9p/fids-and-files-ran out_has "^PASS hostile9p/files/works-after"
	# 65 536 fids cost the gofer a few MiB; attempts past the limit nothing.
	echo "gofer RSS: ${before_gofer_kb:-?} kB before, ${fids_full_gofer_kb:-?} at the fid limit, ${fids_refused_gofer_kb:-?} after $attempts attempts, ${after_gofer_kb:-?} at the end; ukrun ${before_ukrun_kb:-?} -> ${after_ukrun_kb:-?} kB"
	check hostile9p/gofer-memory-bounded test $((${fids_full_gofer_kb:-999999} - ${before_gofer_kb:-0})) -lt 32768
	check hostile9p/gofer-memory-flat-past-limit \
		test $((${fids_refused_gofer_kb:-999999} - ${fids_full_gofer_kb:-0})) -lt 1024
	check hostile9p/ukrun-memory-flat test $((${after_ukrun_kb:-999999} - ${before_ukrun_kb:-0})) -lt 16384
	# 4096 open files: a descriptor each in the gofer and in ukrun, given back
	# when the session ends.
	check hostile9p/open-files-bounded test "${files_full_ukrun_fds:-99999}" -le $((${before_ukrun_fds:-0} + 4096 + 16)) \
		-a "${files_full_gofer_fds:-99999}" -le $((${before_gofer_fds:-0} + 4096 + 16))
	check hostile9p/open-files-held test "${files_full_ukrun_fds:-0}" -ge $((${before_ukrun_fds:-0} + 4000))
	check hostile9p/descriptors-given-back test "${after_ukrun_fds:-99999}" -le $((${before_ukrun_fds:-0} + 2)) \
		-a "${after_gofer_fds:-99999}" -le $((${before_gofer_fds:-0} + 2))
fi
check hostile9p/reported-outside out_has "^ukrun: guest broke the ABI: virtio-9p queue 0: descriptor buffer outside"
check hostile9p/share-files-unchanged test "$(cat "$S/hello.txt")" = "hello from the host" \
	-a "$(md5sum <"$S/big.bin")" = "$big_sum" -a "$(readlink "$S/up")" = ../outside9p \
	-a "$(readlink "$S/abs")" = "$O/secret"
check hostile9p/only-the-good-write test "$(cat "$S/rw.bin")" = "$(head -c 100 /dev/zero | tr '\0' w)"
check hostile9p/outside-unchanged test "$(ls -lAR "$O"; cat "$O/secret")" = "$outside_before"
check hostile9p/nothing-escaped test -z "$(find "$T" / -maxdepth 1 -name 'escape*' 2>/dev/null)" \
	-a -z "$(find "$T" -name 'escape*' 2>/dev/null)"
