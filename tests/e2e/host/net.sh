#!/bin/bash
# Networking under QEMU (no KVM needed): the guest's virtio-net driver,
# lwIP and the socket layer against QEMU's own virtio-net device — over a
# TAP device in a private network namespace, and over QEMU's user-mode
# network (its libslirp: DHCP, DNS, a host port forward).
. tests/e2e/lib.sh
G=build/tests/guest
NT=build/tests/net/nettool
ns=uknet$$
port=$((20000 + $$ % 20000))
qpid=

cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	qpid=
}
trap 'cleanup; ip netns del "$ns" 2>/dev/null; rm -rf "$T"' EXIT

qemu_net() { # OUT NETDEV IMAGE APPEND: start a guest in the background
	local out=$1 netdev=$2 img=$3 append=$4
	shift 4
	timeout 300 "$@" qemu-system-x86_64 -M microvm -cpu max -m 256M -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit \
		-global virtio-mmio.force-legacy=false -netdev "$netdev" \
		-device virtio-net-device,netdev=n0 -kernel "$img" -append "$append" \
		</dev/null >"$out" 2>&1 &
	qpid=$!
}

wait_for() { # FILE PATTERN: up to 60 s
	for _ in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

in_ns() { timeout 120 ip netns exec "$ns" "$@"; } # nothing may hang the suite
# TCP segments the namespace's stack dropped for a bad checksum (offloads).
csum_errors() { ip netns exec "$ns" awk '/^Tcp:/ { if (!h) { split($0, k); h = 1 } else { split($0, v)
	for (i = 2; i <= NF; i++) if (k[i] == "InCsumErrors") print v[i] } }' /proc/net/snmp; }
ctl() { echo "$1" | timeout 30 ip netns exec "$ns" busybox nc -w 10 10.0.0.2 1000; } # net-echo's control port

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip net-qemu/all "qemu-system-x86_64 is not installed"
	exit 0
fi
# The socket API over loopback: no network device at all.
run timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config \
	-nographic -serial stdio -device isa-debug-exit -kernel "$G/net-api.img" </dev/null
check net-qemu/socket-api-loopback sh -c "[ $rc -eq 1 ] && grep -q '^0 failures' $T/out"
grep '^FAIL' "$T/out" | sed 's/^FAIL /FAIL net-qemu\/api\//'

if [ "$(id -u)" != 0 ] || ! ip netns add "$ns" 2>/dev/null; then
	skip net-qemu/tap "cannot create a network namespace (needs root)"
	tap=no
elif ! ip -n "$ns" tuntap add dev tap0 mode tap 2>/dev/null; then
	skip net-qemu/tap "cannot create a TAP device (/dev/net/tun?)"
	tap=no
else
	ip -n "$ns" addr add 10.0.0.1/24 dev tap0
	ip -n "$ns" link set tap0 up
	ip -n "$ns" link set lo up
	tap=yes
fi

