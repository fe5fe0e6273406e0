#!/usr/bin/env bash
# seeds.sh TARGET DIR: writes the seed inputs of one libFuzzer target into
# DIR (valid messages, so the fuzzer starts past the first checks). Used by
# the unit suite's short runs (tests/unit/*_fuzz_smoke.sh) and by `make
# fuzz` (tests/fuzz/run.sh). A target without seeds starts from nothing.
set -u
name=$1 dir=$2
mkdir -p "$dir"
seed() { printf "$2" >"$dir/$1"; } # NAME OCTAL-ESCAPED-BYTES

case $name in
net_rx)
	# 8 RX chains of 1 KiB each (one descriptor, device-writable) at 4 KiB
	# and on, all available; merged frames of 100, 3000 and 9000 bytes
	b() { for x; do printf "\\$(printf %o $((x & 255)))"; done; } # bytes
	{
		b 3 1 100 0 $((3000 & 255)) $((3000 >> 8)) $((9000 & 255)) $((9000 >> 8))
		for i in 0 1 2 3 4 5 6 7; do # addr (8), len (4), flags (2), next (2)
			a=$((4096 + i * 1024))
			b $((a & 255)) $((a >> 8)) 0 0 0 0 0 0  0 4 0 0  2 0  0 0
		done
		b 0 0 8 0 0 1 2 3 4 5 6 7 # avail: flags, idx, ring
	} >"$dir/eight"
	;;
p9_*)
	seed tversion '\025\0\0\0\144\377\377\0\0\10\0\10\0009P2000.L'
	seed twalk '\031\0\0\0\156\1\0\1\0\0\0\2\0\0\0\2\0\1\0a\2\0bc'
	seed rreaddir '\052\0\0\0\051\1\0\037\0\0\0\0\0\0\0\0\52\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\10\4\0file'
	seed twrite '\032\0\0\0\166\1\0\1\0\0\0\0\0\0\0\0\0\0\0\3\0\0\0abc'
	;;
blk_req)
	# nout nin | capacity (8) | 8 segment lengths (16) | segment bytes
	seed read '\1\1\0\0\1\0\0\0\0\0\20\0\0\20\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'
	seed write '\2\1\0\0\1\0\0\0\0\0\20\0\0\2\1\0\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'
	seed discard '\2\1\0\0\1\0\0\0\0\0\20\0\20\0\1\0\0\0\0\0\0\0\0\0\0\0\13\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\10\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0'
	;;
oci_layer)
	# small real layers: plain, gzip, with whiteouts, a symlink and a hard link
	src=$(mktemp -d)
	mkdir -p "$src/d/sub"
	echo data >"$src/d/file"
	ln -s file "$src/d/link"
	ln "$src/d/file" "$src/d/hard"
	: >"$src/d/.wh.gone"
	: >"$src/d/sub/.wh..wh..opq"
	tar -C "$src" -cf "$dir/plain.tar" d
	gzip -c "$dir/plain.tar" >"$dir/layer.tgz"
	rm -rf "$src"
	;;
oci_spec)
	# configs as podman writes them (the bundle's files: tests/fuzz/oci_spec.c)
	cat >"$dir/podman.json" <<'EOF'
{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh","-c","echo hi"],"env":["PATH=/bin","HOSTNAME=x"],"cwd":"/","rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],"terminal":false},"root":{"path":"rootfs","readonly":false},"hostname":"x","mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid"]},{"destination":"/dev/shm","type":"bind","source":"share","options":["bind"]},{"destination":"/data","type":"bind","source":"share","options":["rbind","ro"]},{"destination":"/etc/hosts","type":"bind","source":"hosts","options":["bind"]},{"destination":"/x","type":"bind","source":"out/etc","options":["bind"]}],"annotations":{"a":"b"},"linux":{"resources":{"memory":{"limit":268435456}},"namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/x"}]}}
EOF
	printf '{"ociVersion":"1.0.0","process":{"args":["a"],"cwd":"/w"},"root":{"path":"rootfs"}}' >"$dir/small.json"
	;;
oci_elf)
	# real programs
	cp /bin/true "$dir/true" 2>/dev/null
	cp /bin/busybox "$dir/busybox" 2>/dev/null
	head -c 4096 /lib64/ld-linux-x86-64.so.2 >"$dir/ld.so" 2>/dev/null
	;;
image)
	# a real image cut to what ukrun reads (the PVH note, the manifest, the
	# symbols: 20 KiB, so the fuzzer mutates fast); built by make, and
	# this runs from the top of the tree
	objcopy -j .note.uk.pvh -j .uk_manifest -j .uk_syms build/apps/hello.img \
		"$dir/hello.img" 2>/dev/null
	;;
host_opts)
	# a byte (the description: 0 ukrun's, 1 the runtime's, 3 link's, 4 disk
	# create's, 5 the input's own; 8 for HOST_OPTS_FIRST), then the words
	seed ukrun '\010--mem=64M\0-v\0vol:/x\0--trace\0-p8080:80\0IMG\0--net=user'
	seed runtime '\011--root=/run/x\0--log\0/l\0create\0--bundle\0b\0id'
	seed link '\003-o\0out.img\0--env=A=B\0x.c\0-vm1G\0--rootfs\0d'
	seed disk '\004--size=64M\0-f\0disk.img\0--label=L'
	seed own '\005a:all b.bee= c:cee=\0-ab\0--bee=1\0-c\0x\0--\0-a'
	;;
mmio)
	# a driver that starts the disk properly, then reads sector 0
	b() { for x; do printf "\\$(printf %o $((x & 255)))"; done; } # bytes
	w() { b $1 $(($2 / 4)) 0 0 $3 $(($3 >> 8)) $(($3 >> 16)) $(($3 >> 24)); } # KIND REG VALUE
	desc() { b 2 0 0 0 $1 $(($1 >> 8)) 0 0 $2 $(($2 >> 8)) 0 0 0 0 0 0 $3 0 0 0 $4 0 $5 0; }
	{
		w 0 0x70 0
		w 0 0x70 3
		w 0 0x24 1
		w 0 0x20 1
		w 0 0x70 11
		w 0 0x30 0
		w 0 0x38 16
		w 0 0x80 0x1000
		w 0 0x90 0x1100
		w 0 0xa0 0x1200
		w 0 0x44 1
		w 0 0x70 15
		w 1 0x70 0
		desc 0x1000 0x2000 16 1 1    # header, then
		desc 0x1010 0x3000 512 3 2   # 512 bytes in, then
		desc 0x1020 0x4000 1 2 0     # the status byte
		b 2 0 0 0 0 0x11 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 # avail: idx 1, ring[0] 0
		w 3 0x50 0
		w 1 0x60 0
	} >"$dir/read"
	;;
esac
exit 0
