#!/usr/bin/env bash
# sqlite (issue 3, programs): tests/programs/sqlite/bench.sql (100 000
# inserts in one transaction, timed by sqlite's own .timer) in the sqlite3
# shell built from Debian's source in link mode (build/tests/programs), and
# in Debian's own sqlite3 binary as a Linux process, in the same place;
# both databases in RAM in the nested host (the guest's ramfs, /tmp).
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="sqlite"
files=(build/tests/programs/sqlite3.img /usr/bin/sqlite3 tests/programs/sqlite/bench.sql)
# .timer prints "Run Time: real S user S sys S" per statement: the sum of
# real, then the row count, then the whole run in ms.
inner='
timed() { # KEY COMMAND...
	k=$1
	shift
	t0=$(now_ms)
	"$@" >"$T/sql" 2>&1
	t1=$(now_ms)
	echo "${k}_s $(awk "/^Run Time: real/ { s += \$4 } END { printf \"%.3f\", s }" "$T/sql")"
	echo "${k}_rows $(tail -1 "$T/sql")"
	echo "${k}_ms $((t1 - t0))"
}
timed uk $UKRUN --timeout 600 '${files[0]}' -- /tmp/b.db ".read /bench.sql"
timed linux '${files[1]}' "$T/h.db" ".read '${files[2]}'"
'
need "$title" "${files[@]}" || exit 0
bench_run "$inner" "${files[@]}" || { bench_skip "$title" "$res"; exit 0; }

us=$(get uk_s) ls=$(get linux_s)
table "$title ($where)" "uk (link mode)" "Debian's sqlite3, $host"
row "100 000 inserts, one transaction (sqlite's .timer)" "$(unit "$us" s)" "$(unit "$ls" s)"
row "  rows in the table afterwards" "$(get uk_rows)" "$(get linux_rows)"
row "time ratio uk / Linux (below 1: uk faster)" "$(ratio "$us" "$ls")" "1.00 = as fast as Linux"
row "whole run, start to exit (ukrun: boot included)" "$(unit "$(get uk_ms)" ms)" "$(unit "$(get linux_ms)" ms)"
