#!/usr/bin/env bash
# Processes (issues 14 and 15): fork+exit+wait and posix_spawn+exec+wait of
# a small program (tests/linux/proc.c "bench N"), static and through
# glibc's ld.so, in a uk guest (binary mode) and the same binary as a Linux
# process, in the same place, runs interleaved; medians of 3 runs of 100
# each. Then what each operation costs in counts that are the same on any
# machine: the vCPU's exits KVM counts (ukrun --verbose: a run of N
# operations less a run of none, over N), and the guest's own (/proc/vmstat,
# which the program reads around its loops: page faults taken, page-table
# pages allocated, pages copied). Last, a shell script running 200 external
# commands (busybox sh, the busybox binary of tests/images/build.sh as the
# command), the time of 200 less that of none, uk against the same busybox
# on this machine. And a switch between processes against one between
# threads: a token passed round a ring of pipes (tests/linux/proc.c
# "ring"), with the CR3 loads and KVM exits a hop.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="Processes"
G=build/tests/guest LX=build/tests/linux/proc
BBIMG=build/tests/oci/busybox.img
BB=$(bash tests/images/build.sh busybox 2>/dev/null)/busybox.rootfs/bin/busybox

inner='
for kind in static dynamic; do
	for i in 1 2 3; do
		$UKRUN --timeout 600 '$G'/proc-$kind.img -- bench 100 | sed "s/^bench /uk-$kind /"
		'$LX'/$kind/bin/prog bench 100 | sed "s/^bench /linux-$kind /"
	done
	# KVM exits: 1 fork, 101 forks, 101 forks and 101 spawns
	for ops in "1 fork" "101 fork" "101"; do
		$UKRUN --verbose --timeout 600 '$G'/proc-$kind.img -- bench $ops >"$T/v" 2>&1
		echo "exits-$kind-$(echo $ops | tr " " -) $(sed -n "s/^ukrun: KVM counts (vCPU):.* exits \([0-9]*\).*/\1/p" "$T/v")"
		sed -n "s/^bench /counts-$kind /p" "$T/v" | grep _counts
	done
done
# a token round a pipe ring: 2 and 8 processes (each hop loads another
# address space), 8 touching 64 pages of their own a hop, 2 threads of one
# process (the same wake-ups, one address space); then the KVM exits of the
# 2-process ring: 2200 laps less 200, a hop
for i in 1 2 3; do
	for r in "2 2000 0" "8 500 64" "2 2000 0 threads"; do
		$UKRUN --timeout 600 '$G'/proc-static.img -- ring $r | sed "s/^bench /uk-ring /"
		'$LX'/static/bin/prog ring $r | sed "s/^bench /linux-ring /"
	done
done
for laps in 200 2200; do
	$UKRUN --verbose --timeout 600 '$G'/proc-static.img -- ring 2 $laps 0 >"$T/v" 2>&1
	echo "exits-ring-$laps $(sed -n "s/^ukrun: KVM counts (vCPU):.* exits \([0-9]*\).*/\1/p" "$T/v")"
done
if [ -f '$BBIMG' ] && [ -x "'$BB'" ]; then
	loop() { echo "i=0; while [ \$i -lt $1 ]; do $2 true; i=\$((i + 1)); done"; }
	for i in 1 2 3; do
		for n in 0 200; do
			t0=$(now_ms)
			$UKRUN --timeout 600 '$BBIMG' sh -c "$(loop $n /bin/busybox)" >/dev/null 2>&1
			t1=$(now_ms)
			'$BB' sh -c "$(loop $n '$BB')" >/dev/null 2>&1
			t2=$(now_ms)
			echo "shell-uk-$n $((t1 - t0))"
			echo "shell-linux-$n $((t2 - t1))"
		done
	done
fi
'
need "$title" "$G/proc-static.img" "$G/proc-dynamic.img" "$LX/static/bin/prog" \
	"$LX/dynamic/bin/prog" || exit 0
bench_run "$inner" "$G/proc-static.img" "$G/proc-dynamic.img" "$LX/static/bin/prog" \
	"$LX/dynamic/bin/prog" "$LX/dynamic/lib64/ld-linux-x86-64.so.2" \
	"$LX/dynamic/lib/x86_64-linux-gnu/libc.so.6" "$BBIMG" "$BB" ||
	{ bench_skip "$title" "$res"; exit 0; }

