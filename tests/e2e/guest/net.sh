#!/bin/sh
# Networking: the guest's virtio-net driver, lwIP and the socket layer
# against ukrun's device, and against QEMU's own (no KVM needed): the
# socket API over loopback; a TAP device (static address and DHCP) with
# the test server (net-echo) and the httpd image; user-mode networking
# (libslirp in both: DHCP, port forwards, DNS). Under ukrun also what only
# ukrun has: its counts (--verbose: exits, merged and segmented frames),
# vhost-net when the kernel offers it, a busy TAP and bad options refused,
# the user network's MTU, its network helper process, the host's loopback
# closed by default. POSIX sh: this runs under busybox in the nested KVM
# host too. Here and there it runs in a network namespace of its own
# (own_netns), so its TAP device, 10.0.0.0/24 and ports meet no other
# run's.
. tests/e2e/lib.sh
own_netns "$0" "$@"
runner_ready net || exit 0
G=build/tests/guest
NT=build/tests/net/nettool
TAP=uktap0
N=net-$UK_ON
# Debian's netcat-openbsd sends its FIN at the end of stdin only with -N
# (else an echo waits out -w); busybox's does by itself and has no -N.
NC_FIN=
nc -h 2>&1 | grep -q '^[[:space:]]*-N[[:space:]]' && NC_FIN=-N
nc_line() { echo "$1" | bound 60 nc $NC_FIN -w 10 "$2" "$3"; } # LINE ADDR PORT
ctl() { nc_line "$1" "$2" "${3:-1000}"; } # the guest's control service
t() { bound 300 "$@"; } # nothing may hang the suite
# Frames ukrun spread over several of the guest's receive buffers (--verbose).
merged() { sed -n 's/.*; \([0-9]*\) over several buffers.*/\1/p' "$1"; }
# Frames the guest sent for the host to cut into segments (--verbose).
segmented() { sed -n 's/.*, \([0-9]*\) to be segmented).*/\1/p' "$1"; }
# TCP segments this host's stack dropped for a bad checksum (offloads).
csum_errors() { awk '/^Tcp:/ { if (!h) { split($0, k); h = 1 } else { split($0, v)
	for (i = 2; i <= NF; i++) if (k[i] == "InCsumErrors") print v[i] } }' /proc/net/snmp; }
# guest_end: the background guest's end (after "quit"), its status in $rc
# (QEMU's isa-debug-exit status turned into the guest's).
guest_end() {
	wait "$bgpid"
	rc=$? bgpid=
	on_ukrun || rc=$(((rc - 1) / 2))
}
# The servers' memory under QEMU (ukrun's is the image's own).
M="-M 256M"

trap 'bg_stop; ip link del $TAP 2>/dev/null; rm -rf "$T"' EXIT

if [ ! -x "$NT" ]; then
	skip $N/all "$NT is missing (make builds it)"
	exit 0
fi

# The socket API over loopback, no device.
guest "$G/net-api.img"
check $N/socket-api-loopback sh -c "[ $rc -eq 0 ] && grep -q '^0 failures' $T/out"
grep '^FAIL' "$T/out" | sed "s#^FAIL #FAIL $N/api/#"

# Names and addresses of both families (link mode's getaddrinfo, inet_pton,
# inet_ntop, getnameinfo) and a dual-stack server found through them; the
# same program with glibc on this host passes the same checks.
guest "$G/names6.img"
check $N/names6-suite out_has '^names6: [0-9]* checks, 0 failed'
grep '^FAIL' "$T/out" | head -5
L=build/tests/names6-linux/names6
if on_ukrun && [ -x "$L" ]; then
	run "$L"
	check net-ukrun/names6-glibc-agrees out_has '^names6: [0-9]* checks, 0 failed'
	grep '^FAIL' "$T/out" | head -5
fi

# ---- TAP ----
tap_up() { # false with the reason in $tap_why
	tap_why="no /dev/net/tun here (modprobe tun)"
	[ -c /dev/net/tun ] || return 1
	tap_why="cannot create TAP device $TAP: $(ip tuntap add dev $TAP mode tap 2>&1 ||
		tunctl -t $TAP 2>&1 >/dev/null)" || return 1
	tap_why="cannot configure $TAP: $(ip addr add 10.0.0.1/24 dev $TAP 2>&1 &&
		ip link set $TAP up 2>&1 && ip link set lo up 2>&1)" || return 1
}

