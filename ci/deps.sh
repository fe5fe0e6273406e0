#!/usr/bin/env bash
# Installs what uk needs to build and test, from Debian only, and builds
# newlib for the guest once into a cache outside the tree.
#
#   ci/deps.sh            everything (packages + newlib)
#   ci/deps.sh --check    exit 0 and print the make include file (below) when
#                         nothing is missing, 1 otherwise
#
# UK_CACHE (default ~/.cache/uk) holds built dependencies; the newlib build
# is keyed by the source version and our flags, so a second run is a no-op.
# Where things are goes to $UK_CACHE/deps-KEY.mk, which the Makefile
# includes: trees with other newlib flags share the cache without taking
# each other's newlib.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${UK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uk}

# Build: compilers and libraries for ukrun/ukbuild and the guest.
pkgs_build="gcc make binutils pkg-config libfdt-dev libseccomp-dev libslirp-dev libcap-ng-dev
 libarchive-dev libjansson-dev nettle-dev newlib-source xz-utils dpkg-dev"
# Test and demo: QEMU (interoperability + standard-KVM host), mtools/dosfstools
# (FAT disks), curl/iproute2/iputils-ping/netcat-openbsd (network tests on
# this host; the nested host has busybox's), cpio/busybox for the nested
# host, wrk and redis-tools (load against guest servers: wrk,
# redis-benchmark, redis-cli), zstd (zstd-compressed OCI test layers),
# clang-format (the format check), podman (ukrun as its OCI runtime: its
# conmon drives ukrun's create/start/state/kill/delete; netavark, its
# firewall's iptables and aardvark-dns: the bridge network and -p),
# containerd (its runc shim drives ukrun too), postgresql-15 (psql and
# pgbench against the guest's postgres: Debian 12 ships pgbench with the
# server, not in postgresql-client-15), passt (ukrun --net passt: the
# passt suite and make bench), strace (system calls counted: jail.sh),
# slirp4netns and uidmap (rootless podman's network and user namespace:
# ocirt.sh's rootless checks, for a user UK_ROOTLESS_USER names), docker.io
# (docker's --runtime: ocirt.sh starts a dockerd of its own, in its own
# namespaces; the package's service is never started here, below),
# openssh-client and mosquitto-clients (the real suite's sshd, its keys
# made by ssh-keygen, and its MQTT broker: ssh, scp, mosquitto_pub/_sub),
# tmux, screen and expect (terminal programs on the guest's
# pseudo-terminals, from this host's files: terminals.sh).
pkgs_test="qemu-system-x86 mtools dosfstools cpio curl iproute2 iputils-ping
 netcat-openbsd busybox-static clang clang-format tcl python3 lua5.4 sqlite3
 wrk redis-tools zstd podman crun netavark aardvark-dns iptables passt
 containerd postgresql-15 strace slirp4netns uidmap docker.io openssh-client
 mosquitto-clients tmux screen expect"

# Macros that change newlib's ABI; everything compiled against its headers
# must use the same (the Makefile and ukbuild read them from deps.mk and the
# sysroot). Per-thread reentrancy through __getreent(); read/write returning
# ssize_t as on Linux rather than newlib's default int.
newlib_abi="-D__DYNAMIC_REENT__ -D_READ_WRITE_RETURN_TYPE=_ssize_t"
# A section per function and object: images keep only the parts of an
# archive member they reach (vfprintf.o alone would bring vfiprintf.o's
# 8 KiB for one helper).
newlib_flags="-O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
-fno-stack-protector -fno-omit-frame-pointer -fcf-protection=none \
-ffunction-sections -fdata-sections $newlib_abi"
# Our replacement for newlib's machine/_types.h (Linux's type widths).
newlib_types="$here/../libos/include/newlib-abi/machine/_types.h"
newlib_key=$(printf '%s|%s|%s' "$(dpkg-query -W -f='${Version}' newlib-source 2>/dev/null || echo none)" \
  "$newlib_flags" "$(md5sum < "$newlib_types")" | md5sum | cut -c1-12)
newlib_prefix="$cache/newlib-$newlib_key"
deps_mk="$cache/deps-$newlib_key.mk"

missing_pkgs() {
  local p out=()
  for p in $pkgs_build $pkgs_test; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  echo "${out[@]:-}"
}

deb_src() {
  # A deb-src entry of our own so later work can `apt-get source lwip` etc.
  local f=/etc/apt/sources.list.d/uk-deb-src.sources codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  [ -f "$f" ] && grep -q "$codename" "$f" && return 1
  cat > "$f" <<SRC
# Written by uk's ci/deps.sh: Debian source packages (lwip, sqlite3, lua5.4 ...)
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  return 0
}

