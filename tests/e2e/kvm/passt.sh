#!/bin/sh
# --net passt (vmm/net_passt.c): the user network through Debian's passt,
# a program of its own, instead of libslirp. The guest gets 10.0.2.15 by
# passt's DHCP; -p forwards TCP and UDP to it (an echo both ways, the
# segment size of the 65520-byte MTU); DNS reaches this host's resolver
# (passt offers the gateway for one on the host's loopback); the gateway,
# the host's loopback to passt, is closed unless host-loopback=on; passt
# runs with --user's ids, is ukrun's child, and when it dies the VM stops
# (125) naming it; a port already taken, no interface with a default route
# and no passt at all are clear errors.
# passt wants an interface with a default route to copy: the script runs
# in a network namespace of its own with a veth pair and such a route.
# POSIX sh (the nested host has busybox; passt is not there: a skip).
. tests/e2e/lib.sh
own_netns "$0" "$@"
native_check passt
G=build/tests/guest
NT=build/tests/net/nettool
NC_FIN=
nc -h 2>&1 | grep -q '^[[:space:]]*-N[[:space:]]' && NC_FIN=-N
ctl() { echo "$1" | bound 60 nc $NC_FIN -w 10 127.0.0.1 "$2"; } # LINE PORT
trap 'bg_stop; [ -n "${kpid:-}" ] && kill -9 $kpid 2>/dev/null; [ -n "${dnspid:-}" ] && kill $dnspid 2>/dev/null; [ -n "${hold:-}" ] && kill $hold 2>/dev/null; rm -rf "$T"' EXIT

need passt/all passt nc || exit 0
if [ -z "${UK_OWN_NETNS:-}" ]; then
	skip passt/all "no network namespace of its own here (root and unshare are needed)"
	exit 0
fi
# No interface with a default route yet (a bare namespace): passt cannot
# start, and ukrun says so before the guest runs.
if ! ip route | grep -q '^default'; then
	run "$UKRUN" --timeout 60 --net passt "$G/net-up.img" 0
	check passt/no-default-route-refused test $rc -ne 0
	check passt/no-default-route-says-why err_has "passt ended before it was ready"
	check passt/no-default-route-guest-never-ran sh -c "! grep -q 'net up' '$T/out'"
fi
if ! { ip link add ukp0 type veth peer name ukp1 && ip link set ukp1 up &&
	ip addr add 192.0.2.2/24 dev ukp0 && ip link set ukp0 up &&
	ip route add default via 192.0.2.1 dev ukp0; } 2>/dev/null; then
	skip passt/all "no veth pair in this namespace (passt needs an interface with a default route)"
	exit 0
fi

# The address and the route: DHCP from passt.
run "$UKRUN" --timeout 120 --net passt "$G/net-up.img" 0
check passt/dhcp-address out_has "net up: 0, address 10.0.2.15"

# -p TCP and UDP, and DNS through passt to this host's resolver (one of
# the script's own mount namespace, answering a test name).
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
dnspid=
if [ -x "$NT" ] && mount --bind "$T/resolv.conf" /etc/resolv.conf 2>/dev/null; then
	timeout -k 5 300 "$NT" dnsd 53 uk-test.example 10.9.8.7 &
	dnspid=$!
fi
bg_start "$T/fwd.out" "$UKRUN" --verbose --net passt -p 18090:7 -p 18091:1000 -p 18092:7/udp \
	"$G/net-echo.img"
if bg_wait "$T/fwd.out" '^ready'; then
	check passt/guest-address grep -q '^ready 10.0.2.15' "$T/fwd.out"
	run sh -c "echo hello through passt | timeout -k 5 60 nc $NC_FIN -w 10 127.0.0.1 18090"
	check passt/tcp-forward-echo out_is "hello through passt"
	run sh -c "echo datagram | timeout -k 5 20 nc -u -w 2 127.0.0.1 18092"
	check passt/udp-forward-echo out_has "^datagram"
	run ctl mss 18091
	check passt/segment-size-of-the-mtu out_is 16384
	if [ -n "$dnspid" ]; then
		run ctl "resolve uk-test.example" 18091
		check passt/dns-forwarded out_is 10.9.8.7
	else
		skip passt/dns-forwarded "no test resolver here ($NT, or /etc/resolv.conf cannot be bound over)"
	fi
	run ctl quit 18091
	i=0
	while [ $i -lt 100 ] && kill -0 "$bgpid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	check passt/verbose-counts-frames grep -q '^ukrun: passt network: [1-9][0-9]* frames to passt' "$T/fwd.out"
