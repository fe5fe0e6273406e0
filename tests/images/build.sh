#!/usr/bin/env bash
# Test images for `ukbuild oci`, built from Debian's own packages (apt-get
# download + dpkg-deb -x), as OCI image layouts and as docker archives,
# with standard tools only (tar, gzip, zstd, sha256sum); plus hostile
# images crafted on purpose.
#
#   tests/images/build.sh [NAME...]     build (default: all); prints the directory
#   tests/images/build.sh --list        the names
#
# Output, cached in $UK_CACHE/images (default ~/.cache/uk/images) and
# rebuilt only when this script or a package version changes:
#   NAME.oci/          OCI image layout, tag "latest"
#   NAME.tar           docker archive (docker save's classic layout)
#   NAME.rootfs/       the flattened root filesystem, for host-side checks
#                      and for running the same binaries on the host
#
# Images (Debian bookworm binaries, usr-merged like Debian's own images):
#   busybox   static busybox, one uncompressed layer
#   sqlite    sqlite3 (dynamic glibc) with a database made here
#   lua       lua5.4, zstd layers
#   python    python3.11 (minimal)
#   redis     redis-server, redis-cli, redis-benchmark
#   nginx     nginx with a single-process configuration
#   go        a Go net/http server (progs/server.go) built with Debian's Go
#   node      nodejs running progs/server.js
#   pyhttp    python3 -m http.server (the full standard library)
#   java      openjdk-17-jre-headless running progs/Hello.java's class;
#             progs/WebServer.java's (com.sun.net.httpserver) beside it
#   postgres  postgresql-15's server and initdb, dash for initdb's popen():
#             /usr/local/bin/pg-start makes a cluster, then runs the server
#   mosquitto mosquitto 2.0 with Debian's stock mosquitto.conf and a
#             listener for the network (conf.d/uk.conf: port 1883,
#             anonymous clients, as the eclipse-mosquitto image's)
#   sshd      openssh-server 9.2 with Debian's stock sshd_config and PAM
#             configuration (pam-auth-update's, pam_unix), host keys
#             made here, root's authorized_keys from /ssh/key.pub (the
#             key made here, its private half beside: sshd.rootfs/ssh/key)
#   etcd      etcd-server 3.4 (Go, its libc alone): data in /var/lib/etcd,
#             clients on 0.0.0.0:2379 (the flags as the etcd image's users
#             give them)
#   procps    Debian's procps (ps, pgrep, pkill, top, free, pmap) with a
#             static busybox's sh, sleep and cat beside it
#   layers    busybox + a layer of whiteouts + a later layer's files
#   hostile-* tarballs that try to leave the root or are broken
#   musl      not an image: Debian's musl and musl-dev unpacked (musl.rootfs),
#             to build the test program against musl
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${UK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uk}/images
debs=$cache/debs
all="busybox sqlite lua python redis nginx go node pyhttp java postgres mosquitto sshd etcd procps layers musl hostile-dotdot hostile-symlink
 hostile-truncated hostile-hardlink hostile-device hostile-tampered"
base_pkgs="libc6 libgcc-s1 zlib1g"

log() { echo "images: $*" >&2; }

# ---- packages ----

# PKG=VERSION for each package: the newest version a repository has (the
# candidate may be one only this machine has, e.g. nodejs from another
# vendor, which apt-get download cannot fetch). apt-cache madison lists
# the newest first; one call for all, it is slow.
downloadable() {
	apt-cache madison "$@" 2>/dev/null | awk -F' *[|] *' -v pkgs="$*" '
		$3 ~ / Packages$/ { sub(/^ */, "", $1); if (!($1 in v)) v[$1] = $2 }
		END { n = split(pkgs, p, " "); for (i = 1; i <= n; i++) print p[i] (p[i] in v ? "=" v[p[i]] : "") }'
}

# The file names apt-get download gives the packages (versions included),
# one a line. Asked from an empty directory: apt-get prints nothing for a
# package whose file is already where it runs.
deb_names() {
	mkdir -p "$cache/empty"
	(cd "$cache/empty" && apt-get download --print-uris $(downloadable "$@") 2>/dev/null) | awk '{print $2}'
}

# Download what is missing into $debs; print the .deb paths, in order.
fetch() {
	local names f missing=() p out=()
	mkdir -p "$debs"
	names=$(deb_names "$@")
	for p in "$@"; do
		# apt-get lists them in its own order: match by name
		f=$(grep -m1 "^${p}_" <<<"$names") ||
			{ echo "images: no package $p (apt-get update?)" >&2; return 1; }
		out+=("$debs/$f")
		[ -f "$debs/$f" ] || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "downloading ${missing[*]}"
		(cd "$debs" && apt-get download -q $(downloadable "${missing[@]}") >/dev/null 2>&1) ||
			{ echo "images: apt-get download ${missing[*]} failed" >&2; return 1; }
	fi
	printf '%s\n' "${out[@]}"
}

# Debian's images are usr-merged: /bin, /sbin, /lib, /lib64 are links
# into /usr. Packages still ship some files under the old names.
usrmerge() {
	local d=$1 x
	for x in bin sbin lib lib64; do
		[ -d "$d/$x" ] && [ ! -L "$d/$x" ] || continue
		mkdir -p "$d/usr/$x"
		cp -a "$d/$x/." "$d/usr/$x/"
		rm -rf "${d:?}/$x"
	done
}