echo_suite() { # PREFIX: the net-echo checks against 10.0.0.2
	p=$1
	fds0=$(ctl fds 10.0.0.2)
	if need $p/icmp-echo ping; then
		run t ping -c 3 -W 5 10.0.0.2
		# ("3 received" from iputils, "3 packets received" from busybox)
		check $p/icmp-echo out_has ' 3 [a-z ]*received'
	fi
	run nc_line hello-tcp 10.0.0.2 7
	check $p/tcp-echo out_is hello-tcp
	run t "$NT" udp 10.0.0.2 7 hello-udp
	check $p/udp-echo out_is hello-udp
	run t "$NT" conns 10.0.0.2 7 100
	check $p/100-concurrent-connections out_is "100 of 100 answered"
	run t "$NT" echo 10.0.0.2 7 100
	check $p/100MB-echo-checksum out_has "104857600 bytes echoed, checksums match"
	run ctl "connect 10.0.0.1 1" 10.0.0.2
	check $p/connection-refused out_is ECONNREFUSED
	run t "$NT" sink 10.0.0.2 9 20
	check $p/half-close out_has "counted after a half-close"
	run t "$NT" reset 10.0.0.2 19
	check $p/peer-resets-mid-transfer out_has "reset after"
	run t "$NT" slow 10.0.0.2 19 256
	check $p/slow-reader out_has "pattern intact"
	run t "$NT" source 10.0.0.2 19 20
	check $p/guest-sends-20MB out_has "20971520 bytes received"
	# 1 MiB written and closed at once, whole; and the next connection
	# from the same port while the guest holds the last in TIME-WAIT
	run t "$NT" reconnect 10.0.0.2 19 3 1
	check $p/reconnect-after-time-wait out_has "got all"
	sleep 1 # the reset connection's thread notices and closes
	run ctl fds 10.0.0.2
	check $p/no-descriptor-leak test "$(cat "$T/out")" = "$fds0"
}

if ! need $N/tap nc; then
	: # nc is the TAP checks' control channel to the guest
elif ! tap_up; then
	skip $N/tap "$tap_why"