else
	fail passt/forward "$(tail -c 400 "$T/fwd.out" | tr '\n' '|')"
fi
bg_stop
[ -n "$dnspid" ] && kill $dnspid 2>/dev/null
dnspid=

# The gateway is the host's loopback with passt: closed unless
# host-loopback=on (the guest's SYN is answered with a reset by ukrun),
# open with it.
if [ -x "$NT" ]; then
	timeout -k 5 300 "$NT" listen 18096 >"$T/lo.out" 2>&1 &
	lopid=$!
	for lo in off on; do
		bg_start "$T/lo-$lo.out" "$UKRUN" --net passt,host-loopback=$lo -p 18095:1000 "$G/net-echo.img"
		if bg_wait "$T/lo-$lo.out" '^ready'; then
			run ctl "connect 10.0.2.2 18096" 18095
			if [ $lo = off ]; then
				check passt/host-loopback-off-refused out_is ECONNREFUSED
				check passt/host-loopback-off-nothing-accepted sh -c "! grep -q accepted $T/lo.out"
			else
				check passt/host-loopback-on-reaches-it out_is OK
			fi
		else
			fail passt/host-loopback-$lo "$(tail -c 400 "$T/lo-$lo.out" | tr '\n' '|')"
		fi
		bg_stop
	done
	kill $lopid 2>/dev/null
else
	skip passt/host-loopback "$NT is missing (make builds it)"
fi

# passt dies: the VM stops at once, 125, and the line names it. (With
# --user: passt runs with its ids, so that the jailed ukrun may stop it.)
"$UKRUN" --timeout 120 --verbose --user 65534:65534 --net passt -p 18093:1000 "$G/net-echo.img" </dev/null \
	>"$T/kill.out" 2>"$T/kill.err" &
kpid=$!
pid_wait "$kpid" "$T/kill.out" '^ready'
passt=$(sed -n 's/^ukrun: passt (--net passt): process \([0-9]*\)$/\1/p' "$T/kill.err")
check passt/is-a-child-process grep -q "^PPid:[[:space:]]*$kpid\$" /proc/${passt:-x}/status
check passt/runs-as-the-user grep -q "^Uid:[[:space:]]*65534[[:space:]]" /proc/${passt:-x}/status
[ -n "$passt" ] && kill -KILL "$passt"
wait $kpid
rc=$?
kpid=
check passt/killed-status test $rc -eq 125
check passt/killed-named grep -q "^ukrun: passt (--net passt) (process ${passt:-x}) was killed by signal 9 (SIGKILL); the VM stops\$" "$T/kill.err"

# A port already taken: passt says so, ukrun stops before the guest runs.
timeout -k 5 60 nc -l 127.0.0.1 18094 >/dev/null 2>&1 &
hold=$!
sleep 0.3
run "$UKRUN" --timeout 60 --net passt -p 18094:7 "$G/net-up.img" 0
check passt/port-taken-status test $rc -eq 125 -o $rc -eq 1
check passt/port-taken-says-which err_has "Failed to bind any port for '-t 127.0.0.1/18094:7'"
check passt/port-taken-ukrun-says-why err_has "passt ended before it was ready"
check passt/port-taken-guest-never-ran sh -c "! grep -q 'net up' '$T/out'"
kill $hold 2>/dev/null
hold=

# No passt: a clear error naming the package.
run env PATH=/nonexistent "$UKRUN" --net passt "$G/net-up.img" 0
check passt/missing-is-named err_has "no passt in PATH"
check passt/missing-status test $rc -ne 0

# A passt that sends frames but never answers the ready probe (its ARP
# request): ukrun gives up after its 30 s, however many frames come (more
# than one a millisecond: each of set-up's polls has one to read).
if have python3; then
	mkdir -p "$T/fake"
	cat >"$T/fake/passt" <<'EOF'
#!/usr/bin/env python3
# 14-byte frames on the stream (fd 3), 5000 a second, and no answer
import os, time
while True:
    os.write(3, b"\0\0\0\x0e" + b" " * 14)
    time.sleep(0.0002)
EOF
	chmod +x "$T/fake/passt"
	run bound 60 env PATH="$T/fake:$PATH" "$UKRUN" --timeout 120 --net passt "$G/net-up.img" 0
	check passt/chatty-no-answer-stops test $rc -ne 0 -a $rc -ne 124
	check passt/chatty-no-answer-says err_has "passt did not answer in 30 s"
	check passt/chatty-no-answer-guest-never-ran sh -c "! grep -q 'net up' '$T/out'"
else
	skip passt/chatty-no-answer "python3 is not installed on this host (ci/deps.sh installs it)"
fi
