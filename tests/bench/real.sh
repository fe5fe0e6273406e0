#!/usr/bin/env bash
# Real programs (make bench): a Go net/http server, a Node.js http server,
# python3 -m http.server, nginx and redis from Debian's packages
# (tests/images/real.sh's images) under ukrun -p -- user networking and a
# forwarded port, what a user runs -- against the same binaries as Linux
# processes on this host (chrooted into the image's root filesystem), same
# client, same run: wrk -t2 -c64 -d${WRK_SECS:-10}s GET / and GET /big.txt
# (100 KiB; requests/s, latency p99 and max; the web servers also through
# --net passt where passt is installed), redis-benchmark -c64
# -n100000 -t set,get, then -c8 -n20000 (a few clients: each round trip
# waits on every wake-up between them), with the vCPU's exits by reason
# where perf is; postgres (initdb at start, then pgbench -i -s 1 and
# pgbench -c8 -j2 -T${WRK_SECS:-10}, TPC-B-like and select-only: transactions/s
# and failed ones), the Linux side chrooted as user postgres. And how long
# the Java program takes, ukrun against the image's java run here.
#
# Needs this machine's KVM and root (chroot, and a network namespace of
# its own so the ports meet nobody's); the nested host has neither the
# Linux side's files nor the speed for it.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="Real programs"
secs=${WRK_SECS:-10}
R=build/tests/real

need "$title" $R/go.img $R/node.img $R/pyhttp.img $R/nginx.img $R/redis.img $R/java.img || exit 0
if ! kvm_here || [ "$(id -u)" != 0 ]; then
	bench_skip "$title" "needs a usable /dev/kvm here and root (chroot, a network namespace)"
	exit 0
fi
for t in wrk curl redis-benchmark unshare chroot; do
	command -v $t >/dev/null || { bench_skip "$title" "$t is not installed (ci/deps.sh installs it)"; exit 0; }
done
I=$(bash tests/images/build.sh go node pyhttp nginx redis java postgres 2>/dev/null) ||
	{ bench_skip "$title" "tests/images/build.sh could not build the images"; exit 0; }
flavour=$("$UKRUN" --verbose build/apps/hello.img 2>&1 >/dev/null | sed -n 's/^ukrun: KVM flavour: \([a-z]*\).*/\1/p')