else
	guest_bg "$T/tap.out" $M -u --verbose --net tap:$TAP,vhost=off --ip 10.0.0.2/24 --gw 10.0.0.1 \
		"$G/net-echo.img"
	if bg_wait "$T/tap.out" '^ready 10.0.0.2'; then
		check $N/tap/static-address grep -q '^ready 10.0.0.2' "$T/tap.out"
		echo_suite $N/tap
		# The guest's answer, larger than the MTU, leaves in fragments
		# (with TSO the interface takes 64 KiB packets: the driver cuts
		# those that are not TCP).
		if need $N/tap/icmp-echo-fragmented ping; then
			run t ping -c 2 -W 5 -s 4000 10.0.0.2
			check $N/tap/icmp-echo-fragmented out_has ' 2 [a-z ]*received'
		fi
		if on_ukrun; then
			run "$UKRUN" --net tap:$TAP "$G/net-up.img"
			check net-ukrun/tap/busy-tap-refused err_has "busy"
			check net-ukrun/tap/busy-tap-clean-error clean_error
		fi
		run ctl mss 10.0.0.2
		check $N/tap/ethernet-segments out_is 1460
		run ctl quit 10.0.0.2
		guest_end
		check $N/tap/guest-exit-status test $rc -eq 0
		check $N/tap/no-guest-errors sh -c "! grep -q '^error' $T/tap.out"
		if on_ukrun; then
			# The data path runs on irqfd/ioeventfd: 100+ MB moved above,
			# yet only set-up exits reached ukrun.
			exits=$(sed -n 's/.*exits to ukrun: \([0-9]*\).*/\1/p' "$T/tap.out")
			check net-ukrun/tap/no-exits-on-the-data-path test "${exits:-99999}" -lt 500
			# The host's TCP to the guest came coalesced (GUEST_TSO4), frames
			# of up to 64 KiB over several of the guest's receive buffers.
			check net-ukrun/tap/coalesced-frames test "$(merged "$T/tap.out")" -gt 0
			# And the guest's TCP left in segments of up to 64 KiB for the
			# host to cut (HOST_TSO4), each 1460 bytes on the wire
			# (ethernet-segments above; the 100 MB echo's checksums).
			check net-ukrun/tap/segmentation-offload test "$(segmented "$T/tap.out")" -gt 0
		fi
	else
		fail $N/tap/boot "$(tail -c 400 "$T/tap.out" | tr '\n' '|')"
	fi
	bg_stop

	# ---- the httpd image over TAP ----
	guest_bg "$T/httpd.out" $M --net tap:$TAP --ip 10.0.0.2/24 --gw 10.0.0.1 build/apps/httpd.img
	if bg_wait "$T/httpd.out" serving; then
		if need $N/tap/httpd-curl curl; then
			run t curl -s http://10.0.0.2/
			check $N/tap/httpd-curl-body-exact cmp -s "$T/out" apps/httpd/www/index.html
			run t curl -sI http://10.0.0.2/hello.txt
			check $N/tap/httpd-head out_has "Content-Length: 24"
			run t curl -s -o /dev/null -w '%{http_code}\n' http://10.0.0.2/missing
			check $N/tap/httpd-404 out_is 404
			run t curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' http://10.0.0.2/ \
				http://10.0.0.2/hello.txt
			check $N/tap/httpd-keep-alive sh -c "printf '1\n0\n' | cmp -s - $T/out"
		fi
		run t "$NT" http 10.0.0.2 80 100 /hello.txt
		check $N/tap/httpd-100-concurrent out_is "100 of 100 answered 200"
		check $N/tap/no-checksum-errors test "$(csum_errors)" = 0
	else
		fail $N/tap/httpd "$(tail -c 400 "$T/httpd.out" | tr '\n' '|')"
	fi
	bg_stop

	# ---- DHCP from busybox's udhcpd on the TAP ----
	printf 'start 10.0.0.50\nend 10.0.0.60\ninterface %s\nlease_file %s\nopt subnet 255.255.255.0\nopt router 10.0.0.1\n' \
		$TAP "$T/leases" >"$T/udhcpd.conf"
	touch "$T/leases"
	dhcpd=udhcpd
	have udhcpd || dhcpd="busybox udhcpd" # Debian's busybox-static; no link
	timeout -k 5 300 $dhcpd -f "$T/udhcpd.conf" >/dev/null 2>&1 &
	dpid=$!
	guest_bg "$T/dhcp.out" $M -u "--timeout 120" --net tap:$TAP "$G/net-up.img"
	wait "$bgpid"
	bgpid=
	kill $dpid 2>/dev/null
	check $N/tap/dhcp sh -c "grep -Eq 'address 10\.0\.0\.(5[0-9]|60)' $T/dhcp.out || { cat $T/dhcp.out; false; }"

	if ! on_ukrun; then
		:
	elif [ -c /dev/vhost-net ]; then
		bg_start "$T/vhost.out" "$UKRUN" --verbose --net tap:$TAP,vhost=on --ip 10.0.0.2/24 "$G/net-echo.img"
		if bg_wait "$T/vhost.out" '^ready'; then
			run nc_line hello-vhost 10.0.0.2 7
			check net-ukrun/vhost/tcp-echo out_is hello-vhost
			run t "$NT" echo 10.0.0.2 7 20
			check net-ukrun/vhost/20MB-echo-checksum out_has "checksums match"
		else
			fail net-ukrun/vhost/boot "$(tail -c 400 "$T/vhost.out" | tr '\n' '|')"
		fi
		bg_stop
	else
		skip net-ukrun/vhost "no /dev/vhost-net on this host (its kernel has no vhost_net module loaded or built in)"
	fi
	if on_ukrun; then
		run "$UKRUN" --net tap:$TAP,vhost=bogus "$G/net-up.img"
		check net-ukrun/tap/bad-option clean_error
	fi
fi

