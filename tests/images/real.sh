#!/usr/bin/env bash
# The real programs of the ukrun suite (tests/e2e/kvm/real.sh) and of make
# bench (tests/bench/real.sh), as uk images: build.sh's OCI images of
# Debian's packages turned into uk images by `ukbuild oci`, with what the
# checks compare against. make runs it (tests/tests.mk); it is cheap when
# nothing changed (build.sh keeps its images in $UK_CACHE/images).
#
#   tests/images/real.sh OUTDIR
#
# OUTDIR (build/tests/real) gets:
#   NAME.img            go node pyhttp nginx redis java postgres mosquitto sshd etcd
#   python.img          pyhttp's image with python3 as its entrypoint
#   NAME.index.html     the page each web server serves at /
#   big.txt             the large file every web server has too
#   java.expected       what the same JVM prints on this machine
#   sshd.key            the private key root's authorized_keys names
#   why                 only when something could not be built: why
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
names="go node pyhttp nginx redis java postgres mosquitto sshd etcd"
UKBUILD=${UKBUILD:-build/bin/ukbuild}
mkdir -p "$out"
rm -f "$out/why"

fail() {
	echo "$*" >"$out/why"
	echo "real programs: $*" >&2
	exit 1
}

I=$(bash tests/images/build.sh $names 2>"$out/build.log") ||
	fail "tests/images/build.sh could not build the images from Debian's packages: $(tail -c 300 "$out/build.log" | tr '\n' ' ')"
for n in $names; do
	"$UKBUILD" oci -q "oci:$I/$n.oci" -o "$out/$n.img.tmp" 2>"$out/build.log" ||
		fail "ukbuild oci $n: $(tail -c 300 "$out/build.log" | tr '\n' ' ')"
	mv "$out/$n.img.tmp" "$out/$n.img"
	[ ! -f "$I/$n.rootfs/srv/www/index.html" ] || cp "$I/$n.rootfs/srv/www/index.html" "$out/$n.index.html"
done
# (python running a script of the suite's: multiprocessing)
"$UKBUILD" oci -q "oci:$I/pyhttp.oci" -o "$out/python.img.tmp" --entrypoint /usr/bin/python3 \
	2>"$out/build.log" || fail "ukbuild oci python: $(tail -c 300 "$out/build.log" | tr '\n' ' ')"
mv "$out/python.img.tmp" "$out/python.img"
cp "$I/go.rootfs/srv/www/big.txt" "$out/big.txt"
install -m 600 "$I/sshd.rootfs/ssh/key" "$out/sshd.key"
# The same JVM and class, as a process here (the image's java needs no
# library this Debian machine lacks)
"$I/java.rootfs/usr/lib/jvm/java-17-openjdk-amd64/bin/java" -cp "$I/java.rootfs/app" Hello \
	>"$out/java.expected" 2>"$out/build.log" ||
	fail "the image's java did not run here: $(tail -c 300 "$out/build.log" | tr '\n' ' ')"
rm -f "$out/build.log"