# Unpack packages into a layer directory.
unpack() { # DIR PKG...
	local d=$1 f
	shift
	mkdir -p "$d"
	for f in $(fetch "$@"); do dpkg-deb -x "$f" "$d"; done
	usrmerge "$d"
	rm -rf "$d/usr/share/doc" "$d/usr/share/man" "$d/usr/share/lintian" "$d/usr/share/info"
}

base_layer() { # DIR
	local d=$1
	unpack "$d" $base_pkgs
	for x in bin sbin lib lib64; do ln -s "usr/$x" "$d/$x"; done
	mkdir -p "$d/etc" "$d/tmp" "$d/root" "$d/var/tmp"
	chmod 1777 "$d/tmp" "$d/var/tmp"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'redis:x:100:101::/var/lib/redis:/usr/sbin/nologin' \
		'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin' \
		'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$d/etc/passwd"
	printf '%s\n' 'root:x:0:' 'www-data:x:33:' 'redis:x:101:' 'nogroup:x:65534:' >"$d/etc/group"
	printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$d/etc/nsswitch.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$d/etc/hosts"
	printf 'PRETTY_NAME="uk test image (Debian packages)"\nID=debian\n' >"$d/etc/os-release"
}

# ---- layers and images ----

# A layer tar from a directory, deterministic (sorted, fixed owner, time).
layer_tar() { # DIR OUT.tar
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@1700000000 \
		--format=gnu -C "$1" -cf "$2" .
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
json_list() { # WORD... -> ["a","b"]
	local out= w
	for w in "$@"; do out+="${out:+,}$(json_str "$w")"; done
	printf '[%s]' "$out"
}

# Image settings, set by each image's recipe before assemble().
reset_config() {
	ENTRYPOINT=null CMD=null ENV='[]' WORKDIR= USER_= PORTS= COMPRESS=gzip
}

config_json() { # DIFF_ID...
	local ids= d ports= p
	for d in "$@"; do ids+="${ids:+,}\"sha256:$d\""; done
	for p in $PORTS; do ports+="${ports:+,}\"$p\":{}"; done
	printf '{"architecture":"amd64","os":"linux","created":"2023-11-14T22:13:20Z",'
	printf '"config":{"Entrypoint":%s,"Cmd":%s,"Env":%s,"WorkingDir":%s,"User":%s' \
		"$ENTRYPOINT" "$CMD" "$ENV" "$(json_str "$WORKDIR")" "$(json_str "$USER_")"
	[ -n "$ports" ] && printf ',"ExposedPorts":{%s}' "$ports"
	printf '},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$ids"
}

# Layer tars (uncompressed) -> NAME.oci (compressed per $COMPRESS) and
# NAME.tar (docker archive, uncompressed layers as docker save writes).
assemble() { # NAME TAR...
	local name=$1 work=$cache/$1.work t i=0 d diff cfg cd mt manifest_layers= docker_layers=
	shift
	rm -rf "$cache/$name.oci" "$work/docker"
	mkdir -p "$cache/$name.oci/blobs/sha256" "$work/docker"
	local diffs=()
	for t in "$@"; do
		diff=$(sha "$t")
		diffs+=("$diff")
		case $COMPRESS in
		gzip) gzip -n -c "$t" >"$work/layer.z"; mt=application/vnd.oci.image.layer.v1.tar+gzip ;;
		zstd) zstd -q -c "$t" >"$work/layer.z"; mt=application/vnd.oci.image.layer.v1.tar+zstd ;;
		none) cp "$t" "$work/layer.z"; mt=application/vnd.oci.image.layer.v1.tar ;;
		esac
		d=$(sha "$work/layer.z")
		mv "$work/layer.z" "$cache/$name.oci/blobs/sha256/$d"
		manifest_layers+="${manifest_layers:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$d\",\"size\":$(stat -c %s "$cache/$name.oci/blobs/sha256/$d")}"
		mkdir -p "$work/docker/$diff"
		cp "$t" "$work/docker/$diff/layer.tar"
		docker_layers+="${docker_layers:+,}\"$diff/layer.tar\""
		i=$((i + 1))
	done
	config_json "${diffs[@]}" >"$work/config.json"
	cfg=$(sha "$work/config.json")
	cp "$work/config.json" "$cache/$name.oci/blobs/sha256/$cfg"
	cp "$work/config.json" "$work/docker/$cfg.json"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
		"$cfg" "$(stat -c %s "$work/config.json")" "$manifest_layers" >"$work/manifest.json"
	cd=$(sha "$work/manifest.json")
	cp "$work/manifest.json" "$cache/$name.oci/blobs/sha256/$cd"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
		"$cd" "$(stat -c %s "$work/manifest.json")" >"$cache/$name.oci/index.json"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$cache/$name.oci/oci-layout"
	printf '[{"Config":"%s.json","RepoTags":["uk-test/%s:latest"],"Layers":[%s]}]' \
		"$cfg" "$name" "$docker_layers" >"$work/docker/manifest.json"
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@1700000000 \
		-C "$work/docker" -cf "$cache/$name.tar" .
}

# Flatten layer directories (no whiteouts in the Debian images) for the
# host-side checks and host runs.
flatten() { # NAME DIR...
	local out=$cache/$1.rootfs d
	shift
	rm -rf "$out"
	mkdir -p "$out"
	for d in "$@"; do cp -a "$d/." "$out/"; done
}