# ---- user-mode networking ----
if need $N/user curl; then
	guest_bg "$T/user.out" $M --net user,hostfwd=tcp:127.0.0.1:18080-:80 build/apps/httpd.img
	if bg_wait "$T/user.out" serving; then
		run t curl -s http://127.0.0.1:18080/
		check $N/user/dhcp-and-hostfwd cmp -s "$T/out" apps/httpd/www/index.html
	else
		fail $N/user/boot "$(tail -c 400 "$T/user.out" | tr '\n' '|')"
	fi
	bg_stop

	if on_ukrun; then
		bg_start "$T/publish.out" "$UKRUN" -p 18081:80 build/apps/httpd.img
		if bg_wait "$T/publish.out" serving; then
			run t curl -s http://127.0.0.1:18081/hello.txt
			check net-ukrun/user/publish-flag out_is "hello from a uk microVM"
		else
			fail net-ukrun/user/publish "$(tail -c 400 "$T/publish.out" | tr '\n' '|')"
		fi
		bg_stop
	fi

	# Through libslirp: every byte of 1 MiB that the guest writes just
	# before close(); the guest sees the host client's port, so the next
	# connection from it meets the last one in TIME-WAIT there. Clients
	# that connect and reset before saying anything: the reset reaches
	# the guest, whose threads reading from them end (no descriptor kept).
	guest_bg "$T/fwd.out" $M -p 18083:19 -p 18084:1000 "$G/net-echo.img"
	if bg_wait "$T/fwd.out" '^ready'; then
		run t "$NT" reconnect 127.0.0.1 18083 3 1
		check $N/user/reconnect-after-time-wait out_has "got all"
		fds0=$(ctl fds 127.0.0.1 18084)
		run t "$NT" vanish 127.0.0.1 18084 20
		i=0
		while [ $i -lt 50 ] && [ "$(ctl fds 127.0.0.1 18084)" != "$fds0" ]; do
			sleep 0.2
			i=$((i + 1))
		done
		check $N/user/reset-before-request-ends-reader test "$(ctl fds 127.0.0.1 18084)" = "$fds0"
	else
		fail $N/user/forward "$(tail -c 400 "$T/fwd.out" | tr '\n' '|')"
	fi
	bg_stop

	# A signal every 100 us while the first socket call waits for DHCP
	# (Go's runtime preempts its threads with SIGURG so): the wait goes on
	# until the address is there.
	guest -t 60 --net user "$G/net-up.img" 0 signals
	check $N/user/address-despite-signals out_has "net up: 0, address 10.0.2.15"
fi

# DNS: slirp forwards the guest's queries to this host's resolver; give
# it one that knows a test name: an /etc/resolv.conf where there is none
# (the nested host), else one bound over it in this script's own mount
# namespace.
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
resolver=
if [ ! -s /etc/resolv.conf ] && mkdir -p /etc 2>/dev/null && [ -w /etc ]; then
	cp "$T/resolv.conf" /etc/resolv.conf && resolver=written
elif [ -n "${UK_OWN_NETNS:-}" ] && mount --bind "$T/resolv.conf" /etc/resolv.conf 2>/dev/null; then
	resolver=bound
fi
if [ -z "$resolver" ]; then
	skip $N/user/dns "this host has a resolver of its own and no private mount namespace to replace it in"
elif need $N/user/dns nc; then
	timeout -k 5 300 "$NT" dnsd 53 uk-test.example 10.9.8.7,fd00:9:8::7 &
	dnspid=$!
	guest_bg "$T/dns.out" $M --net user,hostfwd=tcp:127.0.0.1:18082-:1000 "$G/net-echo.img"
	if bg_wait "$T/dns.out" '^ready'; then
		run ctl "resolve uk-test.example" 127.0.0.1 18082
		check $N/user/dns-through-slirp out_is 10.9.8.7
		run ctl "resolve6 uk-test.example" 127.0.0.1 18082
		check $N/user/dns-aaaa-through-slirp out_is fd00:9:8::7
		run ctl "resolve no-such.example" 127.0.0.1 18082
		check $N/user/dns-no-such-name out_has "error"
	else
		fail $N/user/dns "$(tail -c 400 "$T/dns.out" | tr '\n' '|')"
	fi
	bg_stop
	kill $dnspid
fi
[ "$resolver" = written ] && rm -f /etc/resolv.conf

# The guest's own host name resolves with no DNS server, as in a docker
# container: /etc/hosts names it from boot (127.0.1.1) and with the
# guest's address once the network comes up (python's http.server looks
# its name up at start, and waited out the resolver's 10 s where the
# host's DNS did not answer; proc.sh checks the name before the network).
if need $N/user/own-name nc; then
	guest_bg "$T/own.out" $M --net user,hostfwd=tcp:127.0.0.1:18082-:1000 "$G/net-echo.img"
	if bg_wait "$T/own.out" '^ready'; then
		run ctl "resolve uk" 127.0.0.1 18082
		check $N/user/own-name-in-etc-hosts out_is 10.0.2.15
	else
		fail $N/user/own-name "$(tail -c 400 "$T/own.out" | tr '\n' '|')"
	fi
	bg_stop
fi
on_ukrun || exit 0

