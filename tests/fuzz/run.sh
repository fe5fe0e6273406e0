#!/usr/bin/env bash
# make fuzz: every libFuzzer target (build/tests/fuzz/*) for FUZZ_SECS
# seconds (default 600), FUZZ_JOBS at a time (default: the cores), then a
# table: executions, coverage, corpus and crashes per target.
#
# The corpus of each target grows from run to run in build/fuzz/corpus/
# TARGET, seeded from tests/fuzz/seeds.sh. A crash stops its target; the
# input is left in build/fuzz/crashes/TARGET/ and the table says so. Once
# the crash is fixed, keep that input in tests/fuzz/regress/TARGET/: the
# unit suite replays every kept input (tests/unit/fuzz_regress.sh).
#
# FUZZ_TARGETS=p9_server,blk_req runs only those; FUZZ_RUNS=N stops each
# target after N executions if that comes first (FUZZ_RUNS=10000000
# FUZZ_SECS=7200: ten million each, at most two hours).
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECS:-600}
jobs=${FUZZ_JOBS:-$(nproc)}
out=build/fuzz
mkdir -p "$out/logs"

max_len() { # the longest input worth trying, per target
	case $1 in
	image) echo 32768 ;;
	oci_layer) echo 65536 ;;
	oci_elf | net_*) echo 8192 ;;
	blk_req) echo 2048 ;;
	*) echo 4096 ;;
	esac
}

fuzz_one() { # TARGET
	local name=$1 f=build/tests/fuzz/$1
	mkdir -p "$out/corpus/$name" "$out/crashes/$name" "$out/seeds/$name"
	bash tests/fuzz/seeds.sh "$name" "$out/seeds/$name"
	# (-timeout: one input may take 10 s; -rss_limit_mb: leaks and
	# runaway allocations count as crashes)
	# (-close_fd_mask=2: the target's own messages, such as ukrun's "guest
	# broke the ABI" lines, would fill the disk in ten minutes; libFuzzer's
	# report stays, and a kept crash input replays with everything)
	timeout -k 10 $((secs + 120)) "$f" -max_total_time="$secs" -max_len="$(max_len "$name")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=2 -runs="${FUZZ_RUNS:--1}" \
		-artifact_prefix="$out/crashes/$name/" \
		"$out/corpus/$name" "$out/seeds/$name" >"$out/logs/$name.log" 2>&1
	echo $? >"$out/logs/$name.rc"
}

targets=()
for f in build/tests/fuzz/*; do
	name=$(basename "$f")
	[ -x "$f" ] && [ "${name%.sh}" = "$name" ] || continue # (not seeds.sh, smoke.sh)
	case ",${FUZZ_TARGETS:-$name}," in *",$name,"*) targets+=("$name") ;; esac
done
if [ ${#targets[@]} = 0 ]; then
	echo "make fuzz: no fuzz targets built (they need clang with libFuzzer: ci/deps.sh installs it)" >&2
	exit 1
fi
echo "fuzzing ${#targets[@]} targets for ${secs} s each, $jobs at a time (logs: $out/logs)"
running=0
for name in "${targets[@]}"; do
	fuzz_one "$name" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

stat() { sed -n "s/^stat::$2: *//p" "$out/logs/$1.log" | tail -1; }
crashed=0
printf '\n| %-10s | %7s | %12s | %8s | %8s | %8s | %-28s |\n' \
	target seconds executions "exec/s" coverage corpus crashes
printf '|%s|\n' "------------|---------|--------------|----------|----------|----------|------------------------------"
for name in "${targets[@]}"; do
	rc=$(cat "$out/logs/$name.rc")
	crash=none
	if [ "$rc" != 0 ]; then
		crash=$(ls -t "$out/crashes/$name" 2>/dev/null | head -1)
		crash=${crash:-"exit $rc, see $out/logs/$name.log"}
		crashed=$((crashed + 1))
	fi
	printf '| %-10s | %7s | %12s | %8s | %8s | %8s | %-28s |\n' "$name" "$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out/logs/$name.log")" \
		"$(stat "$name" number_of_executed_units)" "$(stat "$name" average_exec_per_sec)" \
		"$(grep -o 'cov: [0-9]*' "$out/logs/$name.log" | tail -1 | cut -d' ' -f2)" \
		"$(ls "$out/corpus/$name" | wc -l)" "$crash"
done
[ $crashed = 0 ] || { echo "$crashed target(s) crashed: inputs in $out/crashes/"; exit 1; }
