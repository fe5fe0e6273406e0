#!/usr/bin/env bash
# A standard-KVM host (AMD SVM) inside QEMU's software emulation, for
# machines whose own /dev/kvm is the paravirtual flavour or missing: Debian's
# stock kernel boots under TCG with SVM exposed, loads kvm_amd, and runs
# COMMAND with the named files present at the same paths.
#
#   tests/stdkvm.sh [-f FILE]... [-t SECONDS] -- COMMAND [ARG...]
#
# Dynamic executables get their shared libraries copied too. Prints the
# command's output and exits with its status; 125 when the nested host
# could not be set up (the message says why: nothing ran); 124 when it was
# stopped at its bound (-t, 600 s) and 126 when it ended otherwise before
# the command did (both after what the command printed so far). Only
# Debian packages are downloaded (the kernel image, once, into
# $UK_CACHE/stdkvm).
set -euo pipefail
cache=${UK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uk}/stdkvm
files=() timeout_s=600
while [ $# -gt 0 ]; do
	case "$1" in
	-f) files+=("$2"); shift 2 ;;
	-t) timeout_s=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [-f FILE]... [-t SECONDS] -- COMMAND [ARG...]" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "stdkvm: no command" >&2; exit 2; }
die() { echo "stdkvm: $*" >&2; exit 125; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run ci/deps.sh)"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"

mkdir -p "$cache/dl" "$cache/x"
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$kpkg" ] || die "cannot tell Debian's kernel package (apt-get update?)"
kver=${kpkg#linux-image-}
# One fetch at a time: tests/run.sh starts hosts side by side.
exec 8>"$cache/.lock"
flock 8
# (tun, tap, veth and vhost modules: TAP devices, veth pairs and vhost-net
# for the network tests and benchmark)
if [ ! -f "$cache/x/boot/vmlinuz-$kver" ] || [ ! -f "$cache/x/lib/modules/$kver/kernel/drivers/net/veth.ko" ]; then
	(cd "$cache/dl" && timeout -k 5 600 apt-get download -q "$kpkg" >/dev/null 2>&1) ||
		die "apt-get download $kpkg failed"
	dpkg-deb --fsys-tarfile "$cache"/dl/"${kpkg}"_*.deb | tar -x -C "$cache/x" --wildcards \
		'./boot/vmlinuz-*' './lib/modules/*/kernel/arch/x86/kvm/*' \
		'./lib/modules/*/kernel/virt/lib/irqbypass.ko' \
		'./lib/modules/*/kernel/drivers/crypto/ccp/ccp.ko' \
		'./lib/modules/*/kernel/drivers/net/tun.ko' './lib/modules/*/kernel/drivers/net/tap.ko' \
		'./lib/modules/*/kernel/drivers/net/veth.ko' \
		'./lib/modules/*/kernel/drivers/vhost/vhost*.ko'
fi
exec 8>&-
mod="$cache/x/lib/modules/$kver/kernel"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,proc,sys,dev,mod,tmp}
cp /bin/busybox "$root/bin/busybox"
for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko \
	drivers/net/tun.ko drivers/net/tap.ko drivers/net/veth.ko drivers/vhost/vhost_iotlb.ko drivers/vhost/vhost.ko \
	drivers/vhost/vhost_net.ko; do
	cp "$mod/$m" "$root/mod/"
done
add() {
	local f
	f=$(readlink -f "$1")
	mkdir -p "$root$(dirname "$1")"
	cp -L "$f" "$root$1"
}
for f in "${files[@]}"; do
	f=$(realpath -s "$f")
	add "$f"
	if ldd "$f" >/dev/null 2>&1; then
		for lib in $(ldd "$f" | grep -o '/[^ ]*'); do add "$lib"; done
	fi
done
printf '%q ' "$@" >"$work/cmd"
cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in irqbypass kvm ccp kvm-amd tun tap veth vhost_iotlb vhost vhost_net; do insmod /mod/\$m.ko 2>/dev/null; done
if [ -e /dev/kvm ]; then
	echo "@@stdkvm-start"
	cd $(pwd)
	$(cat "$work/cmd")
	echo "@@stdkvm-status \$?"
else
	echo "@@stdkvm-nokvm"
fi
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd"
set +e
# Without XSAVE: QEMU's emulated SVM (Debian 12's 7.2) leaves a nested
# guest's XCR0 at x87 alone after the guest's xsetbv, and at other values
# at other times, while cpuid offers AVX and FMA: a guest's glibc then
# picks its AVX and FMA code (libm's log(10) came out as 0 or -733). With
# fxsave alone the nested guests run SSE code, as on a CPU without AVX;
# and the AVX family goes with XSAVE (QEMU 7.2 would still offer it in
# cpuid, and the nested host's own coreutils cksum then ran AVX code and
# died of SIGILL).
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max,-xsave,-avx,-avx2,-fma,-f16c,-vaes,-vpclmulqdq -m 2G -smp 1 \
	-kernel "$cache/x/boot/vmlinuz-$kver" -initrd "$work/initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
	-nographic -no-reboot -nodefaults -serial stdio -monitor none </dev/null >"$work/out" 2>&1
qst=$?
set -e
grep -aq '@@stdkvm-nokvm' "$work/out" && die "QEMU did not expose AMD SVM: no /dev/kvm in the nested host"
grep -aq '@@stdkvm-start' "$work/out" ||
	die "the nested host did not start (QEMU status $qst): $(tail -c 300 "$work/out" | tr -d '\r' | tr '\n' '|')"
st=$(grep -a '@@stdkvm-status' "$work/out" | tail -1 | awk '{print $2}' | tr -d '\r' || true)
# The kernel's and firmware's own chatter is not the command's output. The
# terminal reset (ESC c) before the kernel starts may cut the firmware's
# "Booting from ROM..." short of its newline: what precedes a reset on its
# line is the firmware's, the rest may be the command's first line.
grep -av '@@stdkvm-status\|@@stdkvm-start' "$work/out" | tr -d '\r' | sed -e 's/.*\x1bc//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' \
	-e '/^SeaBIOS/d' -e '/^Booting from ROM/d' -e '/^\[ *[0-9.]*\] /d' -e '/^$/d'
if [ -z "$st" ]; then
	if [ $qst -eq 124 ] || [ $qst -eq 137 ]; then
		echo "stdkvm: the nested host was stopped at its ${timeout_s}s bound before the command ended" >&2
		exit 124
	fi
	echo "stdkvm: the nested host ended before the command did (QEMU status $qst)" >&2
	exit 126
fi
exit "$st"