# ---- what runs in the namespace: prints "KEY value" lines ----
inner() {
	local t
	t=$(mktemp -d)
	trap 'kill $(jobs -p) 2>/dev/null; wait; umount "$t"/*.root 2>/dev/null; rm -rf "$t"' EXIT
	ip link set lo up
	# --net passt too where passt is installed: it copies the host's
	# interface with a default route, so one is made here (a veth pair).
	passt_ok=
	command -v passt >/dev/null && ip link add ukbp0 type veth peer name ukbp1 2>/dev/null &&
		ip link set ukbp1 up && ip addr add 192.0.2.2/24 dev ukbp0 && ip link set ukbp0 up &&
		ip route add default via 192.0.2.1 dev ukbp0 && passt_ok=1
	# The Linux side runs in a throwaway view of the image's root (an
	# overlay, else a copy): nginx makes its temporary directories there,
	# and the cached rootfs is what tests/e2e/host/oci.sh compares with
	# the image's layers.
	root() { # NAME -> the path
		local r=$t/$1.root
		mkdir -p "$r" "$t/$1.up" "$t/$1.work"
		mount -t overlay overlay -o lowerdir="$I/$1.rootfs",upperdir="$t/$1.up",workdir="$t/$1.work" \
			"$r" 2>/dev/null || cp -a "$I/$1.rootfs/." "$r/"
		echo "$r"
	}
	up() { # URL
		for _ in $(seq 300); do curl -s -o /dev/null -m 2 "$1" && return 0; sleep 0.1; done
		return 1
	}
	wrk_run() { # KEY URL
		timeout $((secs + 60)) wrk -t2 -c64 -d"${secs}s" --timeout 10s --latency "$2" >"$t/wrk" 2>&1
		echo "$1_rps $(sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p' "$t/wrk")"
		echo "$1_p99 $(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$t/wrk")"
		echo "$1_max $(awk '/^ *Latency / { print $4 }' "$t/wrk")"
		echo "$1_err $(sed -n 's/^ *Socket errors: \(.*\)/\1/p; s/^ *Non-2xx.*: *\([0-9]*\)/\1 non-2xx/p' "$t/wrk" | tr '\n' ' ')"
		echo "$1_reqs $(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$t/wrk")"
	}
	# frames FILE KEY: from ukrun's --verbose end, the frames each way
	# between ukrun and the network helper and the sends that carried them:
	# "KEY_frames TO-GUEST SENDS FROM-GUEST SENDS"
	# And the vCPU's exits to the host kernel and the interrupts it got
	# (KVM's counts, the whole run), and the guest's kicks the device
	# thread took: "KEY_kvm EXITS INTERRUPTS KICKS". And the guest's CR3
	# loads over the run (its --verbose summary at exit): "KEY_cr3 N".
	frames() {
		echo "$2_frames $(sed -n 's/.*the network helper: \([0-9]*\) frames to the guest (\([0-9]*\) sends.*/\1 \2/p' "$1") $(sed -n 's/.*user-mode network: \([0-9]*\) frames to the network helper in \([0-9]*\) sends.*/\1 \2/p' "$1")"
		echo "$2_kvm $(sed -n 's/.*KVM counts (vCPU):.* exits \([0-9]*\) .*/\1/p' "$1") $(sed -n 's/.*KVM counts (vCPU):.* irq_injections \([0-9]*\).*/\1/p' "$1") $(sed -n 's/.*virtio-net: .* \([0-9]*\) kicks;.*/\1/p' "$1")"
		echo "$2_cr3 $(sed -n 's/.* \([0-9]*\) CR3 loads, .*/\1/p' "$1" | tail -1)"
	}
	stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
	web() { # NAME GUESTPORT LINUX-COMMAND...
		local n=$1 gport=$2 pid t0 r
		shift 2
		t0=$(date +%s%N)
		timeout 300 "$UKRUN" --verbose -p 18080:"$gport" $R/$n.img >"$t/$n.uk" 2>&1 &
		pid=$!
		up http://127.0.0.1:18080/ && echo "${n}_ready $((($(date +%s%N) - t0) / 1000000))" &&
			wrk_run "${n}_uk" http://127.0.0.1:18080/ &&
			wrk_run "${n}_uk_big" http://127.0.0.1:18080/big.txt
		stop $pid
		frames "$t/$n.uk" "$n"
		if [ -n "$passt_ok" ]; then
			timeout 300 "$UKRUN" --net passt -p 18080:"$gport" $R/$n.img >"$t/$n.passt" 2>&1 &
			pid=$!
			up http://127.0.0.1:18080/ && wrk_run "${n}_passt" http://127.0.0.1:18080/ &&
				wrk_run "${n}_passt_big" http://127.0.0.1:18080/big.txt
			stop $pid
		fi
		r=$(root $n)
		# (a configuration of the Linux side's own, if there is one)
		[ ! -f "$t/$n.conf" ] || cp "$t/$n.conf" "$r/uk-linux.conf"
		(cd / && timeout 300 chroot "$r" "$@") >"$t/$n.linux" 2>&1 &
		pid=$!
		up http://127.0.0.1:18081/ && wrk_run "${n}_linux" http://127.0.0.1:18081/ &&
			wrk_run "${n}_linux_big" http://127.0.0.1:18081/big.txt
		stop $pid
	}
	web go 8080 /usr/local/bin/server 18081 /srv/www
	web node 8080 /usr/bin/node /app/server.js 18081 /srv/www
	web pyhttp 8000 /usr/bin/python3 -m http.server 18081 -d /srv/www
	# (nginx's own configuration listens on 80: the Linux one takes that)
	sed 's/listen 80;/listen 18081;/' "$I/nginx.rootfs/etc/nginx/uk.conf" >"$t/nginx.conf"
	web nginx 80 /usr/sbin/nginx -e stderr -c /uk-linux.conf

	rb() { # KEY PORT [CLIENTS REQUESTS]
		timeout 300 redis-benchmark -p "$2" -c ${3:-64} -n ${4:-100000} -t set,get -q 2>&1 |
			tr '\r' '\n' >"$t/rb"
		echo "$1_set $(sed -n 's/^SET: \([0-9]*\).* requests per second.*/\1/p' "$t/rb" | tail -1)"
		echo "$1_get $(sed -n 's/^GET: \([0-9]*\).* requests per second.*/\1/p' "$t/rb" | tail -1)"
	}
	# (the vCPU is ukrun's main thread; timeout is its parent)
	eval "$bench_why"
	timeout 300 "$UKRUN" --verbose -p 16379:6379 $R/redis.img >"$t/redis.uk" 2>&1 &
	pid=$!
	for _ in $(seq 300); do grep -q 'Ready to accept' "$t/redis.uk" && break; sleep 0.1; done
	why_on "$(pgrep -P $pid | head -1)" "$t/kvm.data"
	rb redis_uk 16379
	why_off redis "$t/kvm.data"
	why_on "$(pgrep -P $pid | head -1)" "$t/kvm.data"
	rb redis_uk_c8 16379 8 20000
	why_off redis_c8 "$t/kvm.data"
	stop $pid
	frames "$t/redis.uk" redis
	(cd / && timeout 300 chroot "$(root redis)" /usr/bin/redis-server --port 16380 --save '' \
		--appendonly no) >"$t/redis.linux" 2>&1 &
	pid=$!
	for _ in $(seq 300); do grep -q 'Ready to accept' "$t/redis.linux" && break; sleep 0.1; done
	rb redis_linux 16380
	rb redis_linux_c8 16380 8 20000
	stop $pid

	# postgres: the same pgbench runs against each (the Linux side gets
	# /dev/null, and a /dev/shm for its dynamic shared memory)
	# (and on uk the guest's CR3 loads over each run: its /proc/vmstat,
	# which the server reads for a superuser; a connection's own start,
	# one more backend, is taken out by reading it twice before)
	pgb() { # KEY PORT
		local v0 v1 v2
		for _ in $(seq 600); do pg_isready -q -h 127.0.0.1 -p "$2" -U postgres && break; sleep 0.2; done
		timeout 300 pgbench -h 127.0.0.1 -p "$2" -U postgres -i -s 1 postgres >/dev/null 2>&1
		for m in tpcb select; do
			v0=$(cr3 "$2") v1=$(cr3 "$2")
			timeout $((secs + 120)) pgbench -h 127.0.0.1 -p "$2" -U postgres -c 8 -j 2 -T "$secs" \
				$([ $m = tpcb ] || echo -S) postgres >"$t/pgb" 2>&1
			v2=$(cr3 "$2")
			echo "$1_${m}_tps $(sed -n 's/^tps = \([0-9]*\).*/\1/p' "$t/pgb")"
			echo "$1_${m}_failed $(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$t/pgb")"
			echo "$1_${m}_tx $(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$t/pgb")"
			[ -z "$v0" ] || [ -z "$v1" ] || [ -z "$v2" ] || echo "$1_${m}_cr3 $((v2 - v1 - (v1 - v0)))"
		done
	}
	cr3() { # PORT: the guest's uk_cr3_load (nothing on Linux)
		timeout 60 psql -h 127.0.0.1 -p "$1" -U postgres -Atc "select pg_read_file('/proc/vmstat')" \
			postgres 2>/dev/null | sed -n 's/^uk_cr3_load //p'
	}
	if [ -f $R/postgres.img ] && command -v pgbench >/dev/null && command -v pg_isready >/dev/null; then
		timeout 600 "$UKRUN" -p 15432:5432 $R/postgres.img >"$t/pg.uk" 2>&1 &
		pid=$!
		pgb pg_uk 15432
		stop $pid
		r=$(root postgres)
		mkdir -p "$r/dev/shm"
		touch "$r/dev/null"
		mount --bind /dev/null "$r/dev/null" && mount -t tmpfs tmpfs "$r/dev/shm"
		(cd / && timeout 600 chroot --userspec="$(grep '^postgres:' "$r/etc/passwd" | cut -d: -f3,4)" "$r" \
			/usr/local/bin/pg-start -c port=15433) >"$t/pg.linux" 2>&1 &
		pid=$!
		pgb pg_linux 15433
		stop $pid
		umount "$r/dev/shm" "$r/dev/null" 2>/dev/null
	fi

	# Five runs each, alternately: one run's wall moved 0.3-2 s with the
	# load and the host's fresh memory (session 15: 776 ms in one run,
	# 0.36-0.39 s median under chrt for every build since session 12)
	local t0 uk="" linux=""
	for _ in 1 2 3 4 5; do
		t0=$(date +%s%N)
		timeout 300 "$UKRUN" $R/java.img >/dev/null 2>&1 &&
			uk="$uk $((($(date +%s%N) - t0) / 1000000))"
		t0=$(date +%s%N)
		# (outside the chroot: the launcher finds its libraries through
		# /proc/self/exe, and there is no /proc there)
		timeout 300 "$I/java.rootfs/usr/lib/jvm/java-17-openjdk-amd64/bin/java" -cp "$I/java.rootfs/app" \
			Hello >/dev/null 2>&1 &&
			linux="$linux $((($(date +%s%N) - t0) / 1000000))"
	done
	echo "java_uk $(median_range $uk)"
	echo "java_linux $(median_range $linux)"
	echo "java_load $(cut -d' ' -f1 /proc/loadavg)"
}
# median_range N...: "MEDIAN ms (MIN-MAX)", nothing without a number
median_range() {
	[ $# -gt 0 ] && printf '%s\n' "$@" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%d ms (%d-%d)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
export -f median_range
export -f inner
export UKRUN R I secs bench_why
res=$(unshare -n -m bash -c inner 2>&1)
[ -n "${VERBOSE:-}" ] && echo "$res"

# frame_rows "TO-GUEST SENDS FROM-GUEST SENDS" REQUESTS "EXITS INTERRUPTS KICKS" CR3-LOADS:
# what crossed between ukrun and the helper per request (both loads of the
# server), how many frames a send carried (each send wakes the other
# process), and the vCPU's exits and interrupts, the guest's kicks and CR3 loads per 1000
# requests.
frame_rows() {
	local tg ts fg fs ex irq kicks
	read -r tg ts fg fs <<<"$1"
	read -r ex irq kicks <<<"$3"
	row "  frames to / from the guest a request (both loads)" \
		"$(per "$tg" "$2") / $(per "$fg" "$2")" "(uk only)"
	row "  frames a send: helper -> ukrun / ukrun -> helper" \
		"$(per "$tg" "$ts") / $(per "$fg" "$fs")" "(uk only)"
	row "  vCPU exits / interrupts per 1000 requests" \
		"$(per "$ex" "$2" 1000) / $(per "$irq" "$2" 1000)" "(uk only; start included)"
	row "  the guest's kicks per 1000 requests (an exit each)" "$(per "$kicks" "$2" 1000)" "(uk only)"
	row "  the guest's CR3 loads per 1000 requests" "$(per "$4" "$2" 1000)" "(uk only)"
}
table "$title (this machine's KVM, $flavour; wrk -t2 -c64 -d${secs}s GET /)" \
	"uk (ukrun -p)" "Linux process (chroot)"
for n in go node pyhttp nginx; do
	case $n in
	go) label="Go net/http (golang-go, CGO_ENABLED=0)" ;;
	node) label="Node.js http (Debian's nodejs)" ;;
	pyhttp) label="python3 -m http.server" ;;
	nginx) label="nginx (daemon off, master_process off)" ;;
	esac
	row "$label: requests/s" "$(get ${n}_uk_rps)" "$(get ${n}_linux_rps)"
	row "  latency p99 / max" "$(get ${n}_uk_p99) / $(get ${n}_uk_max)" \
		"$(get ${n}_linux_p99) / $(get ${n}_linux_max)"
	e=$(get ${n}_uk_err) l=$(get ${n}_linux_err)
	[ -z "$e$l" ] || row "  errors" "${e:-none}" "${l:-none}"
	row "  100 KiB file: requests/s" "$(get ${n}_uk_big_rps)" "$(get ${n}_linux_big_rps)"
	row "  100 KiB file: latency p99 / max" "$(get ${n}_uk_big_p99) / $(get ${n}_uk_big_max)" \
		"$(get ${n}_linux_big_p99) / $(get ${n}_linux_big_max)"
	e=$(get ${n}_uk_big_err) l=$(get ${n}_linux_big_err)
	[ -z "$e$l" ] || row "  100 KiB file: errors" "${e:-none}" "${l:-none}"
	row "  ukrun start -> first answer" "$(unit "$(get ${n}_ready)" ms)" "(uk only)"
	p=$(get ${n}_passt_rps) pb=$(get ${n}_passt_big_rps)
	row "  --net passt: GET / and 100 KiB requests/s" "${p:-?} / ${pb:-?}" \
		"uk/Linux $(ratios "$p" "$(get ${n}_linux_rps)" "$pb" "$(get ${n}_linux_big_rps)")"
	a=$(get ${n}_uk_reqs) b=$(get ${n}_uk_big_reqs)
	frame_rows "$(get ${n}_frames)" $((${a:-0} + ${b:-0})) "$(get ${n}_kvm)" "$(get ${n}_cr3)"
