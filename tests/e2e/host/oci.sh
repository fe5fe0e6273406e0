#!/bin/bash
# ukbuild oci: container images from Debian's packages (tests/images/build.sh)
# as OCI layouts and docker archives -> uk images; the root filesystem
# inside checked against the layers; whiteouts; hostile layers rejected or
# confined with the host untouched; the config's rules; clean errors.
. tests/e2e/lib.sh

if ! I=$(bash tests/images/build.sh 2>"$T/images.log"); then
	skip oci/images "the test images could not be built from Debian's packages: $(tail -c 300 "$T/images.log" | tr '\n' '|')"
	exit 0
fi

# The image's .uk_rootfs section, unpacked into a directory.
unpack_rootfs() { # IMAGE DIR
	rm -rf "$2" && mkdir -p "$2" &&
		objcopy -O binary --only-section=.uk_rootfs "$1" "$T/rootfs.cpio" &&
		(cd "$2" && cpio -idm --quiet --no-absolute-filenames <"$T/rootfs.cpio")
}
section() { objcopy -O binary --only-section="$2" "$1" "$T/sec" && sha256sum <"$T/sec"; }

for n in busybox sqlite lua python redis nginx; do
	run "$UKBUILD" oci -q "oci:$I/$n.oci" -o "$T/$n.img"
	check "oci/$n/from-oci-layout" status_is 0
	run "$UKBUILD" oci -q "docker-archive:$I/$n.tar" -o "$T/$n-docker.img"
	check "oci/$n/from-docker-archive" status_is 0
	check "oci/$n/same-rootfs-both-sources" \
		test "$(section "$T/$n.img" .uk_rootfs)" = "$(section "$T/$n-docker.img" .uk_rootfs)"
	if unpack_rootfs "$T/$n.img" "$T/$n.root" && diff -r --no-dereference "$T/$n.root" "$I/$n.rootfs" >"$T/out" 2>&1; then
		pass "oci/$n/rootfs-matches-layers"
	else
		fail "oci/$n/rootfs-matches-layers" "$(head -c 300 "$T/out" | tr '\n' '|')"
	fi
	run "$UKBUILD" inspect "$T/$n.img"
	check "oci/$n/inspect-binary-mode" out_has '^mode: *binary'
	check "oci/$n/inspect-layers" out_has '^layers: *sha256:'
	rm -rf "$T/$n.root" "$T/$n-docker.img"
done

# The config became the manifest.
run "$UKBUILD" inspect "$T/busybox.img"
check oci/config/cmd out_has '^cmd: *"sh"'
check oci/config/default-path out_has 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
check oci/config/env out_has 'GREETING=hello from the busybox image'
check oci/config/workdir out_has '^workdir: *\/home\/uk'
run "$UKBUILD" inspect "$T/redis.img"
check oci/config/entrypoint out_has '^entrypoint: *"redis-server"'
check oci/config/ports out_has '^ports: *"6379/tcp"'
check oci/config/memory-for-rootfs out_has '^memory: *[0-9]* MiB'
run "$UKBUILD" inspect "$T/python.img"
check oci/config/image-path-kept out_has 'PATH=/usr/local/bin:/usr/bin:/bin'
check oci/config/no-default-path sh -c "! grep -q 'PATH=/usr/local/sbin' '$T/out'"
check oci/image-size-reported sh -c "grep -q '^oci size: *[1-9]' '$T/out'"

# Overrides: --entrypoint drops Cmd (docker's rule), -e, -w, --expose.
run "$UKBUILD" oci -q "oci:$I/busybox.oci" -o "$T/o.img" --entrypoint /bin/echo -e GREETING=over \
	-e NEW=1 -w /srv/new --expose 8080 --user 0:0
check oci/override/status status_is 0
run "$UKBUILD" inspect "$T/o.img"
check oci/override/entrypoint out_has '^entrypoint: *"/bin/echo"'
check oci/override/cmd-dropped out_has '^cmd: *(none)'
check oci/override/env out_has '^  GREETING=over$'
check oci/override/workdir out_has '^workdir: *\/srv\/new'
check oci/override/port out_has '"8080/tcp"'
unpack_rootfs "$T/o.img" "$T/o.root"
check oci/override/workdir-created test -d "$T/o.root/srv/new"

# Whiteouts: layer 2 deletes, layer 3 adds (one file through a symlink).
run "$UKBUILD" oci -q "docker-archive:$I/layers.tar" -o "$T/layers.img"
check oci/layers/status status_is 0
unpack_rootfs "$T/layers.img" "$T/l.root"
check oci/layers/whiteout-file test ! -e "$T/l.root/data/gone"
check oci/layers/whiteout-in-subdir test ! -e "$T/l.root/data/dir/a" -a -e "$T/l.root/data/dir/b"
check oci/layers/opaque-dir test ! -e "$T/l.root/opq/old1" -a ! -e "$T/l.root/opq/old2" -a -e "$T/l.root/opq/new2"
check oci/layers/kept test "$(cat "$T/l.root/data/keep" 2>/dev/null)" = keep
check oci/layers/later-layer test "$(cat "$T/l.root/data/new" 2>/dev/null)" = "from the third layer"
check oci/layers/through-symlink test -x "$T/l.root/usr/local/bin/hello" -a -L "$T/l.root/lbin"
check oci/layers/no-whiteout-files sh -c "! find '$T/l.root' -name '.wh.*' | grep -q ."

