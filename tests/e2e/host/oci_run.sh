#!/bin/bash
# Unmodified Linux programs from container images, booted under QEMU
# (microvm, no KVM needed): a static busybox, sqlite3, lua5.4 and python3
# from Debian's packages, and a test program built here as static,
# static-pie and dynamic. Expected results come from the same binaries run
# on this machine, not from constants.
. tests/e2e/lib.sh

if ! I=$(bash tests/images/build.sh busybox sqlite lua python layers musl 2>"$T/images.log"); then
	skip oci-run/images "the test images could not be built from Debian's packages: $(tail -c 300 "$T/images.log" | tr '\n' '|')"
	exit 0
fi

# qemu IMAGE [MEM]: boot it; stdout+stderr in $T/out, the program's exit
# status in $rc (QEMU's is status << 1 | 1).
qemu() {
	timeout 300 qemu-system-x86_64 -M microvm -cpu max -m "${2:-256M}" -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit -kernel "$1" \
		>"$T/out" 2>&1 </dev/null
	rc=$(($? >> 1))
}

# A program of an image run on this machine through the image's own
# dynamic loader: the same binary as a Linux process.
host_run() { # IMAGE PROGRAM ARG...
	local r=$I/$1.rootfs l
	l=$r/usr/lib/x86_64-linux-gnu
	shift
	"$l/ld-linux-x86-64.so.2" --library-path "$l" "$r/$@"
}

image() { # NAME OUT [ukbuild oci options]
	local n=$1 out=$2
	shift 2
	"$UKBUILD" oci -q "oci:$I/$n.oci" -o "$out" "$@" 2>"$T/err"
}

# ---- busybox: builtins, then an applet through exec (there is no fork) ----
script='echo hello; echo "$GREETING"; pwd; cd /bin && pwd; x=$((6 * 7)); echo "x=$x";
for i in 1 2 3; do printf "%s-" $i; done; echo; test -d /tmp && echo tmp-is-dir;
f() { echo "in f $1"; }; f arg; read line < /home/uk/README; echo "read: $line";
case $x in 42) echo case-ok;; esac; export NEW=exported; exec env'
if image busybox "$T/bb.img" --cmd sh --cmd -c --cmd "$script"; then
	qemu "$T/bb.img"
	check oci-run/busybox/status status_is 0
	check oci-run/busybox/echo out_has '^hello$'
	check oci-run/busybox/image-env out_has '^hello from the busybox image$'
	check oci-run/busybox/workdir-from-config out_has '^/home/uk$'
	check oci-run/busybox/cd out_has '^/bin$'
	check oci-run/busybox/arithmetic out_has '^x=42$'
	check oci-run/busybox/loop out_has '^1-2-3-$'
	check oci-run/busybox/test out_has '^tmp-is-dir$'
	check oci-run/busybox/function out_has '^in f arg$'
	check oci-run/busybox/read out_has "^read: $(head -1 "$I/busybox.rootfs/home/uk/README")\$"
	check oci-run/busybox/case out_has '^case-ok$'
	check oci-run/busybox/exec-applet out_has '^NEW=exported$'
	check oci-run/busybox/home-from-passwd out_has '^HOME=/root$'
else
	fail oci-run/busybox/build "$(cat "$T/err")"
fi
# Applets as the shell's last command (busybox runs them in place or
# through /proc/self/exe), and one directly as the entrypoint.
image busybox "$T/bb2.img" --cmd sh --cmd -c --cmd 'wc -c /home/uk/README'
qemu "$T/bb2.img"
check oci-run/busybox/applet-last out_has "^$(wc -c <"$I/busybox.rootfs/home/uk/README") /home/uk/README\$"
image busybox "$T/bb3.img" --entrypoint ls --cmd -1 --cmd /
qemu "$T/bb3.img"
check oci-run/busybox/applet-entrypoint out_has '^home$'
check oci-run/busybox/exit-status sh -c "[ $rc -eq 0 ]"
image busybox "$T/bb4.img" --cmd sh --cmd -c --cmd 'exit 7'
qemu "$T/bb4.img"
check oci-run/busybox/exit-status-passed status_is 7
image busybox "$T/bb5.img" --cmd sh --cmd -c --cmd 'echo a; ls /; echo b'
qemu "$T/bb5.img"
check oci-run/busybox/fork-says-why out_has 'not supported in a unikernel'
# A script as the entrypoint: its #! line names the interpreter.
printf '#!/bin/sh -e\necho "script $0 $1"\n' >"$T/run.sh"
chmod +x "$T/run.sh"
image busybox "$T/bb7.img" --add "$T/run.sh:/usr/local/bin/run.sh" --entrypoint run.sh --cmd arg1
qemu "$T/bb7.img"
check oci-run/busybox/script-entrypoint out_has '^script /usr/local/bin/run.sh arg1$'
image busybox "$T/bb6.img" --entrypoint no-such-program
qemu "$T/bb6.img"
check oci-run/missing-program-127 status_is 127
check oci-run/missing-program-says out_has 'no-such-program: not found'