# Run a program of the image's layers on this machine, through the
# image's own dynamic loader and libraries (no chroot, no root needed).
run_host() { # BASE-LAYER APP-LAYER PROGRAM ARG...
	local base=$1 app=$2 prog=$3 lib
	shift 3
	lib=$base/usr/lib/x86_64-linux-gnu:$app/usr/lib/x86_64-linux-gnu
	"$base/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$lib" "$app/$prog" "$@"
}

# Every NEEDED library of every ELF file must be in the image: a wrong
# package list fails here, not in the guest.
check_libs() { # ROOTFS
	local r=$1 f so missing= names
	# Libraries a program loads by their path before the ones that need
	# them (the JVM's libjvm.so): found by name anywhere in the image.
	names=$(find "$r" -name '*.so*' -printf '%f\n' | sort -u)
	while IFS= read -r f; do
		for so in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			# the library directory, or beside the module (gconv)
			[ -e "$r/usr/lib/x86_64-linux-gnu/$so" ] || [ -e "$(dirname "$f")/$so" ] ||
				grep -qxF "$so" <<<"$names" || missing+=" $so(${f#$r})"
		done
	done < <(find "$r" -type f \( -perm -u+x -o -name '*.so*' \) -size +1k)
	[ -z "$missing" ] || { echo "images: missing libraries:$missing" >&2; return 1; }
}

# ---- the images ----

procps_pkgs="procps libproc2-0 libncursesw6 libtinfo6 libsystemd0 libcap2 libgcrypt20 libgpg-error0
 liblz4-1 liblzma5 libzstd1 ncurses-base"

img_busybox() {
	local w=$1 a
	mkdir -p "$w/l1/bin"
	dpkg-deb -x "$(fetch busybox-static)" "$w/deb"
	cp "$w/deb/bin/busybox" "$w/l1/bin/busybox"
	for a in $("$w/l1/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$w/l1/bin/$a"
	done
	mkdir -p "$w/l1/tmp" "$w/l1/home/uk" "$w/l1/etc"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$w/l1/etc/passwd"
	echo "made by tests/images/build.sh" >"$w/l1/home/uk/README"
	layer_tar "$w/l1" "$w/1.tar"
	reset_config
	COMPRESS=none
	CMD='["sh"]'
	ENV='["GREETING=hello from the busybox image"]'
	WORKDIR=/home/uk
	assemble busybox "$w/1.tar"
	flatten busybox "$w/l1"
}

img_procps() {
	local w=$1 a
	base_layer "$w/l1"
	unpack "$w/l2" $procps_pkgs
	dpkg-deb -x "$(fetch busybox-static)" "$w/deb"
	cp "$w/deb/bin/busybox" "$w/l2/usr/bin/busybox"
	for a in sh sleep cat; do ln -s busybox "$w/l2/usr/bin/$a"; done
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	reset_config
	ENTRYPOINT='["sh"]'
	ENV='["PATH=/usr/bin:/bin","TERM=dumb"]'
	assemble procps "$w/1.tar" "$w/2.tar"
	flatten procps "$w/l1" "$w/l2"
}

img_sqlite() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" sqlite3 libsqlite3-0 libreadline8 libtinfo6
	mkdir -p "$w/l2/data"
	# A database the guest queries; the test asks the host's sqlite3 the
	# same question.
	run_host "$w/l1" "$w/l2" usr/bin/sqlite3 "$w/l2/data/test.db" "create table t(n integer, s text);
		with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000)
		insert into t select x, 'row ' || x from c;"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	reset_config
	ENTRYPOINT='["sqlite3"]'
	CMD='["/data/test.db","select count(*), sum(n) from t where n % 7 = 0;"]'
	assemble sqlite "$w/1.tar" "$w/2.tar"
	flatten sqlite "$w/l1" "$w/l2"
}

img_lua() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" lua5.4 libreadline8 libtinfo6
	mkdir -p "$w/l2/srv/lua"
	echo "a file read relative to the working directory" >"$w/l2/srv/lua/data.txt"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	reset_config
	COMPRESS=zstd
	ENTRYPOINT='["lua5.4"]'
	CMD=$(json_list -e "local f = io.open('data.txt'); print(string.format('%d', 3^30 // 7), os.getenv('GREETING'), f and f:read('l'))")
	ENV='["GREETING=hello from the lua image"]'
	WORKDIR=/srv/lua
	assemble lua "$w/1.tar" "$w/2.tar"
	flatten lua "$w/l1" "$w/l2"
}

img_python() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" python3.11-minimal libpython3.11-minimal libexpat1 python3-minimal libssl3
	mkdir -p "$w/l2/app"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	reset_config
	ENTRYPOINT='["python3"]'
	CMD=$(json_list -c "import os; print(sum(i * i for i in range(1000)), os.getcwd(), os.environ['GREETING'])")
	ENV='["GREETING=hello from the python image","PATH=/usr/local/bin:/usr/bin:/bin"]'
	WORKDIR=/app
	assemble python "$w/1.tar" "$w/2.tar"
	flatten python "$w/l1" "$w/l2"
}

img_redis() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" redis-tools redis-server libatomic1 liblzf1 libjemalloc2 libstdc++6 libsystemd0 libssl3 \
		libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1
	mkdir -p "$w/l2/data"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	reset_config
	# One process: no background saves (they fork), no daemon.
	ENTRYPOINT='["redis-server"]'
	CMD='["--save","","--appendonly","no","--daemonize","no","--protected-mode","no","--bind","0.0.0.0"]'
	WORKDIR=/data
	PORTS=6379/tcp
	assemble redis "$w/1.tar" "$w/2.tar"
	flatten redis "$w/l1" "$w/l2"
}

