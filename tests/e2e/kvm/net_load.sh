#!/bin/sh
# Many connections at once through each of ukrun's network paths: httpd
# (link mode) under wrk with 256 connections through -p (libslirp), through
# a TAP device, and through vhost-net when the kernel has it; redis (binary
# mode, the OCI image) under redis-benchmark with 256 clients through -p;
# and a forwarded port that refuses connections until the guest listens.
#
# The checks: no request failed or timed out, every request was answered
# (nettool's 256 GETs at once, redis-benchmark's count), the refusal came
# as ECONNREFUSED. Rates and latencies are printed ("measure" lines), never
# checked: timing depends on the machine (the nested host under TCG is ~10x
# slower), so wrk's own timeout (STALL) is set far above any slowness,
# where only a stalled connection reaches it. POSIX sh: busybox in the
# nested host, where the runs are shorter.
. tests/e2e/lib.sh
own_netns "$0" "$@"
native_check net_load
G=build/tests/guest
NT=build/tests/net/nettool
TAP=ukload0
P=18090 # forwarded host ports: P, P+1 (redis), P+2 and P+3 (refusals)
CONNS=256
# httpd runs a thread per connection (64 KiB of stack and a 64 KiB buffer
# each): the connections of one run and the next may all be alive at once
# where threads end slowly (the nested host), more than ukrun's default.
MEM=256M
SECS=5 REQS=20000 WAIT=120 STALL=30
[ -n "$UK_NESTED" ] && SECS=3 REQS=4000 WAIT=300 STALL=120

trap 'bg_stop; ip link del $TAP 2>/dev/null; rm -rf "$T"' EXIT

if [ ! -x "$NT" ]; then
	skip net-load/all "$NT is missing (make builds it)"
	exit 0
fi

# ---- HTTP: wrk and 256 GETs at once ----

# load NAME URL: wrk with $CONNS connections for $SECS s; a request not
# answered within STALL s counts as a timeout (a stall, not slowness).
load() {
	run bound $((SECS + STALL + 30)) wrk -t2 -c$CONNS -d${SECS}s --timeout ${STALL}s --latency "$2"
	check "$1/wrk-requests-answered" grep -q '[1-9][0-9]* requests in' "$T/out"
	check "$1/wrk-no-errors-or-timeouts" sh -c "! grep -qE 'Socket errors|Non-2xx' $T/out"
	echo "measure $1: $(sed -n 's/^Requests\/sec: *//p' "$T/out") requests/s," \
		"p99 $(awk '$1 == "99%" { print $2 }' "$T/out")," \
		"max $(awk '$1 == "Latency" { print $4; exit }' "$T/out")" \
		"(wrk -c$CONNS -d${SECS}s)"
}

# httpd_suite NAME HOST PORT: the load, then every one of 256 GETs at once
# answered.
httpd_suite() {
	load "$1" "http://$2:$3/hello.txt"
	run bound $WAIT "$NT" http "$2" "$3" $CONNS /hello.txt
	check "$1/$CONNS-at-once-answered" out_is "$CONNS of $CONNS answered 200"
}

if need net-load/http wrk; then
	bg_start "$T/user.out" "$UKRUN" --verbose -m $MEM -p $P:80 build/apps/httpd.img
	if bg_wait "$T/user.out" serving $WAIT; then
		httpd_suite net-load/user 127.0.0.1 $P
	else
		fail net-load/user/boot "$(tail -c 400 "$T/user.out" | tr '\n' '|')"
	fi
	bg_stop
	sed -n 's/^ukrun: \(virtio-net: .* frames received.*\)/measure net-load\/user: \1/p' "$T/user.out"

	# The same server as a Linux process here, for the measurement.
	if [ -x build/tests/net/httpd-linux ]; then
		bg_start "$T/linux.out" build/tests/net/httpd-linux -p $((P + 4)) -r apps/httpd/www
		if bg_wait "$T/linux.out" serving 30; then
			run bound $((SECS + 60)) wrk -t2 -c$CONNS -d${SECS}s --latency \
				"http://127.0.0.1:$((P + 4))/hello.txt"
			echo "measure net-load/linux-process: $(sed -n 's/^Requests\/sec: *//p' "$T/out")" \
				"requests/s, p99 $(awk '$1 == "99%" { print $2 }' "$T/out")," \
				"max $(awk '$1 == "Latency" { print $4; exit }' "$T/out")"
		fi
		bg_stop
	fi

	if [ -c /dev/net/tun ] && { ip tuntap add dev $TAP mode tap 2>/dev/null ||
		tunctl -t $TAP >/dev/null 2>&1; } &&
		ip addr add 10.0.9.1/24 dev $TAP && ip link set $TAP up; then
		for vhost in off on; do
			if [ $vhost = on ] && [ ! -c /dev/vhost-net ]; then
				skip net-load/vhost "no /dev/vhost-net on this host"
				continue
			fi
			name=net-load/tap && [ $vhost = on ] && name=net-load/vhost
			bg_start "$T/tap.out" "$UKRUN" --verbose -m $MEM --net tap:$TAP,vhost=$vhost \
				--ip 10.0.9.2/24 --gw 10.0.9.1 build/apps/httpd.img
			if bg_wait "$T/tap.out" serving $WAIT; then
				httpd_suite $name 10.0.9.2 80
			else
				fail $name/boot "$(tail -c 400 "$T/tap.out" | tr '\n' '|')"
			fi
			bg_stop
		done
	else
		skip net-load/tap "cannot create a TAP device here (no /dev/net/tun or tun module)"
	fi
fi

# ---- redis: 256 clients ----

