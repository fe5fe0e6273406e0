#!/bin/bash
# Network servers from container images, unmodified: Debian's redis-server
# and nginx (single-process flags in their images' configuration) booted
# under QEMU with user-mode networking and a forwarded port; Debian's own
# redis-cli, redis-benchmark and curl on this machine talk to them.
. tests/e2e/lib.sh

if ! I=$(bash tests/images/build.sh redis nginx 2>"$T/images.log"); then
	skip oci-net/images "the test images could not be built from Debian's packages: $(tail -c 300 "$T/images.log" | tr '\n' '|')"
	exit 0
fi

# A free local port: QEMU's forward would fail on a busy one.
free_port() {
	local p
	for p in $(seq $((20000 + $$ % 20000)) $((20100 + $$ % 20000))); do
		(echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return 0; }
	done
	return 1
}

# boot IMAGE HOSTPORT GUESTPORT: QEMU in the background, output in $T/vm.
boot() {
	timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 512M -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit -global virtio-mmio.force-legacy=false \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$2-:$3" -device virtio-net-device,netdev=n0 \
		-kernel "$1" >"$T/vm" 2>&1 </dev/null &
	vm=$!
}

stop() {
	kill "$vm" 2>/dev/null
	wait "$vm" 2>/dev/null
}

# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
		n=$((n - 1))
	done
	return 1
}

# The image's own redis tools, run here through its dynamic loader.
redis_tool() { # PROGRAM ARG...
	local r=$I/redis.rootfs l
	l=$r/usr/lib/x86_64-linux-gnu
	timeout 120 "$l/ld-linux-x86-64.so.2" --library-path "$l" "$r/usr/bin/$1" "${@:2}"
}

# ---- redis ----
"$UKBUILD" oci -q "oci:$I/redis.oci" -o "$T/redis.img"
port=$(free_port)
boot "$T/redis.img" "$port" 6379
if wait_for 120 grep -q 'Ready to accept connections' "$T/vm"; then
	pass oci-net/redis/ready
	run redis_tool redis-cli -p "$port" SET greeting "hello from uk"
	check oci-net/redis/set out_is OK
	run redis_tool redis-cli -p "$port" GET greeting
	check oci-net/redis/get out_is "hello from uk"
	run redis_tool redis-cli -p "$port" INCRBY n 42
	check oci-net/redis/incr out_is 42
	run redis_tool redis-benchmark -p "$port" -n 2000 -c 4 -t set,get -q
	tr '\r' '\n' <"$T/out" >"$T/bench"
	check oci-net/redis/benchmark-set grep -q '^SET: [1-9][0-9.]* requests per second' "$T/bench"
	check oci-net/redis/benchmark-get grep -q '^GET: [1-9][0-9.]* requests per second' "$T/bench"
	run redis_tool redis-cli -p "$port" DBSIZE
	check oci-net/redis/benchmark-keys sh -c "[ \"\$(cat '$T/out')\" -ge 3 ]"
else
	fail oci-net/redis/ready "no 'Ready to accept connections' in 120 s: $(tail -c 400 "$T/vm" | tr '\n' '|')"
fi
stop
check oci-net/redis/no-crash sh -c "! grep -q 'fatal exception\|crashed' '$T/vm'"

# ---- nginx (daemon off; master_process off;) ----
"$UKBUILD" oci -q "oci:$I/nginx.oci" -o "$T/nginx.img"
port=$(free_port)
boot "$T/nginx.img" "$port" 80
if wait_for 120 curl -sf -m 5 "http://127.0.0.1:$port/"; then
	run curl -s -m 10 "http://127.0.0.1:$port/"
	check oci-net/nginx/page out_is "$(cat "$I/nginx.rootfs/srv/www/index.html")"
	run curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/no-such-page"
	check oci-net/nginx/404 out_has '^404$'
	for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -m 10 "http://127.0.0.1:$port/" >"$T/p$i" & done
	wait_for 30 sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do grep -q 'nginx' '$T/p'\$i || exit 1; done"
	check oci-net/nginx/ten-at-once test $? -eq 0
else
	fail oci-net/nginx/serves "no answer in 120 s: $(tail -c 400 "$T/vm" | tr '\n' '|')"
fi
stop
check oci-net/nginx/started-single-process grep -q 'nginx/1' "$T/vm"

# For the ukrun suite (tests/e2e/kvm/oci_net.sh, files in oci.files): the
# images, and the image's redis programs with their libraries, to run
# redis-benchmark there and the same redis-server as a Linux process.
O=build/tests/oci
mkdir -p "$O"
cp "$T/redis.img" "$O/redis.img"
cp "$T/nginx.img" "$O/nginx.img"
cp "$I/nginx.rootfs/srv/www/index.html" "$O/nginx.expected"
(cd "$I/redis.rootfs" && tar -cf - usr/bin/redis-* usr/lib/x86_64-linux-gnu/*.so*) >"$O/redis-tools.tar"