img_nginx() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" nginx nginx-common libcrypt1 libpcre2-8-0 libssl3
	mkdir -p "$w/l3/etc/nginx" "$w/l3/srv/www" "$w/l3/var/lib/nginx" "$w/l3/var/log/nginx"
	# One process: no daemon, no master (it would fork its workers).
	cat >"$w/l3/etc/nginx/uk.conf" <<-'CONF'
	daemon off;
	master_process off;
	worker_processes 1;
	error_log stderr notice;
	pid /tmp/nginx.pid;
	events { worker_connections 1024; }
	http {
		access_log off;
		include /etc/nginx/mime.types;
		server {
			listen 80;
			root /srv/www;
		}
	}
	CONF
	www "$w/l3" nginx
	# Debian's stock nginx.conf as its postinst leaves it: the default site
	# linked into sites-enabled (listen 80 and [::]:80, root /var/www/html,
	# where the same files go), and the directory of its pid file.
	mkdir -p "$w/l3/run" "$w/l3/etc/nginx/sites-enabled" "$w/l3/var/www/html"
	ln -s /etc/nginx/sites-available/default "$w/l3/etc/nginx/sites-enabled/default"
	cp "$w/l3/srv/www/index.html" "$w/l3/srv/www/big.txt" "$w/l3/var/www/html/"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	layer_tar "$w/l3" "$w/3.tar"
	reset_config
	ENTRYPOINT='["nginx","-c","/etc/nginx/uk.conf"]'
	PORTS=80/tcp
	assemble nginx "$w/1.tar" "$w/2.tar" "$w/3.tar"
	flatten nginx "$w/l1" "$w/l2" "$w/l3"
}

# The files the web servers serve (/srv/www): a page naming the server,
# and 100 KiB of numbers (more than a TCP window: several segments, acks).
www() { # LAYER-DIR SERVER
	mkdir -p "$1/srv/www"
	echo "<h1>served by $2 in a uk microVM</h1>" >"$1/srv/www/index.html"
	seq 1 19000 >"$1/srv/www/big.txt"
}

# Debian's Go toolchain (golang-go's compiler package and its sources),
# unpacked once into $cache/tools: the Go server is compiled with it.
go_pkgs() {
	local v
	v=$(apt-cache depends golang-go 2>/dev/null | awk '/Depends: golang-1\.[0-9]*-go$/ { print $2; exit }')
	[ -n "$v" ] || { echo "images: cannot tell which golang-1.N-go golang-go uses (apt-get update?)" >&2; return 1; }
	echo "$v ${v%-go}-src"
}
go_root() { # -> GOROOT
	local pkgs f d x
	pkgs=$(go_pkgs) || return 1
	f=$(fetch $pkgs) || return 1
	d=$cache/tools/$(basename "$(head -1 <<<"$f")" .deb)
	if [ ! -f "$d/.done" ]; then
		log "unpacking $pkgs"
		rm -rf "$d"
		mkdir -p "$d"
		for x in $f; do dpkg-deb -x "$x" "$d"; done
		touch "$d/.done"
	fi
	pkgs=${pkgs%%-go *}
	echo "$d/usr/lib/go-${pkgs#golang-}"
}

# A Go net/http server (progs/server.go), static: no base layer at all.
img_go() {
	local w=$1 goroot
	goroot=$(go_root) || return 1
	mkdir -p "$w/l1/usr/local/bin" "$w/l1/etc" "$w/l1/tmp"
	chmod 1777 "$w/l1/tmp"
	(cd "$here/progs" && CGO_ENABLED=0 GOROOT=$goroot GOCACHE=$w/gocache GOPATH=$w/gopath GOFLAGS=-trimpath \
		GO111MODULE=off GOTOOLCHAIN=local "$goroot/bin/go" build -o "$w/l1/usr/local/bin/server" server.go) ||
		{ echo "images: go build progs/server.go failed" >&2; return 1; }
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$w/l1/etc/passwd"
	printf '127.0.0.1\tlocalhost\n' >"$w/l1/etc/hosts"
	www "$w/l1" go
	layer_tar "$w/l1" "$w/1.tar"
	reset_config
	ENTRYPOINT='["/usr/local/bin/server"]'
	CMD='["8080","/srv/www"]'
	PORTS=8080/tcp
	assemble go "$w/1.tar"
	flatten go "$w/l1"
}

node_pkgs="nodejs libnode108 libbrotli1 libc-ares2 libicu72 libnghttp2-14 libssl3 libstdc++6 libuv1
 node-acorn node-cjs-module-lexer node-undici"
img_node() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" $node_pkgs
	mkdir -p "$w/l3/app"
	cp "$here/progs/server.js" "$w/l3/app/server.js"
	www "$w/l3" node
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	layer_tar "$w/l3" "$w/3.tar"
	reset_config
	ENTRYPOINT='["node","/app/server.js"]'
	CMD='["8080","/srv/www"]'
	PORTS=8080/tcp
	assemble node "$w/1.tar" "$w/2.tar" "$w/3.tar"
	flatten node "$w/l1" "$w/l2" "$w/l3"
}

