#!/bin/sh
# Memory mappings under ukrun: the guest suite and the crashes it must
# report (a write to a read-only page is SIGSEGV's 139, running out of
# memory on first touch the OOM killer's 137). The suite includes the
# page-table rules (tests/guest/mm/rules.c: unmap, protect, DONTNEED,
# brk, MAP_FIXED on pages touched right before), which run again as a
# static Linux program in binary mode (mm-linux.img).
. tests/e2e/lib.sh
native_check mm
G=build/tests/guest

run "$UKRUN" -m 128M "$G/mm.img"
check mm/suite out_has "^mm: [0-9]* checks, 0 failed"
check mm/suite-status status_is 0
grep '^FAIL' "$T/out" | head -5
sed -n 's/^first touch: /mm: first touch: /p' "$T/out"

run timeout -s KILL 300 "$UKRUN" "$G/mm-linux.img"
check mm/rules-binary-mode out_has "^mm-rules: [0-9]* checks, 0 failed"
check mm/rules-binary-mode-status status_is 0
grep '^FAIL' "$T/out" | head -5

run "$UKRUN" -m 128M "$G/mm.img" -- wprot
check mm/write-read-only status_is 139
check mm/write-read-only-report err_has "write to a protected page"
run "$UKRUN" -m 128M "$G/mm.img" -- none
check mm/read-prot-none status_is 139
run "$UKRUN" -m 128M "$G/mm.img" -- unmapped
check mm/read-unmapped status_is 139
run "$UKRUN" -m 128M "$G/mm.img" -- nx
check mm/exec-nx status_is 139
run "$UKRUN" -m 64M "$G/mm.img" -- oom
check mm/out-of-memory status_is 137
check mm/out-of-memory-report err_has "out of memory: no page left"