# ---- TAP, static address: the test server ----
if [ "$tap" = yes ]; then
	qemu_net "$T/echo.out" tap,id=n0,ifname=tap0,script=no,downscript=no "$G/net-echo.img" \
		"uk.ip=10.0.0.2/24 uk.gw=10.0.0.1" ip netns exec "$ns"
	if ! wait_for "$T/echo.out" '^ready'; then
		fail net-qemu/tap/boot "the guest did not come up: $(tail -c 300 "$T/echo.out" | tr '\n' '|')"
	else
		check net-qemu/tap/static-address grep -q '^ready 10.0.0.2' "$T/echo.out"
		fds0=$(ctl fds)
		run in_ns busybox ping -c 3 -W 5 10.0.0.2
		check net-qemu/tap/icmp-echo out_has "3 packets received"
		run sh -c "echo hello-tcp | timeout 30 ip netns exec $ns busybox nc -w 5 10.0.0.2 7"
		check net-qemu/tap/tcp-echo out_is hello-tcp
		run in_ns "$NT" udp 10.0.0.2 7 hello-udp
		check net-qemu/tap/udp-echo out_is hello-udp
		run in_ns "$NT" conns 10.0.0.2 7 100
		check net-qemu/tap/100-concurrent-connections out_is "100 of 100 answered"
		run in_ns "$NT" echo 10.0.0.2 7 100
		check net-qemu/tap/100MB-echo-checksum out_has "104857600 bytes echoed, checksums match"
		run ctl "connect 10.0.0.1 1"
		check net-qemu/tap/connection-refused out_is ECONNREFUSED
		run in_ns "$NT" sink 10.0.0.2 9 20
		check net-qemu/tap/half-close out_has "counted after a half-close"
		run in_ns "$NT" reset 10.0.0.2 19
		check net-qemu/tap/peer-resets-mid-transfer out_has "reset after"
		run in_ns "$NT" slow 10.0.0.2 19 256
		check net-qemu/tap/slow-reader out_has "pattern intact"
		run in_ns "$NT" source 10.0.0.2 19 20
		check net-qemu/tap/guest-sends-20MB out_has "20971520 bytes received"
		sleep 1 # the reset connection's thread notices and closes
		run ctl fds
		check net-qemu/tap/no-descriptor-leak test "$(cat "$T/out")" = "$fds0"
		run ctl quit
		wait "$qpid"
		rc=$? qpid=
		check net-qemu/tap/guest-exit-status test "$rc" -eq 1
		check net-qemu/tap/no-guest-errors sh -c "! grep -q '^error' $T/echo.out"
	fi
	cleanup

	# ---- DHCP from busybox's udhcpd on the TAP ----
	printf 'start 10.0.0.50\nend 10.0.0.60\ninterface tap0\nlease_file %s\nopt subnet 255.255.255.0\nopt router 10.0.0.1\n' \
		"$T/leases" >"$T/udhcpd.conf"
	touch "$T/leases"
	ip netns exec "$ns" busybox udhcpd -f "$T/udhcpd.conf" >/dev/null 2>&1 &
	dpid=$!
	qemu_net "$T/dhcp.out" tap,id=n0,ifname=tap0,script=no,downscript=no "$G/net-up.img" "-- 0" \
		ip netns exec "$ns"
	wait "$qpid"
	qpid=
	kill "$dpid" 2>/dev/null
	check net-qemu/tap/dhcp grep -q 'address 10\.0\.0\.[56][0-9]' "$T/dhcp.out"

	# ---- the httpd image over TAP ----
	qemu_net "$T/httpd.out" tap,id=n0,ifname=tap0,script=no,downscript=no build/apps/httpd.img \
		"uk.ip=10.0.0.2/24 uk.gw=10.0.0.1" ip netns exec "$ns"
	if wait_for "$T/httpd.out" 'serving'; then
		run in_ns curl -s http://10.0.0.2/
		check net-qemu/httpd/curl-body-exact cmp -s "$T/out" apps/httpd/www/index.html
		run in_ns curl -sI http://10.0.0.2/hello.txt
		check net-qemu/httpd/head out_has "Content-Length: 24"
		run in_ns curl -s -o /dev/null -w '%{http_code}\n' http://10.0.0.2/missing
		check net-qemu/httpd/404 out_is 404
		run in_ns curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' http://10.0.0.2/ \
			http://10.0.0.2/hello.txt
		check net-qemu/httpd/keep-alive sh -c "printf '1\n0\n' | cmp -s - $T/out"
		run in_ns "$NT" http 10.0.0.2 80 100 /hello.txt
		check net-qemu/httpd/100-concurrent out_is "100 of 100 answered 200"
		check net-qemu/tap/no-checksum-errors test "$(csum_errors)" = 0
	else
		fail net-qemu/httpd/boot "httpd did not start: $(tail -c 300 "$T/httpd.out" | tr '\n' '|')"
	fi
	cleanup
fi

# ---- user-mode networking: DHCP, a host port forward, DNS ----
qemu_net "$T/user.out" "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80" build/apps/httpd.img ""
if wait_for "$T/user.out" 'serving'; then
	run curl -s --max-time 60 "http://127.0.0.1:$port/"
	check net-qemu/user/dhcp-and-hostfwd cmp -s "$T/out" apps/httpd/www/index.html
else
	fail net-qemu/user/boot "httpd did not start: $(tail -c 300 "$T/user.out" | tr '\n' '|')"
fi
cleanup

name=deb.debian.org
getent ahostsv4 "$name" 2>/dev/null | awk '{print $1}' | sort -u >"$T/want"
if [ ! -s "$T/want" ]; then
	skip net-qemu/user/dns "this host cannot resolve $name, so slirp cannot either"
else
	qemu_net "$T/dns.out" "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:1000" "$G/net-echo.img" ""
	if wait_for "$T/dns.out" '^ready'; then
		run sh -c "echo 'resolve $name' | timeout 60 busybox nc -w 20 127.0.0.1 $port"
		check net-qemu/user/dns-through-slirp grep -qxFf "$T/out" "$T/want"
	else
		fail net-qemu/user/dns "the guest did not come up"
	fi
	cleanup
fi
