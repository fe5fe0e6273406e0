#!/bin/bash
# The images the container suites boot (tests/e2e/guest/oci.sh and
# oci_net.sh, under ukrun and under QEMU), made here with ukbuild from
# Debian's packages (tests/images/build.sh) into build/tests/oci/, with
# what each must print taken from the same binaries run on this machine,
# not from constants: a static busybox, sqlite3, lua5.4 and python3, the
# whiteout layers, redis and nginx (with redis' own tools), procps, and a test
# program built here as static, static-pie and dynamic against glibc and
# musl. The ukrun suites run where there is no ukbuild (the nested host):
# every file is listed in tests/e2e/guest/oci.files.
. tests/e2e/lib.sh
O=build/tests/oci

if ! I=$(bash tests/images/build.sh busybox sqlite lua python layers musl redis nginx procps 2>"$T/images.log"); then
	skip oci-images/all "the test images could not be built from Debian's packages: $(tail -c 300 "$T/images.log" | tr '\n' '|')"
	exit 0
fi
mkdir -p "$O"

# A program of an image run on this machine through the image's own
# dynamic loader: the same binary as a Linux process.
host_run() { # IMAGE PROGRAM ARG...
	local r=$I/$1.rootfs l
	l=$r/usr/lib/x86_64-linux-gnu
	shift
	"$l/ld-linux-x86-64.so.2" --library-path "$l" "$r/$@"
}

# image NAME SOURCE [ukbuild oci options]: $O/NAME.img, checked to be made.
image() {
	local n=$1 src=$2
	shift 2
	rm -f "$O/$n.img"
	run "$UKBUILD" oci -q "$src" -o "$O/$n.img" "$@"
	check "oci-images/$n" test "$rc" -eq 0 -a -s "$O/$n.img"
}

# ---- busybox: builtins, then an applet through exec ----
script='echo hello; echo "$GREETING"; pwd; cd /bin && pwd; x=$((6 * 7)); echo "x=$x";
for i in 1 2 3; do printf "%s-" $i; done; echo; test -d /tmp && echo tmp-is-dir;
f() { echo "in f $1"; }; f arg; read line < /home/uk/README; echo "read: $line";
case $x in 42) echo case-ok;; esac; export NEW=exported; exec env'
image busybox "oci:$I/busybox.oci" --cmd sh --cmd -c --cmd "$script"
head -1 "$I/busybox.rootfs/home/uk/README" >"$O/busybox-readme.expected"
# Applets as the shell's last command (busybox runs them in place or
# through /proc/self/exe), and one directly as the entrypoint.
image busybox-applet-last "oci:$I/busybox.oci" --cmd sh --cmd -c --cmd 'wc -c /home/uk/README'
echo "$(wc -c <"$I/busybox.rootfs/home/uk/README") /home/uk/README" >"$O/busybox-applet-last.expected"
image busybox-ls "oci:$I/busybox.oci" --entrypoint ls --cmd -1 --cmd /
image busybox-exit7 "oci:$I/busybox.oci" --cmd sh --cmd -c --cmd 'exit 7'
image busybox-fork "oci:$I/busybox.oci" --cmd sh --cmd -c --cmd 'echo a; ls /; echo b'
# A script as the entrypoint: its #! line names the interpreter.
printf '#!/bin/sh -e\necho "script $0 $1"\n' >"$T/run.sh"
chmod +x "$T/run.sh"
image busybox-script "oci:$I/busybox.oci" --add "$T/run.sh:/usr/local/bin/run.sh" --entrypoint run.sh --cmd arg1
image busybox-missing "oci:$I/busybox.oci" --entrypoint no-such-program

# ---- Debian's procps (ps, pgrep, top) beside busybox's sh: tests/e2e/guest/proc.sh ----
image procps "oci:$I/procps.oci"

# ---- whiteouts, seen from inside ----
image layers "docker-archive:$I/layers.tar"

# ---- dynamic glibc programs from Debian ----
q='select count(*), sum(n) from t where n % 7 = 0;'
image sqlite "oci:$I/sqlite.oci"
host_run sqlite usr/bin/sqlite3 "$I/sqlite.rootfs/data/test.db" "$q" >"$O/sqlite.expected"
image sqlite-cmd "oci:$I/sqlite.oci" --cmd :memory: --cmd 'select sqlite_version(), 6*7;'
host_run sqlite usr/bin/sqlite3 :memory: 'select sqlite_version(), 6*7;' >"$O/sqlite-cmd.expected"
image lua "oci:$I/lua.oci"
host_run lua usr/bin/lua5.4 -e "print(string.format('%d', 3^30 // 7))" >"$O/lua.expected"
image python "oci:$I/python.oci"
printf '%s /app hello from the python image\n' \
	"$(PYTHONHOME=$I/python.rootfs/usr host_run python usr/bin/python3.11 -c 'print(sum(i * i for i in range(1000)))')" \
	>"$O/python.expected"

# ---- network servers: redis and nginx (single-process flags in their
# images' configuration); the image's redis programs with their
# libraries, to run redis-cli and redis-benchmark on the host and the same
# redis-server as a Linux process ----
image redis "oci:$I/redis.oci"
image nginx "oci:$I/nginx.oci"
cp "$I/nginx.rootfs/srv/www/index.html" "$O/nginx.expected"
(cd "$I/redis.rootfs" && tar -cf - usr/bin/redis-* usr/lib/x86_64-linux-gnu/*.so*) >"$O/redis-tools.tar"

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
	n=linuxprog-${v#*:}
	rm -f "$O/$n.img" "$O/$n-signals.img"
	case $v in m*) [ $built_musl -eq 0 ] || built=1 ;; esac
	if [ $built -ne 0 ]; then
		skip "oci-images/$n" "gcc cannot build this variant here: $(head -c 200 "$T/err")"
		continue
	fi
	image "$n" "dir:$T/p/${v%%:*}" --entrypoint /bin/linuxprog \
		--cmd "first arg" --cmd second -e FROM_IMAGE=yes -e EXPECT_CWD=/srv -w /srv
	image "$n-signals" "dir:$T/p/${v%%:*}" --entrypoint /bin/linuxprog \
		--cmd "first arg" --cmd second --cmd signals
done

# The system-call cost program (tests/guest/binary_bench) as a Linux
# program: link mode's image is the directory's own.
mkdir -p "$T/bench/bin"
rm -f "$O/bench.img"
if gcc -O2 -static -o "$T/bench/bin/bench" tests/guest/binary_bench/bench.c 2>"$T/err"; then
	image bench "dir:$T/bench" --entrypoint /bin/bench
else
	skip oci-images/bench "gcc cannot build tests/guest/binary_bench/bench.c here: $(head -c 200 "$T/err")"
fi
