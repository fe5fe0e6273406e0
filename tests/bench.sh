#!/usr/bin/env bash
# make bench: measurements printed as tables. Never a gate.
#
# The boot table here, then each component's script in tests/bench/ (its
# own tables, or "skipped: why"). Where ukrun runs and how that is labelled:
# tests/bench/lib.sh. UK_BENCH=boot,threads,... runs a subset (names: boot
# and the scripts' names without .sh); VERBOSE=1 shows the raw output.
set -u
cd "$(dirname "$0")/.."
. tests/bench/lib.sh
want() { [ -z "${UK_BENCH:-}" ] || [[ ",$UK_BENCH," == *",$1,"* ]]; }

boot_bench='
img=build/apps/hello.img
i=0; : >/tmp/uk-bench
while [ $i -lt 20 ]; do
	$UKRUN --timeout 20 --verbose $img >/dev/null 2>/tmp/uk-bench.err
	sed -n "s/.*first KVM_RUN \([0-9.]*\), main() \([0-9.]*\),.*/\2/p" /tmp/uk-bench.err >>/tmp/uk-bench
	i=$((i + 1))
done
echo "main_ms $(sort -n /tmp/uk-bench | sed -n 10p)"
# the whole run as its caller sees it: fork and exec to wait (python3
# where there is one: a shell clock costs a process per reading)
command -v python3 >/dev/null && python3 -c "
import subprocess, sys, time
ts = []
for i in range(20):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts.append((time.perf_counter() - t) * 1e3)
print(\"whole_ms %.2f\" % sorted(ts)[10])
" $UKRUN --timeout 20 $img
echo "exits $(exits /tmp/uk-bench.err)"
echo "rss_kib $(sed -n "s/.*peak RSS \([0-9]*\) KiB/\1/p" /tmp/uk-bench.err)"
$UKRUN --timeout 60 build/tests/guest/native.img -- 26 | sed -n "s/.* \([0-9]*\) ps\/iteration/loop_ps \1/p"
'

title=Boot
if want boot && need "$title" build/apps/hello.img build/tests/guest/native.img; then
	if bench_run "$boot_bench" build/apps/hello.img build/tests/guest/native.img; then
		[ "$where" = "this machine's KVM" ] &&
			where="$where, $("$UKRUN" --timeout 20 --verbose build/apps/hello.img 2>&1 >/dev/null |
				sed -n 's/^ukrun: KVM flavour: \([a-z]*\).*/\1/p')"
		table "$title ($where)" value goal
		row "hello image size" "$(($(wc -c <build/apps/hello.img) / 1024)) KiB" "<= 256 KiB"
		row "ukrun start -> main(), median of 20" "$(unit "$(get main_ms)" ms)" "<= 3 ms (PVM), 1 ms (standard)"
		row "whole hello run (fork+exec to wait), median of 20" "$(unit "$(get whole_ms)" ms)" "-"
		row "exits to ukrun, whole hello run" "$(get exits)" "<= 20"
		row "ukrun peak RSS (64 MiB guest)" "$(unit "$(get rss_kib)" KiB)" "<= 4 MiB + touched pages"
		row "2^26-iteration dec/jnz loop, per iteration" "$(unit "$(get loop_ps)" ps)" "native ~300 ps (1 cycle)"
	else
		bench_skip "$title" "$res"
	fi
fi

# Components' own benchmarks, each printing its tables: in the order of
# their issues, then any other script there.
scripts=()
for n in threads poll ramfs sqlite net p9 oci disk; do scripts+=("tests/bench/$n.sh"); done
for b in tests/bench/*.sh; do [[ " ${scripts[*]} " == *" $b "* ]] || scripts+=("$b"); done
for b in "${scripts[@]}"; do
	n=$(basename "$b" .sh)
	if [ -f "$b" ] && [ "$n" != lib ] && want "$n"; then
		echo
		bash "$b"
	fi
done