# python3 -m http.server: the full standard library this time.
pyhttp_pkgs="python3.11-minimal libpython3.11-minimal libpython3.11-stdlib python3-minimal media-types
 libexpat1 libssl3 libbz2-1.0 libcrypt1 libdb5.3 libffi8 liblzma5 libncursesw6 libnsl2 libreadline8
 libsqlite3-0 libtinfo6 libtirpc3 libuuid1 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0
 libcom-err2 libkeyutils1"
img_pyhttp() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" $pyhttp_pkgs
	ln -sf python3.11 "$w/l2/usr/bin/python3"
	www "$w/l3" python
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	layer_tar "$w/l3" "$w/3.tar"
	reset_config
	ENTRYPOINT='["python3","-m","http.server"]'
	CMD='["8000"]'
	ENV='["PATH=/usr/local/bin:/usr/bin:/bin"]'
	WORKDIR=/srv/www
	PORTS=8000/tcp
	assemble pyhttp "$w/1.tar" "$w/2.tar" "$w/3.tar"
	flatten pyhttp "$w/l1" "$w/l2" "$w/l3"
}

# Debian's headless JRE and a class compiled here by that JRE's own javac
# (the jdk.compiler module is in its modules file). The JRE's desktop
# libraries (AWT, fonts, images, sound, smart cards) are left out: a
# headless program does not load them and they would need twenty more
# packages.
java_pkgs="openjdk-17-jre-headless libstdc++6"
img_java() {
	local w=$1 jre=usr/lib/jvm/java-17-openjdk-amd64 l
	base_layer "$w/l1"
	unpack "$w/l2" $java_pkgs
	for l in awt awt_headless fontmanager javajpeg lcms jsound splashscreen mlib_image j2pcsc; do
		rm -f "$w/l2/$jre/lib/lib$l.so"
	done
	mkdir -p "$w/l2/usr/bin"
	ln -sf "/$jre/bin/java" "$w/l2/usr/bin/java"
	mkdir -p "$w/l3/app"
	"$w/l2/$jre/bin/java" -XX:TieredStopAtLevel=1 --module jdk.compiler/com.sun.tools.javac.Main \
		-d "$w/l3/app" "$here/progs/Hello.java" "$here/progs/WebServer.java" ||
		{ echo "images: javac Hello.java WebServer.java failed" >&2; return 1; }
	www "$w/l3" java
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	layer_tar "$w/l3" "$w/3.tar"
	reset_config
	ENTRYPOINT='["java"]'
	CMD='["-cp","/app","Hello"]'
	assemble java "$w/1.tar" "$w/2.tar" "$w/3.tar"
	flatten java "$w/l1" "$w/l2" "$w/l3"
}

# postgres as the official image runs it: a script makes the cluster on the
# first start (initdb forks and execs postgres in bootstrap and single-user
# mode through popen, so /bin/sh is dash), lets every host in without a
# password, and execs the server as user postgres. The modules that need
# more libraries (LLVM's JIT, SELinux, libxslt, uuid) are left out, and
# every program but the server and initdb.
postgres_pkgs="postgresql-15 libpq5 dash tzdata libicu72 libxml2 libssl3 libgssapi-krb5-2 libkrb5-3
 libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1 libldap-2.5-0 libsasl2-2 libsasl2-modules-db
 libdb5.3 libgnutls30 libp11-kit0 libidn2-0 libunistring2 libtasn1-6 libnettle8 libhogweed6 libgmp10
 libffi8 liblz4-1 libzstd1 libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblzma5 libpam0g libaudit1
 libcap-ng0 libstdc++6"
