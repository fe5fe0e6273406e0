# Shared by make bench's scripts (tests/bench.sh, tests/bench/*.sh), sourced
# from the top of the tree: where ukrun runs, and the tables. Bash.
#
# Where this machine has a usable /dev/kvm the numbers are measured here;
# otherwise inside the nested standard-KVM host (tests/stdkvm.sh), whose
# software-emulated CPU (QEMU TCG) makes times ~10x worse: they are printed,
# labelled so. A comparison (Linux, dd, the host's sqlite3) runs in the same
# place as the guest, so a ratio compares like with like.
UKRUN=build/bin/ukrun

kvm_here() { [ -w /dev/kvm ] && timeout -k 5 30 "$UKRUN" --timeout 20 build/apps/hello.img >/dev/null 2>&1 </dev/null; }

# Why the vCPU left the guest during a load, where perf is (POSIX sh):
# KVM's tracepoints of what it emulated for one vCPU thread (ukrun's main
# one): hlt, the EOI and TSC-deadline MSR writes, the kicks' port writes,
# and the rest. why_on TID FILE, the load, then why_off KEY FILE prints
# "KEY_why HLT EOI KICKS TIMER OTHER" (nothing where none were recorded).
bench_why='
why_on() {
	wpid=
	rm -f "$2"
	command -v perf >/dev/null || return 0
	timeout -s INT 900 perf record -q -o "$2" -e kvm:kvm_msr -e kvm:kvm_pio -e kvm:kvm_emulate_insn -t "$1" \
		>/dev/null 2>&1 &
	wpid=$!
	sleep 0.5
}
why_off() {
	[ -n "$wpid" ] || return 0
	kill -INT $wpid 2>/dev/null
	# (10 s for perf to write its data, then it is killed: never a hang)
	_i=0
	while kill -0 $wpid 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.2
		_i=$((_i + 1))
	done
	kill -KILL $wpid 2>/dev/null
	wait $wpid
	[ -s "$2" ] || return 0
	perf script -i "$2" 2>/dev/null | awk -v k="$1" "
		index(\$0, \"kvm_emulate_insn:\") { n++ }
		index(\$0, \":f4 (prot64)\") { hlt++ }
		index(\$0, \"msr_write 80b \") { eoi++ }
		index(\$0, \"msr_write 6e0 \") { timer++ }
		index(\$0, \"pio_write at 0x4e\") { kick++ }
		END { print k \"_why\", hlt + 0, eoi + 0, kick + 0, timer + 0, n - hlt - eoi - kick - timer }"
}
'

# why_row KEY REQUESTS: a row of those exits per 1000 requests
why_row() {
	local hlt eoi kick timer other
	read -r hlt eoi kick timer other <<<"$(get "$1_why")"
	[ -n "$hlt" ] || return 0
	row "  exits a 1000: hlt / EOI / kick / timer / other" \
		"$(per "$hlt" "$2" 1000) / $(per "$eoi" "$2" 1000) / $(per "$kick" "$2" 1000) / $(per "$timer" "$2" 1000) / $(per "$other" "$2" 1000)" \
		"(uk only; KVM's tracepoints)"
}

# Prepended to every SCRIPT bench_run runs: the end-to-end helpers ($T, run,
# now_ms; POSIX sh, so busybox in the nested host runs them too) and the
# count of exits to ukrun's vCPU thread that `ukrun --verbose` prints, and
# bench_why's functions.
bench_preamble='. tests/e2e/lib.sh
exits() { sed -n "s/^ukrun: exits to ukrun: \([0-9]*\).*/\1/p" "$1"; }
'"$bench_why"

# bench_run [-r] [-t SECONDS] SCRIPT [FILE...] [-- ARG...]
# Runs the POSIX sh SCRIPT, ARGs as $1..., where ukrun can run: here when
# kvm_here (and, with -r, when root), else in the nested host with the
# FILEs (ukrun, its other executables and tests/e2e/lib.sh always) at the
# same paths; stopped after SECONDS (1200) either way, with what it printed
# so far. Sets res (what it printed, both streams) and where (a label for
# the table's title) and host (where the comparisons ran: "this machine" or "nested
# host"). Status 1 when the nested host could not be set up (res says why).
bench_run() {
	local root= t=1200 script f files=(build/bin/ukrun build/bin/ukrun-net build/bin/ukrun-oci tests/e2e/lib.sh) args=() st
	while [ $# -gt 0 ]; do
		case "$1" in
		-r) root=1; shift ;;
		-t) t=$2; shift 2 ;;
		*) break ;;
		esac
	done
	# (into a file, printed at the end: on the nested host's serial console
	# a kernel message could otherwise land in the middle of a line)
	script="$bench_preamble($1"'
) >"$T/bench.out" 2>&1; st=$?; cat "$T/bench.out"; exit $st'
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do files+=("$1"); shift; done
	[ $# -gt 0 ] && shift && args=("$@")
	if kvm_here && { [ -z "$root" ] || [ "$(id -u)" = 0 ]; }; then
		where="this machine's KVM" host="this machine"
		res=$(timeout -k 10 "$t" sh -c "$script" sh "${args[@]}" 2>&1 </dev/null)
		st=0
	else
		where="nested standard KVM under TCG, no /dev/kvm here: all emulated, times not representative"
		host="nested host"
		local fargs=()
		for f in "${files[@]}"; do fargs+=(-f "$f"); done
		res=$(bash tests/stdkvm.sh -t "$t" "${fargs[@]}" -- sh -c "$script" sh "${args[@]}" 2>&1)
		st=$?
	fi
	[ -n "${VERBOSE:-}" ] && echo "$res"
	[ $st -ne 125 ]
}

# get KEY: the rest of res's first line that starts with "KEY ".
get() { echo "$res" | sed -n "s/^$1 //p" | head -1; }

# bench_skip TITLE WHY: the table that could not be measured, and why.
bench_skip() { printf '%s\nskipped: %s\n' "$1" "$2"; }

# need TITLE FILE...: status 1, after saying the table is skipped, unless
# every FILE exists.
need() {
	local title=$1 f
	shift
	for f in "$@"; do
		if [ ! -e "$f" ]; then
			bench_skip "$title" "$f is missing (make builds it; ci/deps.sh installs the tools)"
			return 1
		fi
	done
}

# table TITLE VALUE-HEADING OTHER-HEADING, then row MEASURE VALUE OTHER:
# a titled markdown table, measure | value | goal or comparison. An empty
# cell prints as "?": a number that was not measured shows.
table() {
	echo "$1"
	printf '| %-52s | %20s | %30s |\n' measure "$2" "$3"
	printf '|%s|%s:|%s:|\n' "$(printf -- '-%.0s' {1..54})" "$(printf -- '-%.0s' {1..21})" \
		"$(printf -- '-%.0s' {1..31})"
}
row() { printf '| %-52s | %20s | %30s |\n' "$1" "${2:-?}" "${3:-?}"; }

# unit VALUE UNIT: "VALUE UNIT", or nothing when VALUE is empty (so row
# shows "?").
unit() { [ -n "$1" ] && echo "$1 $2"; }

# ratio A B [DIGITS]: A / B (2 digits), nothing when A or B is missing or
# B is 0. per A B [K]: A * K / B, one digit. mbs MIB MS: MB/s.
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" \
		'BEGIN { if (a != "" && b + 0 > 0) printf "%.*f\n", d, a / b }'
}
# ratios A B C D...: "A/B, C/D, ...", "?" for each that cannot be had.
ratios() {
	local out= r
	while [ $# -ge 2 ]; do
		r=$(ratio "$1" "$2")
		out="${out:+$out, }${r:-?}"
		shift 2
	done
	echo "$out"
}
per() {
	awk -v a="$1" -v b="$2" -v k="${3:-1}" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.1f\n", a * k / b }'
}
mbs() { per "$1" "$2" 1048.576; }

# exits_per OPS: the exits to ukrun per 1000 OPS, from the difference
# between the two runs SCRIPT reported as "exits_idle N" and "exits_busy N".
exits_per() {
	local b i
	b=$(get exits_busy) i=$(get exits_idle)
	[ -n "$b" ] && [ -n "$i" ] && per $((b - i)) "$1" 1000
}

# seq_rows MIB GUEST-WRITE GUEST-READ: rows for a guest's sequential write
# and read in MB/s against dd's on the host, from SCRIPT's "dd_ms W R"
# (tests/e2e/lib.sh's dd_ms of the same MIB).
seq_rows() {
	local w r
	read -r w r <<<"$(get dd_ms)"
	w=$(mbs "$1" "${w:-}") r=$(mbs "$1" "${r:-}")
	row "sequential write, fsync at the end" "$(unit "$2" MB/s)" "$(unit "$w" "MB/s (dd)")"
	row "sequential read" "$(unit "$3" MB/s)" "$(unit "$r" "MB/s (dd)")"
	row "ratio guest / dd: write, read" "$(ratios "$2" "$w" "$3" "$r")" "1.00 = the host's speed"
}