# Hostile images: rejected with the layer named, or confined; the host
# untouched; never an image (or a partial one) for a rejected one.
rm -rf /tmp/uk-hostile-escape /tmp/uk-hostile-target
for h in dotdot truncated hardlink tampered; do
	run "$UKBUILD" oci "oci:$I/hostile-$h.oci" -o "$T/h.img"
	check "oci/hostile/$h-rejected" clean_error 2
	check "oci/hostile/$h-names-layer" err_has 'layer 1/1 (sha256:'
	check "oci/hostile/$h-no-image" test ! -e "$T/h.img" -a ! -e "$T/h.img.partial"
done
run "$UKBUILD" oci "oci:$I/hostile-dotdot.oci" -o "$T/h.img"
check oci/hostile/dotdot-says-why err_has 'leaves the root filesystem'
run "$UKBUILD" oci "oci:$I/hostile-truncated.oci" -o "$T/h.img"
check oci/hostile/truncated-says-why err_has 'truncated'
run "$UKBUILD" oci "oci:$I/hostile-tampered.oci" -o "$T/h.img"
check oci/hostile/tampered-says-why err_has 'corrupt or tampered'
check oci/hostile/nothing-escaped test ! -e /tmp/uk-hostile-escape
run "$UKBUILD" oci -q "oci:$I/hostile-symlink.oci" -o "$T/h.img"
check oci/hostile/symlink-confined status_is 0
check oci/hostile/symlink-host-untouched test ! -e /tmp/uk-hostile-target
unpack_rootfs "$T/h.img" "$T/h.root"
check oci/hostile/symlink-write-inside test -f "$T/h.root/tmp/uk-hostile-target/pwned" \
	-a -f "$T/h.root/tmp/uk-hostile-target/pwned2" -a -L "$T/h.root/evil"
run "$UKBUILD" oci "oci:$I/hostile-device.oci" -o "$T/h.img"
check oci/hostile/devices-skipped-with-note err_has '3 device node(s), FIFO(s) or socket(s) skipped'
unpack_rootfs "$T/h.img" "$T/h.root"
check oci/hostile/no-device-nodes test ! -e "$T/h.root/dev/sda" -a ! -e "$T/h.root/fifo"

# dir: and --add.
mkdir -p "$T/dir/bin" "$T/extra"
cp "$I/busybox.rootfs/bin/busybox" "$T/dir/bin/"
ln -s busybox "$T/dir/bin/sh"
echo added >"$T/extra/file"
ln -s /etc/shadow "$T/extra/link"
run "$UKBUILD" oci -q dir:"$T/dir" -o "$T/d.img" --entrypoint /bin/sh --add "$T/extra:/opt/extra" \
	--add "$T/extra/file:/opt/into/"
check oci/dir/status status_is 0
unpack_rootfs "$T/d.img" "$T/d.root"
check oci/dir/file test -x "$T/d.root/bin/busybox"
check oci/dir/add test "$(cat "$T/d.root/opt/extra/file" 2>/dev/null)" = added
check oci/dir/add-link-not-followed test "$(readlink "$T/d.root/opt/extra/link")" = /etc/shadow
check oci/dir/add-into-directory test "$(cat "$T/d.root/opt/into/file" 2>/dev/null)" = added
run "$UKBUILD" oci -q dir:"$T/dir" -o "$T/d.img"
check oci/dir/needs-entrypoint err_has 'give --entrypoint'

# Errors: one clear line, status 2, no image.
run "$UKBUILD" oci "oci:$I/busybox.oci:nosuchtag" -o "$T/e.img"
check oci/error/tag clean_error 2
check oci/error/tag-lists-tags err_has "no image tagged 'nosuchtag'.*latest"
run "$UKBUILD" oci "$I/busybox.oci" -o "$T/e.img"
check oci/error/source-kind err_has 'oci:DIR\[:TAG\], docker-archive:FILE or dir:PATH'
run "$UKBUILD" oci "oci:$T/nowhere" -o "$T/e.img"
check oci/error/not-a-layout err_has 'not an OCI image layout'
run "$UKBUILD" oci "docker-archive:$I/busybox.oci/oci-layout" -o "$T/e.img"
check oci/error/not-an-archive clean_error 2
run "$UKBUILD" oci "oci:$I/busybox.oci"
check oci/error/no-output err_has 'give -o IMAGE'
check oci/error/no-image-left test ! -e "$T/e.img"