img_postgres() {
	local w=$1 pg=usr/lib/postgresql/15 f
	base_layer "$w/l1"
	unpack "$w/l2" $postgres_pkgs
	rm -rf "$w/l2/$pg/lib/bitcode" "$w/l2/$pg/lib/pgxs" "$w/l2/etc/postgresql-common"
	rm -f "$w/l2/$pg/lib/"{llvmjit.so,llvmjit_types.bc,sepgsql.so,pgxml.so,uuid-ossp.so}
	for f in "$w/l2/$pg/bin/"*; do
		case ${f##*/} in postgres | initdb) ;; *) rm -f "$f" ;; esac
	done
	ln -sf dash "$w/l2/usr/bin/sh"
	mkdir -p "$w/l3/etc" "$w/l3/usr/local/bin" "$w/l3/var/lib/postgresql" "$w/l3/var/run/postgresql"
	cp "$w/l1/etc/passwd" "$w/l1/etc/group" "$w/l3/etc/"
	echo 'postgres:x:102:103:PostgreSQL administrator:/var/lib/postgresql:/bin/sh' >>"$w/l3/etc/passwd"
	echo 'postgres:x:103:' >>"$w/l3/etc/group"
	# (the layers' files are root's: postgres makes its cluster in here)
	chmod 1777 "$w/l3/var/lib/postgresql" "$w/l3/var/run/postgresql"
	cat >"$w/l3/usr/local/bin/pg-start" <<-'SH'
	#!/bin/sh
	# ARGS: more server settings (-c name=value).
	export PATH=/usr/lib/postgresql/15/bin:/usr/bin TZ=UTC
	: "${PGDATA:=/var/lib/postgresql/data}"
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		initdb -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C >/tmp/initdb.log 2>&1 ||
			{ cat /tmp/initdb.log >&2; exit 1; }
		echo "host all all all trust" >>"$PGDATA/pg_hba.conf"
	fi
	exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"
	SH
	chmod +x "$w/l3/usr/local/bin/pg-start"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	layer_tar "$w/l3" "$w/3.tar"
	reset_config
	ENTRYPOINT='["/usr/local/bin/pg-start"]'
	USER_=postgres
	PORTS=5432/tcp
	assemble postgres "$w/1.tar" "$w/2.tar" "$w/3.tar"
	flatten postgres "$w/l1" "$w/l2" "$w/l3"
}

mosquitto_pkgs="mosquitto libmosquitto1 libcjson1 libdlt2 libwrap0 libnsl2 libtirpc3 libssl3 libcap2 libsystemd0 libgcrypt20
 libgpg-error0 liblz4-1 liblzma5 libzstd1 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0
 libcom-err2 libkeyutils1"

img_mosquitto() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" $mosquitto_pkgs
	mkdir -p "$w/l3/etc/mosquitto/conf.d" "$w/l3/run/mosquitto" "$w/l3/var/lib/mosquitto" \
		"$w/l3/var/log/mosquitto"
	cp "$w/l1/etc/passwd" "$w/l1/etc/group" "$w/l3/etc/"
	echo 'mosquitto:x:103:104::/var/lib/mosquitto:/usr/sbin/nologin' >>"$w/l3/etc/passwd"
	echo 'mosquitto:x:104:' >>"$w/l3/etc/group"
	# (the layers' files are root's: mosquitto drops to its user first)
	chmod 1777 "$w/l3/run/mosquitto" "$w/l3/var/lib/mosquitto" "$w/l3/var/log/mosquitto"
	# Version 2 listens on loopback alone until a listener is named; a
	# publisher may send faster than a subscriber takes (1000 queued
	# QoS 1 messages a client, then it drops): the suite counts them all
	printf '%s\n' 'listener 1883' 'allow_anonymous true' 'log_dest stderr' \
		'max_queued_messages 1000000' >"$w/l3/etc/mosquitto/conf.d/uk.conf"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	layer_tar "$w/l3" "$w/3.tar"
	reset_config
	ENTRYPOINT='["mosquitto","-c","/etc/mosquitto/mosquitto.conf"]'
	PORTS=1883/tcp
	assemble mosquitto "$w/1.tar" "$w/2.tar" "$w/3.tar"
	flatten mosquitto "$w/l1" "$w/l2" "$w/l3"
}

sshd_pkgs="openssh-server openssh-sftp-server bash coreutils libpam0g libpam-modules
 libpam-modules-bin libpam-runtime libaudit1 libcap-ng0 libcrypt1 libdb5.3 libselinux1 libpcre2-8-0
 libssl3 libwrap0 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0
 libcom-err2 libkeyutils1 libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1
 libtinfo6 libacl1 libattr1 libgmp10"

img_sshd() {
	local w=$1 f
	# A PAM common-* template of libpam-runtime with pam_unix as its one
	# module, as pam-auth-update writes it on a fresh Debian.
	pam_common() { # NAME <TEMPLATE
		local primary extra=
		case $1 in
		account) primary='account	[success=1 new_authtok_reqd=done default=ignore]	pam_unix.so' ;;
		auth) primary='auth	[success=1 default=ignore]	pam_unix.so nullok' ;;
		password) primary='password	[success=1 default=ignore]	pam_unix.so obscure yescrypt' ;;
		session*) primary='session	[default=1]	pam_permit.so' extra='session	required	pam_unix.so' ;;
		esac
		awk -v p="$primary" -v x="$extra" '/^\$[a-z_]*primary$/ { print p; next }
			/^\$[a-z_]*additional$/ { if (x != "") print x; next } { print }'
	}
	base_layer "$w/l1"
	unpack "$w/l2" $sshd_pkgs
	mkdir -p "$w/l3/etc/ssh" "$w/l3/etc/pam.d" "$w/l3/run/sshd" "$w/l3/root/.ssh" "$w/l3/ssh"
	# What the packages' maintainer scripts make: sshd_config, the host
	# keys, the privilege separation user, pam-auth-update's common-*
	cp "$w/l2/usr/share/openssh/sshd_config" "$w/l3/etc/ssh/"
	ssh-keygen -q -A -f "$w/l3" >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$w/l3/ssh/key"
	cp "$w/l3/ssh/key.pub" "$w/l3/root/.ssh/authorized_keys"
	chmod 700 "$w/l3/root/.ssh"
	chmod 600 "$w/l3/root/.ssh/authorized_keys"
	cp "$w/l1/etc/passwd" "$w/l1/etc/group" "$w/l3/etc/"
	sed -i 's|^root:x:0:0:root:/root:/bin/sh$|root:x:0:0:root:/root:/bin/bash|' "$w/l3/etc/passwd"
	echo 'sshd:x:104:65534::/run/sshd:/usr/sbin/nologin' >>"$w/l3/etc/passwd"
	printf 'root:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\n' >"$w/l3/etc/shadow"
	chmod 640 "$w/l3/etc/shadow"
	for f in account auth password session session-noninteractive; do
		pam_common "$f" <"$w/l2/usr/share/pam/common-$f" >"$w/l3/etc/pam.d/common-$f"
	done
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	layer_tar "$w/l3" "$w/3.tar"
	reset_config
	ENTRYPOINT='["/usr/sbin/sshd","-D","-e"]'
	PORTS=22/tcp
	assemble sshd "$w/1.tar" "$w/2.tar" "$w/3.tar"
	flatten sshd "$w/l1" "$w/l2" "$w/l3"
}