done
row "redis-benchmark -c64 SET: requests/s" "$(get redis_uk_set)" "$(get redis_linux_set)"
row "redis-benchmark -c64 GET: requests/s" "$(get redis_uk_get)" "$(get redis_linux_get)"
why_row redis 200000
row "redis-benchmark -c8 SET / GET: requests/s" "$(get redis_uk_c8_set) / $(get redis_uk_c8_get)" \
	"$(get redis_linux_c8_set) / $(get redis_linux_c8_get)"
why_row redis_c8 40000
frame_rows "$(get redis_frames)" 240000 "$(get redis_kvm)" "$(get redis_cr3)"
for m in tpcb select; do
	case $m in
	tpcb) label="postgres 15 pgbench -c8 -j2 TPC-B-like: transactions/s" ;;
	select) label="postgres 15 pgbench -c8 -j2 select-only: transactions/s" ;;
	esac
	row "$label" "$(get pg_uk_${m}_tps)" "$(get pg_linux_${m}_tps)"
	row "  failed transactions" "$(get pg_uk_${m}_failed)" "$(get pg_linux_${m}_failed)"
	row "  the guest's CR3 loads per 1000 transactions" \
		"$(per "$(get pg_uk_${m}_cr3)" "$(get pg_uk_${m}_tx)" 1000)" "(uk only)"
done
row "Java hello, start to exit, median of 5 (load $(get java_load))" "$(get java_uk)" "$(get java_linux)"
