#!/usr/bin/env bash
# Pipes, poll and memory (issue 3): tests/guest/pollbench (pipe throughput
# and round trips, eventfd, epoll_wait and poll with many descriptors, mmap
# costs) in a uk guest and as a Linux process built from the same source,
# in the same place.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="Pipes, poll and memory"
files=(build/tests/guest/pollbench.img build/tests/bench/pollbench-linux)
inner='
$UKRUN --timeout 600 '${files[0]}' | sed "s/^bench /uk /"
'${files[1]}' | sed "s/^bench /linux /"
'
need "$title" "${files[@]}" || exit 0
bench_run "$inner" "${files[@]}" || { bench_skip "$title" "$res"; exit 0; }

both() { row "$1" "$(get "uk $2")" "$(get "linux $2")"; }
table "$title ($where)" "uk (link mode)" "Linux process, $host"
both "pipe throughput, 256 MiB in 64 KiB writes" pipe-throughput
both "TCP over 127.0.0.1, 256 MiB in 64 KiB writes" tcp-loopback-throughput
both "pipe round trip between 2 threads, 1 byte" pipe-round-trip
both "eventfd round trip between 2 threads" eventfd-round-trip
both "epoll_wait, 1000 registered, 1 ready" epoll_wait-1000-registered-1-ready
both "poll, 100 fds, 1 ready" poll-100-fds
both "poll, 1000 fds, 1 ready" poll-1000-fds
both "mmap + touch + munmap, 1 page" mmap-touch-munmap-1-page
both "mmap + munmap, 1 MiB untouched" mmap-munmap-1MiB-untouched
both "first touch of an mmap page" first-touch-per-page
both "first touch of a page from sbrk" first-touch-per-page-brk
both "munmap of 64 MiB touched" munmap-64MiB-touched