img_etcd() {
	local w=$1
	base_layer "$w/l1"
	unpack "$w/l2" etcd-server
	rm -rf "$w/l2/etc/init.d" "$w/l2/usr/lib/systemd"
	mkdir -p "$w/l2/var/lib/etcd"
	chmod 700 "$w/l2/var/lib/etcd"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	reset_config
	ENTRYPOINT='["/usr/bin/etcd"]'
	CMD='["--data-dir","/var/lib/etcd","--listen-client-urls","http://0.0.0.0:2379","--advertise-client-urls","http://127.0.0.1:2379"]'
	PORTS=2379/tcp
	assemble etcd "$w/1.tar" "$w/2.tar"
	flatten etcd "$w/l1" "$w/l2"
}

img_musl() {
	local w=$1
	mkdir -p "$w/l1"
	for f in $(fetch musl musl-dev); do dpkg-deb -x "$f" "$w/l1"; done
	rm -rf "$cache/musl.rootfs"
	mv "$w/l1" "$cache/musl.rootfs"
}

# Whiteouts: layer 2 deletes a file, a file in a subdirectory, and makes a
# directory opaque (hiding layer 1's entries, keeping its own); layer 3
# adds files, one of them through a symlink of layer 1.
img_layers() {
	local w=$1 a
	mkdir -p "$w/l1/bin" "$w/l1/data/dir" "$w/l1/opq" "$w/l1/usr/local/bin"
	dpkg-deb -x "$(fetch busybox-static)" "$w/deb"
	cp "$w/deb/bin/busybox" "$w/l1/bin/busybox"
	for a in sh ls cat echo; do ln -s busybox "$w/l1/bin/$a"; done
	ln -s usr/local/bin "$w/l1/lbin"
	echo keep >"$w/l1/data/keep"
	echo gone >"$w/l1/data/gone"
	echo a >"$w/l1/data/dir/a"
	echo b >"$w/l1/data/dir/b"
	echo old1 >"$w/l1/opq/old1"
	echo old2 >"$w/l1/opq/old2"
	mkdir -p "$w/l2/data/dir" "$w/l2/opq"
	: >"$w/l2/data/.wh.gone"
	: >"$w/l2/data/dir/.wh.a"
	: >"$w/l2/opq/.wh..wh..opq"
	echo new2 >"$w/l2/opq/new2"
	mkdir -p "$w/l3/data" "$w/l3/lbin"
	echo "from the third layer" >"$w/l3/data/new"
	printf '#!/bin/sh\necho through the link\n' >"$w/l3/lbin/hello"
	chmod +x "$w/l3/lbin/hello"
	layer_tar "$w/l1" "$w/1.tar"
	layer_tar "$w/l2" "$w/2.tar"
	# Layer 3's lbin/ must not be a directory entry (it would replace the
	# link, as in Docker): only the file goes in.
	tar --numeric-owner --owner=0 --group=0 --mtime=@1700000000 --format=gnu \
		-C "$w/l3" -cf "$w/3.tar" data/new lbin/hello
	reset_config
	# Builtins only, then exec: one process (there is no fork).
	CMD='["sh","-c","for f in /data/* /data/dir/* /opq/*; do echo $f; done; read x < /data/new; echo $x; exec cat /usr/local/bin/hello"]'
	assemble layers "$w/1.tar" "$w/2.tar" "$w/3.tar"
}

# Hostile layers, crafted with Python's tarfile (GNU tar will not write
# such names): each a one-layer image.
hostile_tar() { # KIND OUT.tar
	python3 - "$1" "$2" <<-'PY'
	import io, sys, tarfile
	kind, out = sys.argv[1], sys.argv[2]
	t = tarfile.open(out, "w", format=tarfile.GNU_FORMAT)
	def add(name, data=b"", **kw):
	    i = tarfile.TarInfo(name)
	    for k, v in kw.items():
	        setattr(i, k, v)
	    if i.type == tarfile.REGTYPE:
	        i.size = len(data)
	    t.addfile(i, io.BytesIO(data) if i.type == tarfile.REGTYPE else None)
	add("ok", b"fine\n")
	if kind == "dotdot":
	    add("../../../../tmp/uk-hostile-escape", b"escaped\n")
	elif kind == "symlink":
	    add("evil", type=tarfile.SYMTYPE, linkname="/tmp/uk-hostile-target")
	    add("evil/pwned", b"written through a symlink\n")
	    add("rel", type=tarfile.SYMTYPE, linkname="../../../../../tmp/uk-hostile-target")
	    add("rel/pwned2", b"written through a relative symlink\n")
	elif kind == "hardlink":
	    add("passwd-link", type=tarfile.LNKTYPE, linkname="../../../etc/passwd")
	elif kind == "device":
	    add("dev/sda", type=tarfile.BLKTYPE, devmajor=8, devminor=0)
	    add("dev/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
	    add("fifo", type=tarfile.FIFOTYPE)
	t.close()
	PY
}

img_hostile() { # WORK KIND
	local w=$1 kind=$2 d
	hostile_tar "$kind" "$w/1.tar"
	reset_config
	CMD='["/ok"]'
	case $kind in
	truncated)
		# A real layer whose gzip stream is cut in half: digests and
		# sizes in the manifest describe the cut blob, so only the
		# stream itself is wrong.
		head -c 300000 /dev/urandom >"$w/random"
		tar -C "$w" -cf "$w/1.tar" random
		assemble hostile-truncated "$w/1.tar"
		for d in "$cache/hostile-truncated.oci/blobs/sha256"/*; do
			[ "$(head -c 2 "$d" | od -An -tx1 | tr -d ' ')" = 1f8b ] || continue
			head -c $(($(stat -c %s "$d") / 2)) "$d" >"$w/cut"
			rm "$d"
			local nd
			nd=$(sha "$w/cut")
			mv "$w/cut" "$cache/hostile-truncated.oci/blobs/sha256/$nd"
			fix_manifest hostile-truncated "${d##*/}" "$nd" "$(stat -c %s "$cache/hostile-truncated.oci/blobs/sha256/$nd")"
		done
		;;
	tampered)
		# Same size, one byte changed: only the digest can tell.
		echo "original content" >"$w/f"
		tar -C "$w" -cf "$w/1.tar" f
		COMPRESS=none
		assemble hostile-tampered "$w/1.tar"
		for d in "$cache/hostile-tampered.oci/blobs/sha256"/*; do
			grep -q "original content" "$d" 2>/dev/null || continue
			sed -i 's/original content/tampered content/' "$d"
		done
		;;
	*) assemble "hostile-$kind" "$w/1.tar" ;;
	esac
}

# Point the manifest at a replaced blob (and re-digest manifest and index).
fix_manifest() { # NAME OLD NEW NEWSIZE
	local oci=$cache/$1.oci m old_m size
	old_m=$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$oci/index.json")
	m=$oci/blobs/sha256/$old_m
	sed -i "s/$2\",\"size\":[0-9]*/$3\",\"size\":$4/" "$m"
	local nm
	nm=$(sha "$m")
	mv "$m" "$oci/blobs/sha256/$nm"
	size=$(stat -c %s "$oci/blobs/sha256/$nm")
	sed -i "s/$old_m\",\"size\":[0-9]*/$nm\",\"size\":$size/" "$oci/index.json"
}

