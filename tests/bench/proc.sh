#!/usr/bin/env bash
# Processes (issue 15): fork+exit+wait and posix_spawn+exec+wait of a small
# static program (tests/linux/proc.c "bench N"), in a uk guest (binary mode)
# and the same binary as a Linux process, in the same place, runs
# interleaved. Medians of 3 runs of 100 each.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="Processes"
IMG=build/tests/guest/proc-static.img PROG=build/tests/linux/proc/static/bin/prog

inner='
for i in 1 2 3; do
	$UKRUN --timeout 600 '$IMG' -- bench 100 | sed "s/^bench /uk /"
	'$PROG' bench 100 | sed "s/^bench /linux /"
done
'
need "$title" "$IMG" "$PROG" || exit 0
bench_run "$inner" "$IMG" "$PROG" || { bench_skip "$title" "$res"; exit 0; }

# median KEY: the middle of the three runs' values, in µs
median() {
	echo "$res" | sed -n "s/^$1 //p" | sort -n | sed -n 2p | awk '{ printf "%.0f µs", $1 / 1000 }'
}
table "$title ($where)" "uk (binary mode)" "Linux process, $host"
row "fork + _exit + waitpid" "$(median "uk fork_exit_wait")" "$(median "linux fork_exit_wait")"
row "posix_spawn + execve of itself + waitpid" "$(median "uk spawn_exec_wait")" \
	"$(median "linux spawn_exec_wait")"
