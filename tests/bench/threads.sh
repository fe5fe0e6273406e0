#!/usr/bin/env bash
# Threads and time (issue 3): tests/guest/threadbench (getpid, thread switch,
# futex wake-to-run, mutex, pthread_create+join) and the clock read of
# tests/guest/binary_bench, in a uk guest (link mode) and as Linux processes
# built from the same sources, in the same place. THREADBENCH_SCALE
# multiplies the loops (default 1 under emulation, 10 on real KVM).
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="Threads and time"
B=build/tests/bench G=build/tests/guest

inner='
$UKRUN --timeout 600 '$G'/threadbench.img -- $1 | sed "s/^bench /uk /"
'$B'/threadbench-linux $1 | sed "s/^bench /linux /"
$UKRUN --timeout 600 '$G'/binary_bench.img -- 200000
'$B'/binary_bench-linux 200000
'
files=($G/threadbench.img $G/binary_bench.img $B/threadbench-linux $B/binary_bench-linux)
need "$title" "${files[@]}" || exit 0
scale=${THREADBENCH_SCALE:-}
[ -z "$scale" ] && { kvm_here && scale=10 || scale=1; }
bench_run "$inner" "${files[@]}" -- "$scale" || { bench_skip "$title" "$res"; exit 0; }

# clock: "bench link|binary getppid NS clock_gettime NS"
clock() { get "bench $1" | awk '{ print $4 }'; }
table "$title ($where; loops x$scale)" "uk (link mode)" "Linux process, $host"
row "getpid(), per call" "$(get "uk syscall_getpid")" "$(get "linux syscall_getpid")"
row "clock_gettime(CLOCK_MONOTONIC), per call" "$(unit "$(clock link)" ns)" \
	"$(unit "$(clock binary)" "ns (vDSO)")"
row "thread switch (2 threads, sched_yield)" "$(get "uk thread_switch")" "$(get "linux thread_switch")"
row "futex wake -> woken thread runs (median of 1000)" "$(get "uk futex_wake_to_run")" \
	"$(get "linux futex_wake_to_run")"
row "uncontended mutex lock+unlock" "$(get "uk mutex_lock_unlock")" "$(get "linux mutex_lock_unlock")"
row "pthread_create + join" "$(get "uk pthread_create_join")" "$(get "linux pthread_create_join")"
