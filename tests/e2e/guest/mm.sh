#!/bin/sh
# Memory mappings: the guest suite and the crashes it must report (a write
# to a read-only page is SIGSEGV's 139, running out of memory on first
# touch the OOM killer's 137). The suite includes the page-table rules
# (tests/guest/mm/rules.c: unmap, protect, DONTNEED, brk, MAP_FIXED on pages
# touched right before), which under ukrun run again as a static Linux
# program in binary mode (mm-linux.img).
. tests/e2e/lib.sh
runner_ready mm || exit 0
G=build/tests/guest

guest -m 128M "$G/mm.img"
check "$(name mm/suite)" out_has "^mm: [0-9]* checks, 0 failed"
check "$(name mm/suite-status)" status_is 0
grep '^FAIL' "$T/out" | head -5
sed -n 's/^first touch: /mm: first touch: /p' "$T/out"

if on_ukrun; then
	run timeout -s KILL 300 "$UKRUN" "$G/mm-linux.img"
	check mm/rules-binary-mode out_has "^mm-rules: [0-9]* checks, 0 failed"
	check mm/rules-binary-mode-status status_is 0
	grep '^FAIL' "$T/out" | head -5
fi

crash() { # NAME MODE STATUS REPORT [MEM]
	guest -m "${5:-128M}" "$G/mm.img" "$2"
	check "$(name "mm/$1")" status_is "$3"
	[ -n "$4" ] && check "$(name "mm/$1-report")" err_has "$4"
}
crash write-read-only wprot 139 "cr2 0x[0-9a-f]* (write to a protected page"
crash write-read-only-fresh wprot-fresh 139 "(write to an unmapped page"
crash read-prot-none none 139 "#PF page fault"
crash read-unmapped unmapped 139 "#PF page fault"
crash exec-nx nx 139 "#PF page fault) at rip 0x7"
crash out-of-memory oom 137 "out of memory: no page left for address" 64M