# ---- whiteouts, seen from inside ----
"$UKBUILD" oci -q "docker-archive:$I/layers.tar" -o "$T/layers.img"
qemu "$T/layers.img"
check oci-run/layers/kept out_has '^/data/keep$'
check oci-run/layers/whiteout sh -c "! grep -q '/data/gone' '$T/out'"
check oci-run/layers/whiteout-subdir sh -c "grep -q '^/data/dir/b$' '$T/out' && ! grep -q '/data/dir/a' '$T/out'"
check oci-run/layers/opaque sh -c "grep -q '^/opq/new2$' '$T/out' && ! grep -q '/opq/old' '$T/out'"
check oci-run/layers/later-layer out_has '^from the third layer$'
check oci-run/layers/through-link out_has 'echo through the link'

# ---- dynamic glibc programs from Debian ----
q='select count(*), sum(n) from t where n % 7 = 0;'
image sqlite "$T/sq.img"
qemu "$T/sq.img"
check oci-run/sqlite/status status_is 0
check oci-run/sqlite/query out_is "$(host_run sqlite usr/bin/sqlite3 "$I/sqlite.rootfs/data/test.db" "$q")"
image sqlite "$T/sq2.img" --cmd :memory: --cmd 'select sqlite_version(), 6*7;'
qemu "$T/sq2.img"
check oci-run/sqlite/cmd-override out_is "$(host_run sqlite usr/bin/sqlite3 :memory: 'select sqlite_version(), 6*7;')"

image lua "$T/lua.img"
qemu "$T/lua.img"
want=$(host_run lua usr/bin/lua5.4 -e "print(string.format('%d', 3^30 // 7))")
check oci-run/lua/status status_is 0
check oci-run/lua/computed out_has "^$want	"
check oci-run/lua/env-from-config out_has '	hello from the lua image	'
check oci-run/lua/workdir-from-config out_has '	a file read relative to the working directory$'

image python "$T/py.img"
qemu "$T/py.img" 384M
want=$(PYTHONHOME=$I/python.rootfs/usr host_run python usr/bin/python3.11 -c 'print(sum(i * i for i in range(1000)))')
check oci-run/python/status status_is 0
check oci-run/python/computed-cwd-env out_is "$want /app hello from the python image"

# ---- a program built here: static, static-pie, dynamic ----
src=tests/images/progs/linuxprog.c
mkdir -p "$T/p/s/bin" "$T/p/sp/bin" "$T/p/d/bin"
gcc -O2 -pthread -static -o "$T/p/s/bin/linuxprog" $src 2>"$T/err" &&
	gcc -O2 -pthread -static-pie -o "$T/p/sp/bin/linuxprog" $src 2>>"$T/err" &&
	gcc -O2 -pthread -o "$T/p/d/bin/linuxprog" $src 2>>"$T/err"
built=$?
# the dynamic one brings this machine's loader and C library
for lib in $(ldd "$T/p/d/bin/linuxprog" 2>/dev/null | grep -o '/[^ ]*'); do
	mkdir -p "$T/p/d$(dirname "$lib")" && cp -L "$lib" "$T/p/d$lib"
