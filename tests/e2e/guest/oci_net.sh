#!/bin/sh
# Network servers from container images, unmodified: Debian's redis-server
# and nginx (single-process flags in their images' configuration) with a
# forwarded port over user-mode networking (ukrun's -p, QEMU's hostfwd);
# the image's own redis-cli and redis-benchmark and this host's curl talk
# to them; how long until each is ready. Under ukrun also redis-benchmark
# against the same redis-server as a Linux process here. The images come
# from the host suite (tests/e2e/host/oci_images.sh). In a network
# namespace of its own (own_netns): its ports meet no other run's.
. tests/e2e/lib.sh
own_netns "$0" "$@"
runner_ready oci_net || exit 0
O=build/tests/oci
N=oci-net-$UK_ON
trap 'bg_stop; rm -rf "$T"' EXIT
# Fewer requests under QEMU's emulation.
if on_ukrun; then requests="-n 5000 -c 8"; else requests="-n 2000 -c 4"; fi

if [ ! -f "$O/redis.img" ] || [ ! -f "$O/nginx.img" ] || [ ! -f "$O/redis-tools.tar" ]; then
	skip $N/images "$O/{redis,nginx}.img are made by the host suite (tests/e2e/host/oci_images.sh): run it first"
	exit 0
fi
need $N/all curl || exit 0
# (without a namespace of its own: the nested host starts with its loopback down)
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
mkdir -p "$T/r" && tar -xf "$O/redis-tools.tar" -C "$T/r"
L=$T/r/usr/lib/x86_64-linux-gnu
tool() { timeout 300 "$L/ld-linux-x86-64.so.2" --library-path "$L" "$T/r/usr/bin/$@"; }
rps() { tr '\r' '\n' <"$1" | sed -n "s/^$2: \([0-9]*\)[.0-9]* requests per second.*/\1/p" | tail -1; }

# ---- redis ----
# Wait (10 s at most) until INFO persistence says FIELD:0, the fork's work
# done; its answer stays in $T/out.
persisted() { # FIELD
	i=0
	while [ $i -lt 100 ]; do
		run tool redis-cli -p 16379 INFO persistence
		grep -q "^$1:0" "$T/out" && return
		sleep 0.1
		i=$((i + 1))
	done
}
t0=$(now_ms)
mkdir -p "$T/rdata" # a volume at its working directory, /data: where BGSAVE writes
guest_bg "$T/redis.out" -M 512M -v "$T/rdata:/data" -p 16379:6379 "$O/redis.img"
if bg_wait "$T/redis.out" 'Ready to accept connections' 180; then
	pass $N/redis/ready
	echo "ready-ms redis $(($(now_ms) - t0))"
	run tool redis-cli -p 16379 SET greeting "hello from uk"
	check $N/redis/set out_is OK
	run tool redis-cli -p 16379 GET greeting
	check $N/redis/get out_is "hello from uk"
	run tool redis-cli -p 16379 INCRBY n 42
	check $N/redis/incr out_is 42
	run tool redis-benchmark -p 16379 $requests -t set,get -q
	guest_set=$(rps "$T/out" SET) guest_get=$(rps "$T/out" GET)
	check $N/redis/benchmark-set test "${guest_set:-0}" -gt 0
	check $N/redis/benchmark-get test "${guest_get:-0}" -gt 0
	run tool redis-cli -p 16379 DBSIZE
	check $N/redis/benchmark-keys test "$(cat "$T/out")" -ge 3
	# a background save forks (processes inside the VM): the child writes
	# the RDB into the volume while the parent goes on answering
	run tool redis-cli -p 16379 BGSAVE
	check $N/redis/bgsave-started out_has 'Background saving started'
	persisted rdb_bgsave_in_progress
	check $N/redis/bgsave-ok out_has 'rdb_last_bgsave_status:ok'
	check $N/redis/bgsave-rdb-in-volume test -s "$T/rdata/dump.rdb"
	# an AOF rewrite forks the same way (redis 7: appendonlydir/ beside it)
	run tool redis-cli -p 16379 BGREWRITEAOF
	check $N/redis/bgrewriteaof-started out_has 'Background append only file rewriting started'
	persisted aof_rewrite_in_progress
	check $N/redis/bgrewriteaof-ok out_has 'aof_last_bgrewrite_status:ok'
	check $N/redis/bgrewriteaof-in-volume sh -c "ls '$T/rdata/appendonlydir/' | grep -q 'base.rdb\$'"
	run tool redis-cli -p 16379 GET greeting
	check $N/redis/after-bgsave out_is "hello from uk"
else
	fail $N/redis/ready "no 'Ready to accept connections' in 180 s: $(tail -c 400 "$T/redis.out" | tr '\n' '|')"
fi
bg_stop
check $N/redis/no-crash sh -c "! grep -q 'fatal exception\|crashed' '$T/redis.out'"

# The same redis-server as a Linux process of this host, same benchmark:
# uk's numbers beside Linux's (under QEMU's emulation they say nothing).
if on_ukrun; then
	bg_start "$T/native.out" "$L/ld-linux-x86-64.so.2" --library-path "$L" "$T/r/usr/bin/redis-server" \
		--port 16380 --save '' --appendonly no --protected-mode no
	if bg_wait "$T/native.out" 'Ready to accept connections' 180 && [ -n "${guest_set:-}" ]; then
		run tool redis-benchmark -p 16380 $requests -t set,get -q
		host_set=$(rps "$T/out" SET) host_get=$(rps "$T/out" GET)
		echo "redis-benchmark SET guest $guest_set host $host_set; GET guest $guest_get host $host_get (requests/s)"
		check $N/redis/benchmark-host test -n "$host_set" -a -n "$host_get"
	fi
	bg_stop
fi

# ---- nginx ----
t0=$(now_ms)
guest_bg "$T/nginx.out" -M 512M -p 18080:80 "$O/nginx.img"
i=0
while [ $i -lt 900 ] && ! curl -sf -m 10 -o "$T/page" http://127.0.0.1:18080/ 2>/dev/null; do
	kill -0 "$bgpid" 2>/dev/null || break
	sleep 0.2
	i=$((i + 1))
done
echo "ready-ms nginx $(($(now_ms) - t0))"
check $N/nginx/page cmp -s "$T/page" "$O/nginx.expected"
run curl -s -m 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:18080/no-such-page
check $N/nginx/404 out_has '^404$'
# ten at once, each a whole page
pids=
for i in 0 1 2 3 4 5 6 7 8 9; do
	timeout 60 curl -s -m 30 -o "$T/p$i" http://127.0.0.1:18080/ &
	pids="$pids $!"
done
wait $pids
check $N/nginx/ten-at-once sh -c "for i in 0 1 2 3 4 5 6 7 8 9; do cmp -s '$T/p'\$i '$O/nginx.expected' || exit 1; done"
bg_stop
check $N/nginx/single-process grep -q 'nginx/1' "$T/nginx.out"