# ---- what only ukrun has ----
if need net-ukrun/user curl; then
	# A client that connects the moment the guest says "ready" finds the
	# forward open: the guest's listen() returns once ukrun's network
	# helper listens on the host port. Each round restarts the VM into the
	# same output file, and connects once, without trying again. (Such
	# connections were once refused about one run in 20: bg_start left
	# the truncation of its output file to the background shell, and
	# bg_wait found the run before's "ready" there; the first check holds
	# the harness to that, the second the whole path.)
	n=0 stale=0
	while [ $n -lt 300 ]; do
		echo ready >"$T/bg.out"
		bg_start "$T/bg.out" true
		line=
		read -r line <"$T/bg.out"
		[ "$line" != ready ] || stale=$((stale + 1))
		wait "$bgpid"
		bgpid= n=$((n + 1))
	done
	check net-ukrun/harness/bg-start-empties-its-output test $stale = 0
	n=0 refused=0 # (bg_wait counts in i)
	while [ $n -lt 10 ]; do
		bg_start "$T/rounds.out" "$UKRUN" -p 18083:7 -p 18084:1000 "$G/net-echo.img"
		if bg_wait "$T/rounds.out" '^ready'; then
			[ -n "$(ctl fds 127.0.0.1 18084)" ] || refused=$((refused + 1))
		else
			refused=$((refused + 1))
		fi
		bg_stop
		n=$((n + 1))
	done
	check net-ukrun/user/connect-right-after-ready-10-rounds test $refused = 0

	# The user network's MTU is 65520 (virtio_net.h): the guest's TCP
	# segments are 16 KiB there (lwipopts.h), and ukrun spreads a frame
	# over several of the guest's page-sized receive buffers (MRG_RXBUF);
	# mtu=1500 makes it Ethernet again.
	for mtu in 65520 1500; do
		bg_start "$T/mtu.out" "$UKRUN" --verbose --net user,mtu=$mtu -p 18083:7 -p 18084:1000 \
			"$G/net-echo.img"
		if ! bg_wait "$T/mtu.out" '^ready'; then
			fail net-ukrun/user/mtu-$mtu "$(tail -c 400 "$T/mtu.out" | tr '\n' '|')"
			bg_stop
			continue
		fi
		run ctl mss 127.0.0.1 18084
		check net-ukrun/user/mtu-$mtu/segment-size out_is "$([ $mtu = 1500 ] && echo 1460 || echo 16384)"
		run t "$NT" echo 127.0.0.1 18083 1
		check net-ukrun/user/mtu-$mtu/1MB-echo-checksum out_has "1048576 bytes echoed, checksums match"
		run ctl quit 127.0.0.1 18084
		wait "$bgpid"
		rc=$? bgpid=
		check net-ukrun/user/mtu-$mtu/guest-exit-status test $rc -eq 0
		if [ $mtu = 1500 ]; then
			check net-ukrun/user/mtu-1500/one-buffer-a-frame test "$(merged "$T/mtu.out")" = 0
		else
			check net-ukrun/user/mtu-65520/frames-over-several-buffers \
				test "$(merged "$T/mtu.out")" -gt 0
		fi
	done
	run "$UKRUN" --net user,mtu=65521 "$G/net-up.img"
	check net-ukrun/user/mtu-too-large clean_error

	# libslirp runs in the network helper, a process of its own: killed
	# as a crash there would kill it (SIGSEGV), it takes the VM down with
	# it at once, status 125 and a line naming it, but not ukrun itself.
	# (ukrun's own pid is needed, so no bg_start; --timeout bounds it.)
	"$UKRUN" --timeout 120 --verbose -p 18085:1000 "$G/net-echo.img" </dev/null \
		>"$T/kill.out" 2>"$T/kill.err" &
	kpid=$!
	pid_wait "$kpid" "$T/kill.out" '^ready'
	helper=$(grep -l "^PPid:[[:space:]]*$kpid\$" /proc/[0-9]*/status 2>/dev/null |
		xargs grep -l '^Name:[[:space:]]*ukrun-net$' 2>/dev/null | sed 's|/proc/\([0-9]*\)/status|\1|')
	check net-ukrun/user/helper-is-a-child-process test -n "$helper"
	check net-ukrun/user/verbose-names-the-helper grep -q "^ukrun: the network helper: process ${helper:-x}\$" "$T/kill.err"
	[ -n "$helper" ] && kill -SEGV "$helper"
	wait $kpid
	rc=$?
	check net-ukrun/user/helper-killed-status test $rc -eq 125
	check net-ukrun/user/helper-killed-named grep -q "^ukrun: the network helper (process ${helper:-x}) was killed by signal 11 (SIGSEGV); the VM stops\$" "$T/kill.err"
	check net-ukrun/user/helper-killed-ukrun-unhurt sh -c "! grep -qi -e 'segmentation' -e 'blocked system call' '$T/kill.err'"
