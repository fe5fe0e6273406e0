#!/usr/bin/env bash
# Numbers for container images (issue 6), printed as tables; never a gate.
# Run from the top of the tree after `make`:  bash tests/images/bench.sh
#
#   image size against the OCI image's, `ukbuild oci` time (this machine);
#   ukrun start -> ready (redis's "Ready to accept connections", nginx's
#   first answer), redis-benchmark -c8 -n20000 (few clients: the round
#   trip's wake-ups decide it) against the guest and against the same
#   redis-server as a Linux process on the same host, in the same run; the
#   cost of a system call and of a clock read, link mode against a Linux
#   program (the `syscall` instruction; the vDSO).
# With a usable /dev/kvm the ukrun numbers are measured here, else in the
# nested standard-KVM host (tests/stdkvm.sh) under TCG: labelled so.
set -u
cd "$(dirname "$0")/../.."
UKBUILD=build/bin/ukbuild UKRUN=build/bin/ukrun O=build/bench/oci
I=$(bash tests/images/build.sh busybox sqlite lua python redis nginx) || {
	printf 'Container images\nskipped: tests/images/build.sh could not build the images (above: why)\n'
	exit 0
}
mkdir -p "$O"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# ---- sizes and build times, here ----
echo "Container images -> uk images (ukbuild oci, this machine)"
printf '| %-8s | %12s | %14s | %14s | %12s |\n' image "OCI (gzip)" "docker archive" "uk image" "ukbuild oci"
printf '|%s|%s|%s|%s|%s|\n' ---------- -------------- ---------------- ---------------- --------------
for n in busybox sqlite lua python redis nginx; do
	best=
	for i in 1 2 3; do
		s=$(date +%s%N)
		"$UKBUILD" oci -q "oci:$I/$n.oci" -o "$O/$n.img" || exit 1
		e=$((($(date +%s%N) - s) / 1000000))
		[ -z "$best" ] || [ "$e" -lt "$best" ] && best=$e
	done
	printf '| %-8s | %8s MiB | %10s MiB | %10s MiB | %9s ms |\n' "$n" \
		"$(mib "$(du -sb "$I/$n.oci" | cut -f1)")" "$(mib "$(stat -c %s "$I/$n.tar")")" \
		"$(mib "$(stat -c %s "$O/$n.img")")" "$best"
done

# ---- under ukrun ----
mkdir -p "$t/bench/bin"
gcc -O2 -static -o "$t/bench/bin/bench" tests/guest/binary_bench/bench.c &&
	"$UKBUILD" oci -q "dir:$t/bench" -o "$O/bench.img" --entrypoint /bin/bench
make -s build/tests/guest/binary_bench.img
(cd "$I/redis.rootfs" && tar -cf - usr/bin/redis-* usr/lib/x86_64-linux-gnu/*.so*) >"$O/redis-tools.tar"

run_bench='
O=build/bench/oci
ip link set lo up 2>/dev/null
ms() { awk "{ printf \"%d\\n\", \$1 * 1000 }" /proc/uptime; }
build/bin/ukrun build/tests/guest/binary_bench.img -- 200000
build/bin/ukrun $O/bench.img -- 200000
mkdir -p /tmp/r && tar -xf $O/redis-tools.tar -C /tmp/r
L=/tmp/r/usr/lib/x86_64-linux-gnu
tool() { $L/ld-linux-x86-64.so.2 --library-path $L /tmp/r/usr/bin/$@; }
rps() { tr "\r" "\n" </tmp/b | sed -n "s/^$1: \([0-9.]*\) requests per second.*/\1/p" | tail -1; }
t0=$(ms)
build/bin/ukrun -p 16379:6379 $O/redis.img >/tmp/redis.out 2>&1 &
pid=$!
while ! grep -q "Ready to accept" /tmp/redis.out; do sleep 0.05; done
echo "ready redis $(($(ms) - t0))"
tool redis-benchmark -p 16379 -n 20000 -c 8 -t set,get -q >/tmp/b 2>&1
echo "guest $(rps SET) $(rps GET)"
kill $pid; wait $pid
$L/ld-linux-x86-64.so.2 --library-path $L /tmp/r/usr/bin/redis-server --port 16380 --save "" --appendonly no >/tmp/native.out 2>&1 &
pid=$!
while ! grep -q "Ready to accept" /tmp/native.out; do sleep 0.05; done
tool redis-benchmark -p 16380 -n 20000 -c 8 -t set,get -q >/tmp/b 2>&1
echo "host $(rps SET) $(rps GET)"
kill $pid; wait $pid
t0=$(ms)
build/bin/ukrun -p 18080:80 $O/nginx.img >/tmp/nginx.out 2>&1 &
pid=$!
while ! wget -q -O /dev/null http://127.0.0.1:18080/ 2>/dev/null; do sleep 0.05; done
echo "ready nginx $(($(ms) - t0))"
kill $pid; wait $pid
'
files=(-f "$UKRUN" -f build/tests/guest/binary_bench.img)
for f in bench redis nginx; do files+=(-f "$O/$f.img"); done
files+=(-f "$O/redis-tools.tar")
if [ -w /dev/kvm ] && "$UKRUN" build/apps/hello.img >/dev/null 2>&1; then
	where="this machine's KVM"
	res=$(sh -c "$run_bench" 2>&1)
else
	where="nested standard KVM under TCG: not representative"
	res=$(bash tests/stdkvm.sh -t 1800 "${files[@]}" -- sh -c "$run_bench" 2>&1)
fi
[ -n "${VERBOSE:-}" ] && echo "$res"
get() { echo "$res" | sed -n "s/^$1 //p" | head -1; }
link=$(get "bench link") bin=$(get "bench binary")
read -r gset gget <<<"$(get guest)"
read -r hset hget <<<"$(get host)"
echo
echo "Linux programs under ukrun ($where)"
printf '| %-52s | %22s |\n' measure value
printf '|%s|%s|\n' ------------------------------------------------------ ------------------------
printf '| %-52s | %19s ms |\n' "ukrun start -> redis \"Ready to accept connections\"" "$(get "ready redis")"
printf '| %-52s | %19s ms |\n' "ukrun start -> nginx's first answer (DHCP included)" "$(get "ready nginx")"
printf '| %-52s | %22s |\n' "redis-benchmark -c8 SET guest / host (req/s)" "${gset:-?} / ${hset:-?}"
printf '| %-52s | %22s |\n' "redis-benchmark -c8 GET guest / host (req/s)" "${gget:-?} / ${hget:-?}"
[ -n "${gset:-}" ] && [ -n "${hset:-}" ] &&
	printf '| %-52s | %22s |\n' "  ratio guest/host SET, GET" \
		"$(awk -v a="$gset" -v b="$hset" -v c="$gget" -v d="$hget" 'BEGIN { printf "%.2f, %.2f", a / b, c / d }')"
printf '| %-52s | %19s ns |\n' "getppid(): link mode (a call)" "$(echo "$link" | awk '{print $2}')"
printf '| %-52s | %19s ns |\n' "getppid(): Linux program (syscall instruction)" "$(echo "$bin" | awk '{print $2}')"
printf '| %-52s | %19s ns |\n' "clock_gettime(): link mode" "$(echo "$link" | awk '{print $4}')"
printf '| %-52s | %19s ns |\n' "clock_gettime(): Linux program (vDSO)" "$(echo "$bin" | awk '{print $4}')"
