#!/bin/sh
# IPv6 beyond the VM, as a Linux program (tests/linux/ipv6.c, glibc,
# binary mode) sees it on the user network: its address by SLAAC from the
# network's router advertisements, listed in /proc/net/if_inet6;
# getaddrinfo's AAAA answers from /etc/hosts; a connection to a server on
# the host's ::1 through fec0::2 (ukrun: only with host-loopback=on, else
# "network unreachable" at once, from libslirp's ICMPv6 error); with no
# network, "network unreachable" at once too (not a 20 s timeout). Under
# ukrun also -p [::1]:PORT:GUESTPORT: curl -6 from the host reaches the
# guest's server on [::] (beside -p PORT:GUESTPORT over IPv4), and a
# -p with a bad IPv6 address refused. QEMU's user network has IPv6 too
# (fec0::/64, its fec0::2 is the host's loopback). Skips where the host
# has no IPv6 loopback. POSIX sh.
. tests/e2e/lib.sh
own_netns "$0" "$@"
runner_ready ipv6 || exit 0
IMG=build/tests/guest/ipv6-static.img
NT=build/tests/net/nettool
N=ipv6-$UK_ON
P=18461 # the host's server on ::1; P+1 the guest's published port

trap 'bg_stop; [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null; rm -rf "$T"' EXIT

if [ ! -f "$IMG" ] || [ ! -x "$NT" ]; then
	skip $N/all "$IMG or $NT is missing (make builds them)"
	exit 0
fi
if ! grep -q '^0*1 ' /proc/net/if_inet6 2>/dev/null; then
	skip $N/all "this host has no IPv6 loopback (::1): IPv6 disabled in its kernel"
	exit 0
fi

# The host's server on [::1]:P, a line for each connection.
timeout -k 5 280 "$NT" serve6 $P "hello over IPv6" >"$T/srv.out" 2>&1 &
srv=$!
i=0
while [ $i -lt 50 ] && ! grep -q listening "$T/srv.out"; do sleep 0.1; i=$((i + 1)); done

if on_ukrun; then NET=user,host-loopback=on; else NET=user; fi
guest --net $NET "$IMG" client hostside $P
check $N/aaaa-from-etc-hosts out_has '^PASS ipv6/aaaa-from-hosts'
check $N/aaaa-localhost out_has '^PASS ipv6/aaaa-localhost'
check $N/slaac-address-in-proc-net-if-inet6 out_has '^addr: fec0[0-9a-f]* 02 40 00 '
check $N/link-local-address out_has '^addr: fe80[0-9a-f]* 02 40 20 '
check $N/loopback-address out_has '^addr: 0*1 01 80 10 80 *lo$'
check $N/connect-to-host-over-ipv6 out_has '^got: hello over IPv6$'
check $N/host-saw-ipv6 grep -q 'accepted from ::1' "$T/srv.out"
grep '^FAIL' "$T/out" | sed "s#^FAIL #FAIL $N/#"

# No network: unreachable at once, not a SYN sent round the loopback.
guest --net none "$IMG" client fec0::2 $P
check $N/no-network-unreachable out_has '^connect: Network is unreachable$'

if on_ukrun; then
	# The host's loopback closed (the default): libslirp's ICMPv6 error
	# ends the connect, the server sees nothing.
	n0=$(grep -c accepted "$T/srv.out")
	guest --net user "$IMG" client hostside $P
	check $N/host-loopback-closed out_has '^connect: Network is unreachable$'
	check $N/host-loopback-closed-nothing-came test "$(grep -c accepted "$T/srv.out")" -eq "$n0"

	# -p over IPv6 and IPv4 to a server on the guest's [::]: the guest's
	# IPv6 address is SLAAC's (a few seconds after boot), so curl retries.
	Q=$((P + 1))
	guest_bg "$T/serve.out" -p "[::1]:$Q:8080" -p "$Q:8080" "$IMG" serve 8080 2
	if bg_wait "$T/serve.out" '^listening'; then
		run curl -6 -s --retry 10 --retry-all-errors --retry-delay 1 -m 60 "http://[::1]:$Q/"
		check $N/publish-ipv6-curl out_is "from-guest ipv6"
		run curl -4 -s -m 60 "http://127.0.0.1:$Q/"
		check $N/publish-ipv4-beside out_is "from-guest ipv4-mapped"
		wait "$bgpid"
		rc=$? bgpid=
		check $N/publish-guest-exit test $rc -eq 0
	else
		fail $N/publish-boot "$(tail -c 300 "$T/serve.out" | tr '\n' '|')"
	fi
	bg_stop

	run "$UKRUN" -p "[::1:$Q:8080" "$IMG" serve 8080 1
	check $N/publish-bad-address-refused err_has "HOSTADDR IPv4 or IPv6 in brackets"
	check $N/publish-bad-address-clean-error clean_error
	run "$UKRUN" --net none -p "[::1]:$Q:8080" "$IMG" serve 8080 1
	check $N/publish-without-network-refused err_has "with --net user only"
	check $N/publish-without-network-clean-error clean_error
fi
