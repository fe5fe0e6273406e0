#!/usr/bin/env bash
# make test: every test, one line each, then "N passed, N failed, N skipped".
#
# Suites:
#   unit        host unit tests (ASan/UBSan) of the pure code
#   host        end-to-end checks that need no KVM: ukbuild, bad images and
#               flags, the images under QEMU
#   kvm         the guest under ukrun. With a usable /dev/kvm they run here;
#               without one they run inside a nested standard-KVM host
#               (tests/stdkvm.sh) so ukrun is still exercised
#   flavour     the hello image on the KVM flavour this machine does not
#               have natively (standard KVM via tests/stdkvm.sh)
#
# UK_TESTS=unit,host,... runs a subset; VERBOSE=1 shows everything printed.
set -u
cd "$(dirname "$0")/.."
export UKRUN=build/bin/ukrun UKBUILD=build/bin/ukbuild
suites=${UK_TESTS:-unit,host,kvm,flavour}
npass=0 nfail=0 nskip=0

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

want() { [[ ",$suites," == *",$1,"* ]]; }

# A suite that prints no result at all, or dies, is a failure of its own.
run_suite() { # NAME COMMAND...
	local name=$1 out st
	shift
	out=$(mktemp)
	"$@" >"$out" 2>&1
	st=$?
	report <"$out"
	if ! grep -q '^\(PASS\|FAIL\|SKIP\) ' "$out"; then
		echo "FAIL     $name: printed no results (status $st): $(tail -c 400 "$out" | tr '\n' '|')"
		nfail=$((nfail + 1))
	elif [ $st -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL     $name: exited with status $st"
		nfail=$((nfail + 1))
	fi
	rm -f "$out"
}

kvm_usable() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] && build/bin/ukrun build/apps/hello.img >/dev/null 2>&1
}

kvm_files() {
	local f
	echo build/bin/ukrun tests/e2e/lib.sh
	for f in build/apps/*.img build/tests/guest/*.img tests/e2e/kvm/*.sh; do echo "$f"; done
	# Extra files a script needs there (tests/e2e/kvm/NAME.files, one path a
	# line, e.g. host tools to check results with): those that exist.
	for f in $(cat tests/e2e/kvm/*.files 2>/dev/null); do [ -e "$f" ] && echo "$f"; done
}

nested() { # COMMAND: run inside the nested standard-KVM host
	local args=() f
	for f in $(kvm_files); do args+=(-f "$f"); done
	bash tests/stdkvm.sh -t 1200 "${args[@]}" -- sh -c "$1"
	local st=$?
	[ $st -eq 125 ] && echo "SKIP stdkvm: the nested standard-KVM host could not start (see above)"
	return 0
}

all_kvm_scripts='for s in tests/e2e/kvm/*.sh; do sh "$s"; done'

if want unit; then
	for t in build/tests/unit/*; do
		[ -x "$t" ] && run_suite "$t" "$t"
	done
fi
if want host; then
	for s in tests/e2e/host/*.sh; do
		run_suite "$s" bash "$s"
	done
fi
if kvm_usable; then
	want kvm && run_suite kvm sh -c "$all_kvm_scripts"
	if want flavour; then
		if grep -q '^ukrun: KVM flavour: paravirtual' <(build/bin/ukrun --verbose build/apps/hello.img 2>&1); then
			run_suite flavour-standard nested "sh tests/e2e/kvm/flavour.sh"
		else
			report <<<"SKIP flavour/paravirtual-kvm: this machine's KVM is standard; the paravirtual path needs a PVM host"
		fi
	fi
else
	why="no usable /dev/kvm on this machine"
	[ -e /dev/kvm ] || why="/dev/kvm does not exist on this machine"
	if want kvm || want flavour; then
		report <<<"SKIP flavour/paravirtual-kvm: $why, so the paravirtual path runs nowhere here; the guest suite runs on nested standard KVM instead"
		run_suite kvm-nested nested "$all_kvm_scripts"
	fi
fi

echo "$npass passed, $nfail failed, $nskip skipped"
[ $nfail -eq 0 ]
