#!/usr/bin/env bash
# make test: every test, one line each, then "N passed, N failed, N skipped"
# and where the time went.
#
# Suites:
#   unit        host unit tests (ASan/UBSan) of the pure code
#   host        end-to-end checks that need no KVM: ukbuild, bad images and
#               flags, the images under QEMU
#   kvm         the guest under ukrun (tests/e2e/kvm/*.sh, and the scripts
#               both runners share, tests/e2e/guest/*.sh, which the host
#               suite also runs under QEMU). With a usable
#               /dev/kvm they run here, natively; without one they run
#               inside a nested standard-KVM host under QEMU's emulation
#               (tests/stdkvm.sh) so ukrun is still exercised
#   flavour     the hello image on the KVM flavour this machine does not
#               have natively: on a paravirtual host, standard KVM through
#               tests/stdkvm.sh; on a standard host a skip (the paravirtual
#               path needs a PVM host); without KVM the kvm suite's nested
#               run is the standard path
#
# Nothing can hang the run. Each unit test and script runs under
# tests/e2e/watchdog.sh: at its bound it and everything it started are
# stopped, a FAIL line names it, and the run goes on. The nested host has a
# bound of its own, and inside it every script has its watchdog too. The
# whole run has a budget (UK_BUDGET seconds, 1740: make test ends within
# 30 minutes on any machine); no suite's bound reaches past it, and a suite
# it leaves no time for is a FAIL "not run".
#
# Environment:
#   UK_TESTS=unit,host,...  run a subset (kvm or flavour alone works too)
#   UK_SCRIPTS=net,p9       of the host and kvm suites only these scripts
#   VERBOSE=1               show everything the tests print and every
#                           suite's time (else the slowest ten)
#   UK_KVM=none             behave as on a machine without a usable
#                           /dev/kvm: the kvm suite runs in the nested host
#                           (to try that path on a machine with KVM)
#   UK_BUDGET=SECONDS       the whole run's budget
#   UK_NESTED_HOSTS=N       nested hosts side by side (default: 2 with two
#                           cores or more, else 1)
set -u
cd "$(dirname "$0")/.."
export UKRUN=build/bin/ukrun UKBUILD=build/bin/ukbuild
suites=${UK_TESTS:-unit,host,kvm,flavour}
budget=${UK_BUDGET:-1740}
deadline=$((SECONDS + budget))
npass=0 nfail=0 nskip=0
times=$(mktemp)
trap 'rm -f "$times"' EXIT

# Bounds in seconds: generous against the slowest machine seen (a suite
# that takes a minute natively takes ten under nested emulation); they
# catch hangs, they do not judge speed.
bound_unit=300 bound_host=900 bound_kvm=600 bound_nested_script=600 bound_nested=1500
# Nested hosts side by side: one per core, two at most (2 GiB of RAM each).
nested_hosts=${UK_NESTED_HOSTS:-$(($(nproc) > 1 ? 2 : 1))}

report() {
	local line
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) echo "ok       ${line#PASS }"; npass=$((npass + 1)) ;;
		FAIL\ *) echo "FAIL     ${line#FAIL }"; nfail=$((nfail + 1)) ;;
		SKIP\ *) echo "skipped: ${line#SKIP }"; nskip=$((nskip + 1)) ;;
		*) [ -n "${VERBOSE:-}" ] && echo "         $line" ;;
		esac
	done
}
failure() { report <<<"FAIL $1"; }

