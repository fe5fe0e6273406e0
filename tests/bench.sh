#!/usr/bin/env bash
# make bench: measurements printed as tables. Never a gate.
#
# Where this machine has a usable /dev/kvm the numbers are measured here;
# otherwise inside the nested standard-KVM host (tests/stdkvm.sh), whose
# software-emulated CPU makes times ~10x worse: they are printed, labelled.
set -u
cd "$(dirname "$0")/.."
UKRUN=build/bin/ukrun

boot_bench='
img=build/apps/hello.img
i=0; : >/tmp/uk-bench
while [ $i -lt 20 ]; do
	build/bin/ukrun --verbose $img >/dev/null 2>/tmp/uk-bench.err
	sed -n "s/.*first KVM_RUN \([0-9.]*\), main() \([0-9.]*\),.*/\2/p" /tmp/uk-bench.err >>/tmp/uk-bench
	i=$((i + 1))
done
echo "main_ms $(sort -n /tmp/uk-bench | sed -n 10p)"
echo "exits $(sed -n "s/^ukrun: exits to ukrun: \([0-9]*\).*/\1/p" /tmp/uk-bench.err)"
echo "rss_kib $(sed -n "s/.*peak RSS \([0-9]*\) KiB/\1/p" /tmp/uk-bench.err)"
build/bin/ukrun --timeout 60 build/tests/guest/native.img -- 26 | sed -n "s/.* \([0-9]*\) ps\/iteration/loop_ps \1/p"
'

if [ -w /dev/kvm ] && $UKRUN build/apps/hello.img >/dev/null 2>&1; then
	where="this machine's KVM ($($UKRUN --verbose build/apps/hello.img 2>&1 >/dev/null | sed -n 's/^ukrun: KVM flavour: \([a-z]*\).*/\1/p'))"
	res=$(sh -c "$boot_bench")
else
	where="nested standard KVM under TCG (no /dev/kvm here; times not representative)"
	res=$(bash tests/stdkvm.sh -f build/bin/ukrun -f build/apps/hello.img \
		-f build/tests/guest/native.img -- sh -c "$boot_bench")
fi
[ -n "${VERBOSE:-}" ] && echo "$res"
get() { echo "$res" | sed -n "s/^$1 //p" | head -1; }
size=$(wc -c <build/apps/hello.img)
echo "Boot ($where)"
printf '| %-40s | %14s | %12s |\n' "measure" "value" "goal"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..14})"
printf '| %-40s | %11s KiB | %12s |\n' "hello image size" "$((size / 1024))" "<= 256 KiB"
printf '| %-40s | %11s ms | %12s |\n' "ukrun start -> main(), median of 20" "$(get main_ms)" "< 10 ms"
printf '| %-40s | %14s | %12s |\n' "exits to ukrun, whole hello run" "$(get exits)" "<= 20"
printf '| %-40s | %10s KiB | %12s |\n' "ukrun peak RSS (64 MiB guest)" "$(get rss_kib)" "<= 4 MiB + touched"
printf '| %-40s | %11s ps | %12s |\n' "2^26-iteration loop, per iteration" "$(get loop_ps)" "native ~300"

# Components' own benchmarks (tests/bench/*.sh), each printing its tables.
for b in tests/bench/*.sh; do
	[ -f "$b" ] && { echo; bash "$b"; }
done
