#!/bin/bash
# ukbuild disk: FAT images made and filled with mtools, checked with
# mtools' own mtype/mdir and dosfstools' fsck.fat -n.
. tests/e2e/lib.sh

if ! command -v mformat >/dev/null || ! command -v fsck.fat >/dev/null; then
	skip disk/all "mtools or dosfstools is not installed (ci/deps.sh installs them)"
	exit 0
fi
export MTOOLS_SKIP_CHECK=1
D=$T/disk.img
fsck_clean() { fsck.fat -n "$1" >"$T/fsck" 2>&1; }
fat_type() { minfo -i "$1" :: 2>/dev/null | sed -n 's/^disk type="\(FAT[0-9]*\) *"/\1/p'; }

# Each FAT variant, as asked, at a size where it exists.
for v in 12:4M 16:4M 16:64M 32:64M; do
	rm -f "$D"
	run $UKBUILD disk create "$D" --size "${v#*:}" --fat "${v%%:*}" --label UKTEST
	check "disk/create-fat${v%%:*}-${v#*:}" test "$rc" -eq 0 -a "$(fat_type "$D")" = "FAT${v%%:*}"
	check "disk/create-fat${v%%:*}-${v#*:}-fsck" fsck_clean "$D"
done
check disk/label sh -c "mdir -i '$D' :: | grep -q 'is UKTEST'"
run $UKBUILD disk create "$T/small.img" --size 1M --fat 32
check disk/fat32-too-small sh -c "[ $rc -eq 2 ] && grep -q 'cannot hold a FAT32 volume' '$T/err' && [ ! -e '$T/small.img' ]"
run $UKBUILD disk create "$D" --size 8M
check disk/create-refuses-existing sh -c "[ $rc -eq 2 ] && grep -q 'use --force' '$T/err'"
run $UKBUILD disk create "$T/x.img" --size 8Q
check disk/bad-size sh -c "[ $rc -eq 2 ] && grep -q \"size '8Q'\" '$T/err'"

# --from: nested directories, long names, 300 files in one directory.
S=$T/src
mkdir -p "$S/a/b/c" "$S/many"
head -c 100000 /dev/urandom >"$S/a/b/c/deep.bin"
echo "long name" >"$S/A file with a rather long name, and spaces.txt"
i=0
while [ $i -lt 300 ]; do echo "file $i" >"$S/many/f$i.txt"; i=$((i + 1)); done
rm -f "$D"
run $UKBUILD disk create "$D" --size 16M --from "$S"
check disk/from-dir status_is 0
mtype -i "$D" "::/a/b/c/deep.bin" >"$T/deep" 2>/dev/null
check disk/from-dir-nested cmp -s "$T/deep" "$S/a/b/c/deep.bin"
check disk/from-dir-long-name sh -c "mtype -i '$D' '::/A file with a rather long name, and spaces.txt' | grep -q 'long name'"
check disk/from-dir-300 test "$(mdir -b -i "$D" ::/many | wc -l)" -eq 300
check disk/from-dir-fsck fsck_clean "$D"

# ls: one path per line, directories with a trailing /.
run $UKBUILD disk ls "$D" /a -r
check disk/ls-recursive out_is "/a/b/
/a/b/c/
/a/b/c/deep.bin"

# put and get round trips, byte for byte.
head -c 3000000 /dev/urandom >"$T/blob"
run $UKBUILD disk put "$D" "$T/blob" /new/dir/blob.bin
check disk/put-makes-parents status_is 0
run $UKBUILD disk get "$D" /new/dir/blob.bin "$T/blob.back"
check disk/put-get-bytes cmp -s "$T/blob" "$T/blob.back"
echo replaced >"$T/small"
run $UKBUILD disk put "$D" "$T/small" /new/dir/blob.bin
check disk/put-replaces sh -c "mtype -i '$D' ::/new/dir/blob.bin | grep -q replaced"
run $UKBUILD disk put "$D" "$T/small" /new/
check disk/put-into-dir sh -c "mtype -i '$D' ::/new/small | grep -q replaced"
run $UKBUILD disk get "$D" /a "$T/got"
check disk/get-dir cmp -s "$T/got/b/c/deep.bin" "$S/a/b/c/deep.bin"
check disk/put-get-fsck fsck_clean "$D"

# Names FAT cannot hold are refused before mtools sees them.
run $UKBUILD disk put "$D" "$T/small" '/bad:name'
check disk/illegal-name sh -c "[ $rc -eq 2 ] && grep -q \"':' is not allowed in FAT names\" '$T/err'"
long=$(printf '%0300d' 0)
run $UKBUILD disk put "$D" "$T/small" "/$long"
check disk/name-too-long sh -c "[ $rc -eq 2 ] && grep -q \"longer than FAT's 255\" '$T/err'"
mkdir -p "$T/case" && echo 1 >"$T/case/Readme" && echo 2 >"$T/case/README"
run $UKBUILD disk put "$D" "$T/case" /case
check disk/case-clash sh -c "[ $rc -eq 2 ] && grep -q 'differ only in case' '$T/err'"
check disk/refused-names-left-no-trace sh -c "! mdir -b -i '$D' ::/ | grep -qi case"

# A full disk: a clear message, the volume still consistent.
rm -f "$D"
$UKBUILD disk create "$D" --size 1M >/dev/null 2>&1
head -c 2000000 /dev/urandom >"$T/toobig"
run $UKBUILD disk put "$D" "$T/toobig" /toobig
check disk/full sh -c "[ $rc -eq 2 ] && grep -q 'the disk is full' '$T/err'"
check disk/full-fsck fsck_clean "$D"
check disk/full-no-partial-file sh -c "! mdir -b -i '$D' ::/ | grep -q toobig"

# Not a FAT image, missing files.
head -c 65536 /dev/zero >"$T/zero.img"
run $UKBUILD disk ls "$T/zero.img"
check disk/not-fat sh -c "[ $rc -eq 2 ] && grep -q 'not a FAT volume' '$T/err'"
run $UKBUILD disk get "$D" /missing "$T/m"
check disk/get-missing sh -c "[ $rc -eq 2 ] && grep -q 'no such file or directory on the disk' '$T/err'"

# A disk a VM has (ukrun holds an flock on it) is neither changed nor read.
if command -v flock >/dev/null; then
	rm -f "$D" && $UKBUILD disk create "$D" --size 4M >/dev/null 2>&1
	size=$(wc -c <"$D")
	run flock -x "$D" $UKBUILD disk put "$D" "$T/small" /x
	check disk/locked-put-refused sh -c "[ $rc -eq 2 ] && grep -q 'in use by a running VM' '$T/err'"
	run flock -x "$D" $UKBUILD disk ls "$D"
	check disk/locked-ls-refused sh -c "[ $rc -eq 2 ] && grep -q 'in use by a running VM' '$T/err'"
	run flock -x "$D" $UKBUILD disk create "$D" --size 8M --force
	check disk/locked-create-force-refused sh -c "[ $rc -eq 2 ] && [ \$(wc -c <'$D') -eq $size ]"
	run flock -s "$D" $UKBUILD disk ls "$D"
	check disk/read-only-vm-may-share-reads status_is 0
else
	skip disk/locks "flock(1) is not installed"
fi
