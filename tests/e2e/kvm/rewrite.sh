#!/bin/sh
# A Linux program's system-call sites rewritten into jumps (binary mode,
# libos/process/binary_rewrite.c): the same answers as trapping, statically linked
# and through ld.so with glibc; --trace's closing line counts both paths;
# --no-syscall-rewrite leaves every call on the trap path. cpuid sites of
# one shape answer from a stub (--verbose counts them).
. tests/e2e/lib.sh
native_check rewrite
G=build/tests/guest

# "system calls: J through S rewritten sites, T trapped" -> "J S T"
counts() { sed -n 's/^\[uk\] system calls: \([0-9]*\) through \([0-9]*\) rewritten sites, \([0-9]*\) trapped$/\1 \2 \3/p' "$T/err"; }

for kind in static dynamic; do
	img=$G/rewrite-$kind.img
	if [ ! -f "$img" ]; then
		skip rewrite/$kind "$img is missing (make builds it with the host's gcc)"
		continue
	fi
	run "$UKRUN" --timeout 60 --trace "$img"
	grep '^\(PASS\|FAIL\) ' "$T/out" | sed "s#^\([A-Z]*\) rewrite/#\1 rewrite/$kind/#"
	check rewrite/$kind/status status_is 0
	set -- $(counts) x x x
	check rewrite/$kind/calls-jumped test "$1" -gt 0 -a "$2" -gt 0 2>/dev/null
	check rewrite/$kind/some-still-trap test "$3" -gt 0 2>/dev/null

	# --verbose says it too (make bench counts traps per request with it)
	run "$UKRUN" --timeout 60 --verbose "$img"
	check rewrite/$kind/verbose-counts err_has '^uk: system calls: [1-9][0-9]* through [1-9][0-9]* rewritten sites, [0-9]* trapped$'
	check rewrite/$kind/cpuid-rewritten err_has '^uk: cpuid: [1-9][0-9]* sites rewritten$'

	run "$UKRUN" --timeout 60 --trace --no-syscall-rewrite "$img"
	check rewrite/$kind/off-passes sh -c "[ $rc -eq 0 ] && grep -q '^rewrite: [0-9]* checks, 0 failed' $T/out"
	set -- $(counts) x x x
	check rewrite/$kind/off-all-trap test "$1" -eq 0 -a "$2" -eq 0 -a "$3" -gt 0 2>/dev/null
	check rewrite/$kind/off-no-cpuid err_has '^\[uk\] cpuid: 0 sites rewritten$'
done