done
# and against musl (Debian's), static and dynamic with musl's own ld.so
M=$I/musl.rootfs
mkdir -p "$T/p/ms/bin" "$T/p/md/bin" "$T/p/md/lib"
musl=(-nostdinc -isystem "$M/usr/include/x86_64-linux-musl" -isystem "$(gcc -print-file-name=include)")
ML=$M/usr/lib/x86_64-linux-musl
gcc "${musl[@]}" -O2 -fPIE -c $src -o "$T/p/m.o" 2>>"$T/err" &&
	gcc -nostdlib -static -o "$T/p/ms/bin/linuxprog" "$ML/crt1.o" "$ML/crti.o" "$T/p/m.o" \
		"$ML/libc.a" "$(gcc -print-libgcc-file-name)" "$ML/crtn.o" 2>>"$T/err" &&
	gcc -nostdlib -pie -o "$T/p/md/bin/linuxprog" "$ML/Scrt1.o" "$ML/crti.o" "$T/p/m.o" \
		-L"$M/lib/x86_64-linux-musl" -lc "$(gcc -print-libgcc-file-name)" "$ML/crtn.o" \
		-Wl,-dynamic-linker=/lib/ld-musl-x86_64.so.1 2>>"$T/err" &&
	cp -a "$M/lib/." "$T/p/md/lib/"
built_musl=$?
for v in s:static sp:static-pie d:dynamic ms:musl-static md:musl-dynamic; do
	case $v in m*) [ $built_musl -eq 0 ] || built=1 ;; esac
	if [ $built -ne 0 ]; then
		skip "oci-run/linuxprog-${v#*:}" "gcc cannot build this variant here: $(head -c 200 "$T/err")"
		continue
	fi
	"$UKBUILD" oci -q "dir:$T/p/${v%%:*}" -o "$T/lp.img" --entrypoint /bin/linuxprog \
		--cmd "first arg" --cmd second -e FROM_IMAGE=yes -e EXPECT_CWD=/srv -w /srv
	qemu "$T/lp.img"
	check "oci-run/linuxprog-${v#*:}/status-42" status_is 42
	check "oci-run/linuxprog-${v#*:}/all-checks" out_has '^done 0 failed$'
	n=$(grep -c '^ok ' "$T/out")
	check "oci-run/linuxprog-${v#*:}/checks-ran" test "$n" -ge 25
	# signals: a fault's handler, kill() to itself, alarm() while spinning,
	# a handler that moves %rsp (Go's preemption), nothing written below a
	# preempted or signalled thread's %rsp, SA_RESTART
	"$UKBUILD" oci -q "dir:$T/p/${v%%:*}" -o "$T/lp.img" --entrypoint /bin/linuxprog \
		--cmd "first arg" --cmd second --cmd signals
	qemu "$T/lp.img"
	check "oci-run/linuxprog-${v#*:}/signals" out_has '^done 0 failed$'
	check "oci-run/linuxprog-${v#*:}/signals-ran" test "$(grep -c '^ok ' "$T/out")" -eq 8
done

# Images for the ukrun suite (tests/e2e/kvm/oci.sh, files listed in
# tests/e2e/kvm/oci.files), which runs where there is no ukbuild.
O=build/tests/oci
mkdir -p "$O"
cp "$T/bb.img" "$O/busybox.img" 2>/dev/null
cp "$T/sq.img" "$O/sqlite.img" 2>/dev/null
host_run sqlite usr/bin/sqlite3 "$I/sqlite.rootfs/data/test.db" "$q" >"$O/sqlite.expected"
cp "$T/py.img" "$O/python.img" 2>/dev/null
printf '%s /app hello from the python image\n' \
	"$(PYTHONHOME=$I/python.rootfs/usr host_run python usr/bin/python3.11 -c 'print(sum(i * i for i in range(1000)))')" \
	>"$O/python.expected"

# The system-call cost program (tests/guest/binary_bench) as a Linux
# program, for the ukrun suite: link mode's image is the directory's own.
mkdir -p "$T/bench/bin"
if gcc -O2 -static -o "$T/bench/bin/bench" tests/guest/binary_bench/bench.c 2>"$T/err"; then
	"$UKBUILD" oci -q "dir:$T/bench" -o "$O/bench.img" --entrypoint /bin/bench
	qemu "$O/bench.img"
	check oci-run/bench-binary out_has '^bench binary getppid [0-9.]* clock_gettime [0-9.]*$'
fi
