#!/bin/sh
# Network servers from container images under ukrun with -p (user-mode
# networking): Debian's redis-server answering redis-cli and
# redis-benchmark, nginx answering wget; how long until each is ready; and
# redis-benchmark against the same redis-server as a Linux process here.
# The images come from the host suite (tests/e2e/host/oci_net.sh). In a
# network namespace of its own (own_netns): its ports meet no other run's.
. tests/e2e/lib.sh
own_netns "$0" "$@"
native_check oci_net
O=build/tests/oci
trap 'bg_stop; rm -rf "$T"' EXIT

if [ ! -f "$O/redis.img" ] || [ ! -f "$O/nginx.img" ] || [ ! -f "$O/redis-tools.tar" ]; then
	skip oci-net-kvm/images "$O/{redis,nginx}.img are made by the host suite (tests/e2e/host/oci_net.sh): run it first"
	exit 0
fi
# (without a namespace of its own: the nested host starts with its loopback down)
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
mkdir -p "$T/r" && tar -xf "$O/redis-tools.tar" -C "$T/r"
L=$T/r/usr/lib/x86_64-linux-gnu
tool() { timeout 300 "$L/ld-linux-x86-64.so.2" --library-path "$L" "$T/r/usr/bin/$@"; }
rps() { tr '\r' '\n' <"$1" | sed -n "s/^$2: \([0-9]*\)[.0-9]* requests per second.*/\1/p" | tail -1; }

# ---- redis ----
t0=$(now_ms)
bg_start "$T/redis.out" "$UKRUN" -p 16379:6379 "$O/redis.img"
if bg_wait "$T/redis.out" 'Ready to accept connections' 180; then
	echo "ready-ms redis $(($(now_ms) - t0))"
	run tool redis-cli -p 16379 SET greeting "hello from uk"
	check oci-net-kvm/redis/set out_is OK
	run tool redis-cli -p 16379 GET greeting
	check oci-net-kvm/redis/get out_is "hello from uk"
	run tool redis-benchmark -p 16379 -n 5000 -c 8 -t set,get -q
	guest_set=$(rps "$T/out" SET) guest_get=$(rps "$T/out" GET)
	check oci-net-kvm/redis/benchmark test -n "$guest_set" -a -n "$guest_get"
else
	fail oci-net-kvm/redis/ready "$(tail -c 400 "$T/redis.out" | tr '\n' '|')"
fi
bg_stop

# The same redis-server as a Linux process of this host, same benchmark.
bg_start "$T/native.out" "$L/ld-linux-x86-64.so.2" --library-path "$L" "$T/r/usr/bin/redis-server" \
	--port 16380 --save '' --appendonly no --protected-mode no
if bg_wait "$T/native.out" 'Ready to accept connections' 180 && [ -n "${guest_set:-}" ]; then
	run tool redis-benchmark -p 16380 -n 5000 -c 8 -t set,get -q
	host_set=$(rps "$T/out" SET) host_get=$(rps "$T/out" GET)
	echo "redis-benchmark SET guest $guest_set host $host_set; GET guest $guest_get host $host_get (requests/s)"
	check oci-net-kvm/redis/benchmark-host test -n "$host_set" -a -n "$host_get"
fi
bg_stop

# ---- nginx ----
t0=$(now_ms)
bg_start "$T/nginx.out" "$UKRUN" -p 18080:80 "$O/nginx.img"
i=0
# (busybox wget -T crashes here: timeout instead; busybox's where there is
# no other: ci/deps.sh installs busybox-static, not wget)
get=wget
have wget || get="busybox wget"
while [ $i -lt 900 ] && ! timeout 10 $get -q -O "$T/page" http://127.0.0.1:18080/ 2>/dev/null; do
	kill -0 "$bgpid" 2>/dev/null || break
	sleep 0.2
	i=$((i + 1))
done
echo "ready-ms nginx $(($(now_ms) - t0))"
check oci-net-kvm/nginx/page cmp -s "$T/page" "$O/nginx.expected"
bg_stop
check oci-net-kvm/nginx/single-process grep -q 'nginx/1' "$T/nginx.out"