install_pkgs() {
  local miss updated=0
  if deb_src; then apt-get update -q >/dev/null; updated=1; fi
  miss=$(missing_pkgs)
  [ -z "$miss" ] && return 0
  echo "deps: installing $miss" >&2
  [ $updated = 1 ] || apt-get update -q >/dev/null
  # No package's service started by its install (dockerd, containerd,
  # postgres: the tests start their own), where the machine does not
  # already say so (a policy-rc.d answering 101: "not allowed")
  local policy=/usr/sbin/policy-rc.d own=
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && own=1
  fi
  local st=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $miss >/dev/null || st=$?
  [ -z "$own" ] || rm -f $policy
  return $st
}

build_newlib() {
  [ -f "$newlib_prefix/.done" ] && return 0
  local tarball work
  tarball=$(ls /usr/src/newlib/newlib-*.tar.* | head -1)
  work=$(mktemp -d)
  echo "deps: building newlib from $tarball into $newlib_prefix (once, ~1 min)" >&2
  tar -xf "$tarball" -C "$work"
  cp "$newlib_types" "$work"/newlib-*/newlib/libc/include/machine/_types.h
  mkdir -p "$work/build"
  (cd "$work/build" && "$work"/newlib-*/configure -q --target=x86_64-elf --prefix="$newlib_prefix" \
     --disable-multilib --disable-nls --disable-newlib-supplied-syscalls \
     --enable-newlib-io-long-long --enable-newlib-io-c99-formats \
     --enable-newlib-retargetable-locking --enable-newlib-register-fini \
     --disable-newlib-fseek-optimization \
     CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
     NM_FOR_TARGET=nm RANLIB_FOR_TARGET=ranlib OBJCOPY_FOR_TARGET=objcopy \
     CFLAGS_FOR_TARGET="$newlib_flags" >"$work/configure.log" 2>&1 \
   && make -j"$(nproc)" all-target-newlib >"$work/make.log" 2>&1 \
   && make install-target-newlib >"$work/install.log" 2>&1) || {
     echo "deps: newlib build failed; logs in $work" >&2; return 1; }
  touch "$newlib_prefix/.done"
  rm -rf "$work"
}

# Debian source packages compiled into the guest by our Makefile: lwIP, and
# the real programs the tests build in link mode (sqlite3, lua5.4); unpacked
# once into $cache/src/NAME. (The guest links Debian's binary libfdt.a; the
# mirror does not carry device-tree-compiler's source.)
src_pkgs="lwip sqlite3 lua5.4"
fetch_src() {
  local p dir work
  for p in $src_pkgs; do
    dir="$cache/src/$p"
    [ -f "$dir/.done" ] && continue
    echo "deps: apt-get source $p" >&2
    work=$(mktemp -d)
    (cd "$work" && apt-get source -q "$p" >/dev/null 2>&1) || {
      echo "deps: apt-get source $p failed (is the deb-src entry in place?)" >&2; return 1; }
    rm -rf "$dir"; mkdir -p "$cache/src"
    mv "$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)" "$dir"
    touch "$dir/.done"
    rm -rf "$work"
  done
}

# sqlite3's single-file amalgamation is generated from its source (needs tclsh).
sqlite_amalgamation() {
	local d="$cache/src/sqlite3"
	[ -f "$d/bld/sqlite3.c" ] && return 0
	echo "deps: generating the sqlite3 amalgamation" >&2
	mkdir -p "$d/bld"
	(cd "$d/bld" && ../configure -q >/dev/null 2>&1 && make -s sqlite3.c shell.c >/dev/null 2>&1) || {
		echo "deps: sqlite3 amalgamation failed (is tcl installed?)" >&2; return 1; }
}

src_done() {
	local p
	for p in $src_pkgs; do [ -f "$cache/src/$p/.done" ] || return 1; done
	[ -f "$cache/src/sqlite3/bld/sqlite3.c" ]
}

# One deps run at a time: builds in one tree may start several at once.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

case "${1:-}" in
  --check) [ -z "$(missing_pkgs)" ] && [ -f "$newlib_prefix/.done" ] && src_done &&
           [ -f "$deps_mk" ] && echo "$deps_mk"; exit;;
esac
install_pkgs
build_newlib
fetch_src
sqlite_amalgamation
# The Makefile reads where things are from this file (written whole, then
# renamed: another make may be reading it).
mkdir -p "$cache"
cat > "$deps_mk.tmp" <<MK
NEWLIB := $newlib_prefix
NEWLIB_ABI := $newlib_abi
LWIP_SRC := $cache/src/lwip
SQLITE_SRC := $cache/src/sqlite3/bld
LUA_SRC := $cache/src/lua5.4/src
MK
mv "$deps_mk.tmp" "$deps_mk"
