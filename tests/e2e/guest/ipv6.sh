#!/bin/sh
# IPv6 beyond the VM, as a Linux program (tests/linux/ipv6.c, glibc,
# binary mode) sees it on the user network: its address by SLAAC from the
# network's router advertisements, listed in /proc/net/if_inet6;
# getaddrinfo's AAAA answers from /etc/hosts; a connection to its own
# SLAAC address with the interface as the scope (Java's habit: Linux
# ignores a scope off link-local); a connection to a server on
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
TAP=uktap6 ULA=fd75:6b:0:1 # the TAP section's device and prefix (/64)

trap 'bg_stop; for p in ${srv:-} ${ra:-} ${srv2:-}; do kill $p 2>/dev/null; done
	ip link del $TAP 2>/dev/null; rm -rf "$T"' EXIT

if [ ! -f "$IMG" ] || [ ! -x "$NT" ]; then
	skip $N/all "$IMG or $NT is missing (make builds them)"
	exit 0
fi
if ! grep -q '^0*1 ' /proc/net/if_inet6 2>/dev/null; then
	skip $N/all "this host has no IPv6 loopback (::1): IPv6 disabled in its kernel"
	exit 0
fi

# The host's server on [::1]:P, a line for each connection.
timeout -k 5 280 "$NT" serve6 ::1 $P "hello over IPv6" >"$T/srv.out" 2>&1 &
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
# its own SLAAC address with eth0 as the scope, as Java dials it
check $N/self-global-scoped out_has '^PASS ipv6/self-global-scoped'
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

# ---- over a TAP ----
# The host's side of a TAP gets its link-local address when a VM opens
# the device (no carrier before), and that address, as the ULA the test
# gives it, stays tentative while the kernel's duplicate detection runs
# (1-2 s): until then a connection from it fails at once ("Cannot assign
# requested address"), which is what a first try of this section met in
# its namespace (curl -6 right after the guest's "listening"; by hand the
# TAP had long been up). The guest's addresses go through lwIP's
# detection too, so the first connection to each retries (bounded:
# curl's --retry, the guest client's 20 s). nettool ra advertises the ULA
# prefix, from which the guest takes an address by SLAAC.

# colons HEX: /proc/net/if_inet6's 32 hex digits as an address.
colons() { echo "$1" | sed 's/..../&:/g; s/:$//'; }

# tap_ready: true once the TAP has its link-local address (in $host_ll)
# and none of its addresses is tentative (flag 0x40); 10 s at most.
tap_ready() {
	i=0
	while [ $i -lt 100 ]; do
		host_ll=$(awk -v t=$TAP '$6 == t && $4 == "20" { print $1 }' /proc/net/if_inet6)
		busy=$(awk -v t=$TAP '$6 == t { print $5 }' /proc/net/if_inet6 |
			while read -r f; do [ $((0x$f & 0x40)) -eq 0 ] || echo "$f"; done)
		if [ -n "$host_ll" ] && [ -z "$busy" ]; then
			host_ll=$(colons "$host_ll")
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The host's TCP and UDP checksum errors (IPv4's and IPv6's TCP are one
# count; UDP over IPv6 its own).
csum_errors() {
	awk '/^Tcp:/ { if (!h) { split($0, k); h = 1 } else { split($0, v)
		for (i = 2; i <= NF; i++) if (k[i] == "InCsumErrors") n += v[i] } }
		END { print n + 0 }' /proc/net/snmp
	awk '$1 == "Udp6InCsumErrors" { print $2 }' /proc/net/snmp6
}

Q=$((P + 2)) # the guest's server; P+3 the host's
if ! need $N/tap curl; then
	:
elif ! { [ -c /dev/net/tun ] && ip tuntap add dev $TAP mode tap && ip -6 addr add $ULA::1/64 dev $TAP &&
	ip link set $TAP up; } >"$T/tap.err" 2>&1; then
	skip $N/tap "cannot make TAP device $TAP with $ULA::1: $(tr '\n' ' ' <"$T/tap.err")"
else
	csum0=$(csum_errors)
	timeout -k 5 280 "$NT" serve6 :: $((Q + 1)) "hello over a TAP" >"$T/srv2.out" 2>&1 &
	srv2=$!
	guest_bg "$T/tap.out" --net tap:$TAP --ip 10.0.0.2/24 "$IMG" serve $Q 4
	if bg_wait "$T/tap.out" '^listening' && tap_ready; then
		timeout -k 5 250 "$NT" ra $TAP $ULA:: >"$T/ra.out" 2>&1 &
		ra=$!
		ll=$(colons "$(sed -n 's/^addr: \(fe80[0-9a-f]*\) .*/\1/p' "$T/tap.out")")
		ula=$ULA:${ll#fe80:0000:0000:0000:} # SLAAC's: the prefix and the same interface id
		# The guest's server from the host: its link-local address (with
		# the TAP as its scope) and SLAAC's, TCP then UDP.
		for a in "$ll%$TAP" "$ula"; do
			k=link-local
			[ "$a" = "$ula" ] && k=slaac
			run bound 40 curl -6 -s --connect-timeout 3 --retry 6 --retry-all-errors \
				--retry-delay 1 -m 5 "http://[$a]:$Q/"
			check $N/tap/$k-tcp-host-to-guest out_is "from-guest ipv6"
			run bound 30 "$NT" udp "$a" $Q "udp to $k"
			check $N/tap/$k-udp-host-to-guest out_is "udp to $k"
		done
		# (not answered: the server would wait for ever; bg_stop ends it)
		rc=124
		if bg_wait "$T/tap.out" '^answered 4' 10; then
			wait "$bgpid"
			rc=$? bgpid=
			on_ukrun || rc=$(((rc - 1) / 2))
		fi
		bg_stop
		check $N/tap/guest-server-exit test $rc -eq 0
		# The guest's client to the host's server, on both addresses (the
		# link-local one scoped by the guest's interface's name, eth0 as
		# in a Docker container: index 2).
		guest -t 60 --net tap:$TAP --ip 10.0.0.2/24 "$IMG" client "$host_ll%eth0" $((Q + 1))
		check $N/tap/link-local-guest-to-host out_has '^got: hello over a TAP$'
		guest -t 60 --net tap:$TAP --ip 10.0.0.2/24 "$IMG" client $ULA::1 $((Q + 1))
		check $N/tap/slaac-guest-to-host out_has '^got: hello over a TAP$'
		check $N/tap/slaac-address-listed out_has "^addr: ${ULA%%:*}[0-9a-f]* 02 40 00 "
		check $N/tap/host-saw-both test "$(grep -c 'accepted from' "$T/srv2.out")" -eq 2
		# A segment the host dropped for its checksum would have been
		# sent again; none was.
		check $N/tap/no-checksum-errors test "$(csum_errors)" = "$csum0"
	else
		fail $N/tap/boot "$(tail -c 400 "$T/tap.out" | tr '\n' '|')"
	fi
	bg_stop
fi