# ---- driver ----

recipe() { # NAME -> the packages it uses (for the cache key)
	case $1 in
	busybox | layers) echo busybox-static ;;
	musl) echo musl musl-dev ;;
	sqlite) echo $base_pkgs sqlite3 libsqlite3-0 libreadline8 libtinfo6 ;;
	lua) echo $base_pkgs lua5.4 libreadline8 libtinfo6 ;;
	python) echo $base_pkgs python3.11-minimal libpython3.11-minimal libexpat1 python3-minimal libssl3 ;;
	redis) echo $base_pkgs redis-tools redis-server libatomic1 liblzf1 libjemalloc2 libstdc++6 libsystemd0 libssl3 \
		libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1 ;;
	nginx) echo $base_pkgs nginx nginx-common libcrypt1 libpcre2-8-0 libssl3 ;;
	go) go_pkgs ;;
	node) echo $base_pkgs $node_pkgs ;;
	pyhttp) echo $base_pkgs $pyhttp_pkgs ;;
	java) echo $base_pkgs $java_pkgs ;;
	postgres) echo $base_pkgs $postgres_pkgs ;;
	mosquitto) echo $base_pkgs $mosquitto_pkgs ;;
	sshd) echo $base_pkgs $sshd_pkgs ;;
	etcd) echo $base_pkgs etcd-server ;;
	procps) echo $base_pkgs $procps_pkgs busybox-static ;;
	hostile-*) ;;
	*) return 1 ;;
	esac
}

build_one() {
	local name=$1 key pkgs w lock
	pkgs=$(recipe "$name") || { echo "images: unknown image '$name' (try --list)" >&2; return 1; }
	# The recipe and the helpers it uses, and the package versions: an
	# edit elsewhere in this script rebuilds nothing.
	key=$({
		declare -f "img_${name%%-*}" hostile_tar fix_manifest base_layer unpack usrmerge \
			layer_tar assemble config_json reset_config flatten run_host check_libs www go_root
		# the programs of ours an image carries
		case $name in
		go) cat "$here/progs/server.go" ;;
		node) cat "$here/progs/server.js" ;;
		java) cat "$here/progs/Hello.java" "$here/progs/WebServer.java" ;;
		esac
		[ -z "$pkgs" ] || deb_names $pkgs | sort
	} | sha256sum | cut -c1-16)
	# One builder of an image at a time: every worktree and test run on a
	# machine shares this cache, and two builds of one image at once leave
	# a broken root filesystem (seen: nginx without its lib links). The
	# lock goes with this process; a build is bounded by the wait's 30 min.
	exec {lock}>"$cache/$name.lock"
	if ! flock -w 1800 "$lock"; then
		echo "images: $name: another build of it held the lock for 30 minutes" >&2
		return 1
	fi
	if [ -f "$cache/$name.stamp" ] && [ "$(cat "$cache/$name.stamp")" = "$key" ]; then
		exec {lock}>&-
		return 0
	fi
	log "building $name"
	w=$cache/$name.work
	rm -rf "$w" "$cache/$name.stamp"
	mkdir -p "$w"
	case $name in
	hostile-*) img_hostile "$w" "${name#hostile-}" ;;
	*) "img_$name" "$w" ;;
	esac
	[ ! -d "$cache/$name.rootfs" ] || check_libs "$cache/$name.rootfs"
	rm -rf "$w"
	echo "$key" >"$cache/$name.stamp"
	exec {lock}>&-
}

main() {
	if [ "${1:-}" = --list ]; then
		echo $all
		return 0
	fi
	mkdir -p "$cache"
	for n in ${@:-$all}; do build_one "$n"; done
	echo "$cache"
}

main "$@"