want() { [[ ",$suites," == *",$1,"* ]]; }
# scripts DIR: DIR's scripts, those UK_SCRIPTS names when it is set.
scripts() {
	local s
	for s in "$1"/*.sh; do
		[ -z "${UK_SCRIPTS:-}" ] || [[ ",$UK_SCRIPTS," == *",$(basename "$s" .sh),"* ]] && echo "$s"
	done
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# judge NAME STATUS FILE: FILE's result lines counted. A suite that prints
# no result at all, or dies without saying what failed, is a failure of
# its own.
judge() {
	local name=$1 st=$2 out=$3
	report <"$out"
	if ! grep -q '^\(PASS\|FAIL\|SKIP\) ' "$out"; then
		failure "$name: printed no results (status $st): $(tail -c 400 "$out" | tr '\n' '|')"
	elif [ "$st" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		failure "$name: exited with status $st"
	fi
}

# bound_left SECONDS: SECONDS, or less when the run's budget ends sooner;
# 0 when there is no time left for anything.
bound_left() {
	local left=$((deadline - SECONDS - 15))
	[ $left -lt 0 ] && left=0
	echo $(($1 < left ? $1 : left))
}

# run_suite NAME BOUND COMMAND...: COMMAND under its watchdog, stdin
# closed, its results reported.
run_suite() {
	local name=$1 bound out st t0
	bound=$(bound_left "$2")
	shift 2
	if [ "$bound" -lt 5 ]; then
		failure "$name: not run: the run's ${budget}s budget is spent"
		return
	fi
	out=$(mktemp)
	t0=$(now_ms)
	sh tests/e2e/watchdog.sh "$bound" "$name" "$@" </dev/null >"$out" 2>&1
	st=$?
	echo "$(($(now_ms) - t0)) $name" >>"$times"
	judge "$name" $st "$out"
	rm -f "$out"
}

# kvm_usable: /dev/kvm works here (the hello image runs to its end under
# ukrun within 20 s). Otherwise false, with the reason in $kvm_why and
# $kvm_broken set when /dev/kvm is there and open to us but the guest did
# not run (a failure of uk, not a property of the machine).
kvm_usable() {
	local out st
	kvm_why= kvm_broken=
	if [ "${UK_KVM:-}" = none ]; then
		kvm_why="UK_KVM=none pretends this machine has no usable /dev/kvm"
		return 1
	fi
	if [ ! -e /dev/kvm ]; then
		kvm_why="/dev/kvm does not exist (no KVM module, or no virtualisation offered to this machine)"
		return 1
	fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		kvm_why="/dev/kvm: permission denied for $(id -un) (add yourself to group kvm)"
		return 1
	fi
	out=$(timeout -k 5 30 build/bin/ukrun --timeout 20 build/apps/hello.img 2>&1 </dev/null)
	st=$?
	[ $st -eq 0 ] && grep -q 'Hello from uk!' <<<"$out" && return 0
	kvm_broken=1
	case $st in
	124) kvm_why="the hello image did not end within 20 s under ukrun (timed out)" ;;
	125) kvm_why="ukrun could not start the hello image (status 125)" ;;
	0) kvm_why="the hello image ended without its greeting" ;;
	*) kvm_why="the hello image failed under ukrun (status $st)" ;;
	esac
	kvm_why="$kvm_why: $(tail -c 300 <<<"$out" | tr '\n' '|')"
	return 1
}

kvm_files() {
	local f
	# ukrun with the executables it finds beside itself (its network helper, the OCI runtime)
	echo build/bin/ukrun build/bin/ukrun-net build/bin/ukrun-oci tests/e2e/lib.sh tests/e2e/watchdog.sh
	for f in build/apps/*.img build/tests/guest/*.img tests/e2e/kvm/*.sh tests/e2e/guest/*.sh; do echo "$f"; done
	# Extra files a script needs there (tests/e2e/{kvm,guest}/NAME.files, one
	# path a line, e.g. host tools to check results with): those that exist.
	for f in $(cat tests/e2e/kvm/*.files tests/e2e/guest/*.files 2>/dev/null); do [ -e "$f" ] && echo "$f"; done
}

# nested_boot OUT BOUND SCRIPT...: one boot of the nested standard-KVM host
# running the SCRIPTs one after the other, each under its watchdog there;
# what it printed in OUT, its status in OUT.st.
nested_boot() {
	local out=$1 bound=$2 args=() f inner t0
	shift 2
	for f in $(kvm_files); do args+=(-f "$f"); done
	inner="export UK_NESTED=1; for s in $*; do echo \"@@suite \$s\"; t0=\$(date +%s); sh tests/e2e/watchdog.sh $bound_nested_script \"\$s\" sh \"\$s\" </dev/null 2>&1; st=\$?; echo \"@@suite-end \$s \$st \$((\$(date +%s) - t0))\"; done"
	t0=$(now_ms)
	bash tests/stdkvm.sh -t "$bound" "${args[@]}" -- sh -c "$inner" </dev/null >"$out" 2>&1
	echo $? >"$out.st"
	echo "$(($(now_ms) - t0)) nested host $(basename "$out") (its boot and $# script(s))" >>"$times"
}

# nested_report OUT BOUND SCRIPT...: each SCRIPT's part of OUT reported as a
# suite of its own. A script the host's bound (or its end) cut short is a
# FAIL naming it; one it never reached, a FAIL "not run".
nested_report() {
	local out=$1 bound=$2 dir st s f line cur= sst secs
	shift 2
	st=$(cat "$out.st")
	if [ "$st" -eq 125 ]; then
		report <<<"SKIP stdkvm: the nested standard-KVM host could not start: $(grep '^stdkvm:' "$out" | tail -1)"
		return
	fi
	# One file per script: its lines, then "@@suite-end SCRIPT STATUS SECONDS".
	dir=$(mktemp -d)
	while IFS= read -r line; do
		case "$line" in
		"@@suite "*) cur=${line#@@suite }; cur=${cur//\//_} ;;
		*) [ -n "$cur" ] && printf '%s\n' "$line" >>"$dir/$cur" || printf '%s\n' "$line" >>"$dir/.host" ;;
		esac
	done <"$out"
	for s in "$@"; do
		f=$dir/${s//\//_}
		if [ ! -f "$f" ]; then
			failure "$s (nested): not run: the nested host ended before it (status $st, its bound ${bound}s: $(tail -c 200 "$out" | tr '\n' '|'))"
		elif ! grep -q "^@@suite-end " "$f"; then
			if [ "$st" -eq 124 ]; then
				echo "FAIL $s (nested): cut short: the nested host was stopped at its ${bound}s bound during it" >>"$f"
			else
				echo "FAIL $s (nested): cut short: the nested host ended during it (status $st)" >>"$f"
			fi
			judge "$s (nested)" 1 "$f"
		else
			read -r _ _ sst secs <<<"$(grep '^@@suite-end ' "$f" | tail -1)"
			echo "$((secs * 1000)) $s (nested)" >>"$times"
			judge "$s (nested)" "$sst" "$f"
		fi
	done
	[ -n "${VERBOSE:-}" ] && [ -f "$dir/.host" ] && sed 's/^/         /' "$dir/.host"
	rm -rf "$dir"
}

# nested SCRIPT...: the scripts in nested standard-KVM hosts, $nested_hosts
# of them side by side (each emulates one CPU: with two cores the emulated
# suite takes about half as long), the scripts dealt out in turn.
nested() {
	local bound dir i n groups=() s
	bound=$(bound_left $bound_nested)
	if [ "$bound" -lt 60 ]; then
		for s in "$@"; do failure "$s (nested): not run: the run's ${budget}s budget is spent"; done
		return
	fi
	n=$((nested_hosts < $# ? nested_hosts : $#))
	i=0
	for s in "$@"; do
		groups[i % n]+=" $s"
		i=$((i + 1))
	done
	dir=$(mktemp -d)
	for ((i = 0; i < n; i++)); do
		nested_boot "$dir/$((i + 1))" "$bound" ${groups[i]} &
	done
	wait
	for ((i = 0; i < n; i++)); do
		nested_report "$dir/$((i + 1))" "$bound" ${groups[i]}
	done
	rm -rf "$dir"
}

t_start=$SECONDS
if want unit; then
	for t in build/tests/unit/*; do
		[ -x "$t" ] && run_suite "$t" $bound_unit "$t"
	done
fi
if want host; then
	for s in $(scripts tests/e2e/host); do
		run_suite "$s" $bound_host bash "$s"
	done
	# The scripts both runners share, here under QEMU without KVM.
	for s in $(scripts tests/e2e/guest); do
		run_suite "$s (qemu)" $bound_host env UK_ON=qemu sh "$s"
	done
fi
if want kvm || want flavour; then
	if kvm_usable; then
		if want kvm; then
			for s in $(scripts tests/e2e/kvm) $(scripts tests/e2e/guest); do
				run_suite "$s" $bound_kvm sh "$s"
			done
		fi
		if want flavour; then
			if grep -q '^ukrun: KVM flavour: paravirtual' <(timeout -k 5 30 build/bin/ukrun --timeout 20 --verbose build/apps/hello.img 2>&1 </dev/null); then
				nested tests/e2e/kvm/flavour.sh
			else
				report <<<"SKIP flavour/paravirtual-kvm: this machine's KVM is standard; the paravirtual path needs a PVM host"
			fi
		fi
	else
		echo "kvm:     $kvm_why; the ukrun suites run in a nested standard-KVM host (tests/stdkvm.sh) instead"
		[ -n "$kvm_broken" ] && failure "kvm/hello: /dev/kvm is here but $kvm_why"
		want flavour && report <<<"SKIP flavour/paravirtual-kvm: no usable /dev/kvm here, so the paravirtual path runs nowhere; the guest suite runs on nested standard KVM instead"
		if want kvm; then
			nested $(scripts tests/e2e/kvm) $(scripts tests/e2e/guest)
		else
			nested tests/e2e/kvm/flavour.sh
		fi
	fi
fi

echo "$npass passed, $nfail failed, $nskip skipped"
sort -rn "$times" | awk -v all=$((SECONDS - t_start)) -v verbose="${VERBOSE:-}" '
	{ n++; line = sprintf("%s %.1f s", substr($0, length($1) + 2), $1 / 1000) }
	verbose || n <= 10 { list = list (list ? ", " : "") line }
	END { printf "time: %d s in all; %s: %s\n", all, verbose ? "every suite" : "slowest", list }'
[ $nfail -eq 0 ]