# median KEY: the middle of the three runs' values, in µs
median() {
	echo "$res" | sed -n "s/^$1 //p" | sort -n | sed -n 2p | awk '{ printf "%.0f µs", $1 / 1000 }'
}
# exits KIND A B N: (exits of run B - exits of run A) / N
exits() {
	local a b
	a=$(get "exits-$1-$2") b=$(get "exits-$1-$3")
	[ -n "$a" ] && [ -n "$b" ] && per $((b - a)) "$4"
}
# count WHO OP NAME: count NAME per operation OP as WHO (counts-KIND: the
# guest's, linux-KIND: the Linux process's) printed it last
count() {
	echo "$res" | sed -n "s/^$1 ${2}_counts //p" | tail -1 | tr ' ' '\n' |
		sed -n "s/^$3=//p"
}
# counts KIND OP: "F / T / C": the guest's page faults, page-table pages
# allocated and pages copied (by fork, copy-on-write, from files) per OP
counts() {
	local w=counts-$1 c f
	c=$(awk -v a="$(count "$w" "$2" uk_fork_copy)" -v b="$(count "$w" "$2" uk_cow_copy)" \
		-v d="$(count "$w" "$2" uk_file_copy)" 'BEGIN { if (a != "") print a + b + d }')
	f=$(count "$w" "$2" pgfault)
	[ -n "$f" ] && echo "$f / $(count "$w" "$2" uk_pt_alloc) / $c"
}
# code KIND: "S / K": KiB of code scanned for system-call sites and pages
# of earlier rewrites mapped instead (binary_rewrite.c's kept ones), per
# spawn
code() {
	local s k
	s=$(count "counts-$1" spawn_exec_wait uk_code_scan)
	k=$(count "counts-$1" spawn_exec_wait uk_code_kept)
	[ -n "$s" ] && awk -v s="$s" -v k="$k" 'BEGIN { printf "%.0f / %.0f\n", s / 1024, k }'
}
# shell KIND: ms for 200 commands less ms for none, median of 3, per command
shell() {
	local d
	d=$(paste <(echo "$res" | sed -n "s/^shell-$1-200 //p") \
		<(echo "$res" | sed -n "s/^shell-$1-0 //p") | awk '{ print $1 - $2 }' | sort -n |
		sed -n 2p)
	[ -n "$d" ] && awk -v d="$d" 'BEGIN { printf "%.0f µs\n", d * 1000 / 200 }'
}
table "$title ($where)" "uk (binary mode)" "Linux process, $host"
for kind in static dynamic; do
	row "fork + _exit + waitpid, $kind" "$(median "uk-$kind fork_exit_wait")" \
		"$(median "linux-$kind fork_exit_wait")"
	row "posix_spawn + execve of itself + waitpid, $kind" \
		"$(median "uk-$kind spawn_exec_wait")" "$(median "linux-$kind spawn_exec_wait")"
done
for kind in static dynamic; do
	row "fork, $kind: KVM exits / operation" "$(exits $kind 1-fork 101-fork 100)" "(uk only)"
	row "  page faults / tables allocated / pages copied" "$(counts $kind fork_exit_wait)" \
		"faults $(count linux-$kind fork_exit_wait pgfault)"
	row "spawn, $kind: KVM exits / operation" "$(exits $kind 101-fork 101 101)" "(uk only)"
	row "  page faults / tables allocated / pages copied" "$(counts $kind spawn_exec_wait)" \
		"faults $(count linux-$kind spawn_exec_wait pgfault)"
	row "  code KiB scanned / rewritten pages kept, mapped" "$(code $kind)" "(uk only)"
done
# ring WHO KEY: the median of the three runs' ns a hop, in µs
ring() {
	echo "$res" | sed -n "s/^$1-ring $2 //p" | sort -n | sed -n 2p |
		awk '{ printf "%.2f µs", $1 / 1000 }'
}
row "pipe ring, 2 processes: a hop (a switch)" "$(ring uk ring_procs_2)" \
	"$(ring linux ring_procs_2)"
row "pipe ring, 8 processes, 64 pages each touched a hop" "$(ring uk ring_procs_8)" \
	"$(ring linux ring_procs_8)"
row "pipe ring, 2 threads of one process: a hop" "$(ring uk ring_threads_2)" \
	"$(ring linux ring_threads_2)"
row "  2 processes: CR3 loads / KVM exits a hop" \
	"$(echo "$res" | sed -n "s/^uk-ring ring_procs_2_counts .*uk_cr3_load=\([0-9.]*\).*/\1/p" |
		tail -1) / $(exits ring 200 2200 4000)" "(uk only)"
row "busybox sh: an external command (200 in a row)" "$(shell uk)" "$(shell linux)"
