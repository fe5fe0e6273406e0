#!/usr/bin/env bash
# Network benchmark (make bench): wrk against apps/httpd in a uk guest over a
# TAP device, and against the same httpd source built as a Linux process in
# a network namespace behind a veth pair — same client, same run; exits to
# ukrun, the vCPU's exits (by reason, where perf is) and the device's
# interrupts and kicks per 1000 requests;
# TCP throughput both ways; image size.
#
# Measured where ukrun runs: on this machine's KVM when it has a usable one
# (needs root for TAP, veth and namespaces), otherwise inside the nested
# standard-KVM host (tests/stdkvm.sh), where everything, the client and the
# Linux httpd included, runs under software emulation: labelled as such.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title=Network
secs=${WRK_SECS:-10}
conns=${WRK_CONNS:-32}

inner='
set -u
NT=build/tests/net/nettool IP=/usr/sbin/ip
secs=$1 conns=$2
up() { i=0; while [ $i -lt 600 ]; do curl -s -o /dev/null "$1" && return 0; sleep 0.1; i=$((i + 1)); done; return 1; }
wrk_run() { # NAME URL
	wrk -t1 -c$conns -d${secs}s --latency "$2" >/tmp/wrk.$1 2>&1
	echo "$1_rps $(sed -n "s/^Requests\/sec: *\([0-9.]*\).*/\1/p" /tmp/wrk.$1)"
	echo "$1_p50 $(sed -n "s/^ *50% *\([0-9.]*[a-z]*\).*/\1/p" /tmp/wrk.$1)"
	echo "$1_p99 $(sed -n "s/^ *99% *\([0-9.]*[a-z]*\).*/\1/p" /tmp/wrk.$1)"
	echo "$1_reqs $(sed -n "s/^ *\([0-9]*\) requests in.*/\1/p" /tmp/wrk.$1)"
}
$IP tuntap add dev ukb0 mode tap && $IP addr add 10.0.0.1/24 dev ukb0 && $IP link set ukb0 up
$IP link set lo up
mkdir -p /run/netns /var/run/netns
$IP netns add lx && $IP link add v0 type veth peer name v1 && $IP link set v1 netns lx &&
	$IP addr add 10.1.0.1/24 dev v0 && $IP link set v0 up &&
	$IP -n lx addr add 10.1.0.2/24 dev v1 && $IP -n lx link set v1 up && $IP -n lx link set lo up
$IP netns exec lx build/tests/net/httpd-linux -p 80 -r apps/httpd/www >/dev/null 2>&1 &
lpid=$!
$UKRUN --verbose --net tap:ukb0,vhost=off --ip 10.0.0.2/24 build/apps/httpd.img >/dev/null 2>/tmp/uk.err &
upid=$!
if up http://10.1.0.2/hello.txt && up http://10.0.0.2/hello.txt; then
	wrk_run linux http://10.1.0.2:80/hello.txt
	why_on $upid /tmp/kvm.data
	wrk_run uk http://10.0.0.2:80/hello.txt
	why_off uk /tmp/kvm.data
fi
kill -INT $upid; wait $upid; kill $lpid
echo "uk_exits $(exits /tmp/uk.err)"
echo "uk_irqs $(sed -n "s/.*virtio-net: .* \([0-9]*\) interrupts.*/\1/p" /tmp/uk.err)"
echo "uk_kicks $(sed -n "s/.*virtio-net: .* \([0-9]*\) kicks;.*/\1/p" /tmp/uk.err)"
echo "uk_kvm_exits $(sed -n "s/.*KVM counts (vCPU):.* exits \([0-9]*\) .*/\1/p" /tmp/uk.err)"
if [ -c /dev/vhost-net ]; then
	$UKRUN --net tap:ukb0,vhost=on --ip 10.0.0.2/24 build/apps/httpd.img >/dev/null 2>&1 &
	upid=$!
	up http://10.0.0.2/hello.txt && wrk_run vhost http://10.0.0.2:80/hello.txt
	kill -INT $upid; wait $upid
fi
$UKRUN --net tap:ukb0,vhost=off --ip 10.0.0.2/24 build/tests/guest/net-echo.img >/dev/null 2>&1 &
upid=$!
sleep 1
i=0; while [ $i -lt 600 ] && ! echo fds | nc -w 1 10.0.0.2 1000 >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
echo "rx_mbs $($NT sink 10.0.0.2 9 64 | sed -n "s/.*, \([0-9.]*\) MB\/s/\1/p")"
echo "tx_mbs $($NT source 10.0.0.2 19 64 | sed -n "s/.*, \([0-9.]*\) MB\/s/\1/p")"
kill -INT $upid; wait $upid
'

files=(build/apps/httpd.img build/tests/guest/net-echo.img build/tests/net/nettool
	build/tests/net/httpd-linux apps/httpd/www/index.html apps/httpd/www/hello.txt
	/usr/bin/wrk /usr/bin/curl /usr/sbin/ip)
need "$title" "${files[@]}" || exit 0
# (on this machine's KVM: root for TAP, veth and namespaces)
bench_run -r -t 1200 "$inner" "${files[@]}" -- "$secs" "$conns" || { bench_skip "$title" "$res"; exit 0; }

table "$title ($where; wrk -t1 -c$conns -d${secs}s, GET /hello.txt)" "uk (ukrun, TAP)" "Linux (veth) or goal"
row "requests/s" "$(get uk_rps)" "$(get linux_rps)"
row "latency p50" "$(get uk_p50)" "$(get linux_p50)"
row "latency p99" "$(get uk_p99)" "$(get linux_p99)"
row "ratio uk / Linux, requests/s" "$(ratio "$(get uk_rps)" "$(get linux_rps)")" "goal >= 0.7, aim 1.0"
row "exits to ukrun per 1000 requests (boot incl.)" "$(per "$(get uk_exits)" "$(get uk_reqs)" 1000)" \
	"goal: none per packet"
row "device interrupts / kicks per 1000 requests" \
	"$(per "$(get uk_irqs)" "$(get uk_reqs)" 1000) / $(per "$(get uk_kicks)" "$(get uk_reqs)" 1000)" "goal: ~0"
row "vCPU exits (KVM's) per 1000 requests" "$(per "$(get uk_kvm_exits)" "$(get uk_reqs)" 1000)" \
	"goal: ~0 (boot incl.)"
why_row uk "$(get uk_reqs)"
[ -n "$(get vhost_rps)" ] && row "requests/s with vhost-net" "$(get vhost_rps)" "$(get linux_rps)"
row "TCP throughput host -> guest (64 MiB)" "$(unit "$(get rx_mbs)" MB/s)" "(uk only)"
row "TCP throughput guest -> host (64 MiB)" "$(unit "$(get tx_mbs)" MB/s)" "(uk only)"
row "httpd image size" "$(($(wc -c <build/apps/httpd.img) / 1024)) KiB" "goal <= 1 MiB"