fi

# The host's loopback: a service on this host's 127.0.0.1 (in the script's
# own namespace) is out of the guest's reach through 10.0.2.2 unless
# host-loopback=on; the -p forwards to the guest work either way, a UDP
# one's answers too. (QEMU's slirp lets the guest reach it always.)
if need net-ukrun/user/host-loopback nc; then
	timeout -k 5 300 "$NT" listen 18093 >"$T/lo.out" 2>&1 &
	lopid=$!
	bg_start "$T/lo-closed.out" "$UKRUN" --verbose -p 18083:1000 -p 18085:7/udp "$G/net-echo.img"
	if bg_wait "$T/lo-closed.out" '^ready'; then
		run ctl "connect 10.0.2.2 18093" 127.0.0.1 18083
		check net-ukrun/user/host-loopback-closed-by-default sh -c \
			"grep -Eq '^(ENETUNREACH|EHOSTUNREACH|ECONNREFUSED)\$' $T/out"
		check net-ukrun/user/host-loopback-closed-nothing-accepted sh -c "! grep -q accepted $T/lo.out"
		run ctl fds 127.0.0.1 18083
		check net-ukrun/user/host-loopback-closed-forward-works out_has '^[0-9]'
		# A UDP forward answers its loopback client (the answer goes to
		# 10.0.2.2, which is closed for everything else: net_udpfwd.c),
		# but the guest's datagram to a loopback port that never wrote
		# to it is not delivered.
		# (three clients: after an answer libslirp shows the next
		# client as itself, 127.0.0.1, which the guest must not see)
		run sh -c "for i in 1 2 3; do timeout -k 5 20 $NT udp 127.0.0.1 18085 hello-\$i; done"
		check net-ukrun/user/host-loopback-closed-udp-forward-answers \
			test "$(tr '\n' ' ' <"$T/out")" = "hello-1 hello-2 hello-3 "
		run ctl "udpto 10.0.2.2 18093 leak" 127.0.0.1 18083
		check net-ukrun/user/host-loopback-closed-udp-sent out_is OK
		run ctl fds 127.0.0.1 18083 # (a round trip after it)
		check net-ukrun/user/host-loopback-closed-udp-not-delivered sh -c "! grep -q datagram $T/lo.out"
	else
		fail net-ukrun/user/host-loopback-closed "$(tail -c 400 "$T/lo-closed.out" | tr '\n' '|')"
	fi
	bg_stop
	bg_start "$T/lo-open.out" "$UKRUN" --net user,host-loopback=on,hostfwd=tcp:127.0.0.1:18083-:1000 \
		"$G/net-echo.img"
	if bg_wait "$T/lo-open.out" '^ready'; then
		run ctl "connect 10.0.2.2 18093" 127.0.0.1 18083
		check net-ukrun/user/host-loopback-on-reaches-it out_is OK
		# (the guest's connect is done at the SYN-ACK, maybe before the
		# listener's accept() returned and it said so)
		i=0
		while [ $i -lt 20 ] && ! grep -q accepted "$T/lo.out"; do
			sleep 0.1
			i=$((i + 1))
		done
		check net-ukrun/user/host-loopback-on-accepted grep -q accepted "$T/lo.out"
		run ctl "udpto 10.0.2.2 18093 open" 127.0.0.1 18083
		i=0
		while [ $i -lt 20 ] && ! grep -q 'datagram open' "$T/lo.out"; do
			sleep 0.1
			i=$((i + 1))
		done
		check net-ukrun/user/host-loopback-on-udp-delivered grep -q 'datagram open' "$T/lo.out"
	else
		fail net-ukrun/user/host-loopback-on "$(tail -c 400 "$T/lo-open.out" | tr '\n' '|')"
	fi
	bg_stop
	kill $lopid 2>/dev/null
fi

run "$UKRUN" --net user,hostfwd=tcp:nope "$G/net-up.img"
check net-ukrun/user/bad-hostfwd clean_error
run "$UKRUN" --ip 10.0.0.2/24 "$G/net-up.img"
check net-ukrun/ip-without-net clean_error