R=build/tests/oci/redis.img
# bench NAME PORT: redis-benchmark with $CONNS clients, $REQS SETs and GETs.
bench() {
	run bound $((WAIT * 2)) redis-benchmark -p $2 -c $CONNS -n $REQS -t set,get
	tr '\r' '\n' <"$T/out" >"$T/rb"
	for t in SET GET; do
		sed -n "/^====== $t ======/,/^====== [A-Z]* ======\$/p" "$T/rb" >"$T/rb.$t"
		[ "$1" = net-load/redis ] && check $1/$t-all-$REQS-answered \
			grep -q "^ *$REQS requests completed" "$T/rb.$t"
		echo "measure $1/$t: $(sed -n 's/.*throughput summary: \([0-9.]*\).*/\1/p' "$T/rb.$t")" \
			"requests/s; ms avg min p50 p95 p99 max:" \
			"$(awk '/avg *min *p50/ { getline; print; exit }' "$T/rb.$t")"
	done
}

if [ ! -f $R ]; then
	skip net-load/redis "$R is made by the host suite (tests/e2e/host/oci_images.sh): run it first"
elif need net-load/redis redis-benchmark; then
	bg_start "$T/redis.out" "$UKRUN" --verbose -p $((P + 1)):6379 $R
	if bg_wait "$T/redis.out" 'Ready to accept connections' $WAIT; then
		bench net-load/redis $((P + 1))
	else
		fail net-load/redis/ready "$(tail -c 400 "$T/redis.out" | tr '\n' '|')"
	fi
	bg_stop
	# The same redis-server as a Linux process here (the host suite keeps
	# the image's tools), for the measurement.
	if [ -f build/tests/oci/redis-tools.tar ] && mkdir -p "$T/r" &&
		tar -xf build/tests/oci/redis-tools.tar -C "$T/r" 2>/dev/null; then
		L=$T/r/usr/lib/x86_64-linux-gnu
		bg_start "$T/native.out" "$L/ld-linux-x86-64.so.2" --library-path "$L" \
			"$T/r/usr/bin/redis-server" --port $((P + 5)) --save '' --appendonly no
		bg_wait "$T/native.out" 'Ready to accept connections' 30 &&
			bench net-load/redis-linux-process $((P + 5))
		bg_stop
	fi
fi

# ---- the frames ring to the network helper full: nothing lost ----

# STREAMS connections each take STREAM_MB MiB of net-echo's source (tcp
# 19, the a-z pattern, checked) at once, and the network helper is
# stopped for 1.5 s meanwhile: the guest's frames fill the ring between
# ukrun and the helper (vmm/net_ring.c) and wait in the guest's TX queue
# until the helper makes room again. Every byte arrives, in order; how
# often the ring was full is printed (it depends on timing).
STREAMS=150 STREAM_MB=16
[ -n "$UK_NESTED" ] && STREAMS=100 STREAM_MB=2
bg_start "$T/ring.out" "$UKRUN" --verbose -m 512M -p $((P + 6)):19 "$G/net-echo.img"
if bg_wait "$T/ring.out" '^ready' $WAIT; then
	helper=$(sed -n 's/^ukrun: the network helper: process \([0-9]*\)$/\1/p' "$T/ring.out")
	pids= i=0
	while [ $i -lt $STREAMS ]; do
		i=$((i + 1))
		timeout -k 5 $WAIT "$NT" source 127.0.0.1 $((P + 6)) $STREAM_MB >"$T/ring.$i" 2>&1 &
		pids="$pids $!"
	done
	sleep 1.5
	[ -n "$helper" ] && kill -STOP "$helper" && sleep 1.5 && kill -CONT "$helper"
	wait $pids
	got=$(grep -l "^$((STREAM_MB << 20)) bytes received" "$T"/ring.[0-9]* | wc -l)
	rc=$got
	check net-load/ring-full-every-byte test "$got" -eq $STREAMS
	check net-load/ring-full-helper-stopped test -n "$helper"
else
	fail net-load/ring-full-boot "$(tail -c 400 "$T/ring.out" | tr '\n' '|')"
fi
bg_stop
sed -n 's/^ukrun: user-mode network: .*; \([0-9]*\) times it was full)$/measure net-load\/ring-full: \1 frames waited for room in the ring/p' "$T/ring.out"

# ---- a forwarded port refuses connections until the guest listens ----

# net-echo -d: the guest's network comes up ("up"), then it waits before
# listening on its ports (7 among them; never on 9999).
bg_start "$T/late.out" "$UKRUN" -p $((P + 2)):7 -p $((P + 3)):9999 "$G/net-echo.img" -- -d 8
if bg_wait "$T/late.out" '^up' $WAIT; then
	t0=$(now_ms)
	run bound 10 "$NT" conns 127.0.0.1 $((P + 2)) 1
	check net-load/refused-before-listen out_is "connect: Connection refused"
	echo "measure net-load/refused-before-listen: $(($(now_ms) - t0)) ms"
	run bound 10 "$NT" conns 127.0.0.1 $((P + 3)) 1
	check net-load/refused-port-never-listened out_is "connect: Connection refused"
	if bg_wait "$T/late.out" '^ready' $WAIT; then
		run bound 60 "$NT" conns 127.0.0.1 $((P + 2)) 1
		check net-load/answered-once-listening out_is "1 of 1 answered"
	else
		fail net-load/late-listen "$(tail -c 400 "$T/late.out" | tr '\n' '|')"
	fi
else
	fail net-load/late-boot "$(tail -c 400 "$T/late.out" | tr '\n' '|')"
fi
bg_stop
