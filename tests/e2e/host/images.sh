#!/bin/bash
# Bad images and bad flags: one clear line, ukrun's error status (125),
# never a crash. None of this needs KVM: ukrun checks before it opens it.
. tests/e2e/lib.sh
H=build/apps/hello.img

bad_image() { # NAME FILE EXPECTED-TEXT
	run "$UKRUN" "$2"
	check "images/$1" clean_error 125
	check "images/$1-message" err_has "$3"
}

head -c 100 "$H" >"$T/truncated-header"
bad_image truncated-header "$T/truncated-header" "truncated"
head -c 20000 "$H" >"$T/truncated-segment"
bad_image truncated-segment "$T/truncated-segment" "truncated"
printf '#!/bin/sh\necho hi\n' >"$T/script"
bad_image not-elf "$T/script" "not an ELF"
: >"$T/empty"
bad_image empty "$T/empty" "empty file"
bad_image directory "$T" "not a regular file"
bad_image missing "$T/nope.img" "No such file"
# An ELF executable that is not a PVH kernel.
printf 'void _start(void){for(;;);}\n' >"$T/plain.c"
gcc -static -nostdlib -o "$T/plain" "$T/plain.c" 2>/dev/null
bad_image no-pvh-note "$T/plain" "no PVH entry note"
bad_image shared-object /lib/x86_64-linux-gnu/libc.so.6 "not an executable"

# Segments moved where guest RAM is not: above --mem, and into boot data.
# The long-mode entry note's entry (in that segment) moves with it, so the
# note still names its own segments and the move is what ukrun finds.
patch_paddr() { # FILE NEWPADDR OUT: first PT_LOAD's p_paddr
	python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
phoff, = struct.unpack_from('<Q', d, 32)
phnum, = struct.unpack_from('<H', d, 56)
new, delta = int(sys.argv[2], 0), None
for i in range(phnum):
    o = phoff + 56 * i
    if struct.unpack_from('<I', d, o)[0] == 1 and delta is None:
        delta = new - struct.unpack_from('<Q', d, o + 24)[0]
        struct.pack_into('<Q', d, o + 24, new)
for i in range(phnum):
    o = phoff + 56 * i
    if struct.unpack_from('<I', d, o)[0] != 4:  # PT_NOTE
        continue
    off, size = struct.unpack_from('<Q', d, o + 8)[0], struct.unpack_from('<Q', d, o + 32)[0]
    end = off + size
    while off + 12 <= end:
        namesz, descsz, typ = struct.unpack_from('<III', d, off)
        desc = off + 12 + (namesz + 3) // 4 * 4
        if d[off + 12:off + 12 + namesz] == b'uk\0' and descsz == 32:
            entry, = struct.unpack_from('<Q', d, desc)
            struct.pack_into('<Q', d, desc, entry + delta)
        off = desc + (descsz + 3) // 4 * 4
open(sys.argv[3], 'wb').write(d)
PY
}
patch_paddr "$H" 0x40000000 "$T/high.img"
run "$UKRUN" -m 64M "$T/high.img"
check images/segment-above-ram clean_error 125
check images/segment-above-ram-message err_has "does not fit in guest RAM"
patch_paddr "$H" 0x1000 "$T/low.img"
run "$UKRUN" "$T/low.img"
check images/segment-in-boot-data clean_error 125

# A manifest that is no longer a valid tree (its magic flipped): the image
# is refused, not run without its configuration.
python3 - "$H" "$T/bad-manifest.img" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', d, 40)
shnum, shstrndx = struct.unpack_from('<HH', d, 60)
str_off, = struct.unpack_from('<Q', d, shoff + 64 * shstrndx + 24)
for i in range(shnum):
    o = shoff + 64 * i
    name = d[str_off + struct.unpack_from('<I', d, o)[0]:].split(b'\0')[0]
    if name == b'.uk_manifest':
        d[struct.unpack_from('<Q', d, o + 24)[0]] ^= 0xff
open(sys.argv[2], 'wb').write(d)
PY
bad_image corrupt-manifest "$T/bad-manifest.img" "manifest (.uk_manifest) is corrupt"

# Bad flags.
run "$UKRUN" --bogus "$H"
check flags/unknown clean_error 125
check flags/unknown-message err_has "unknown option '--bogus'"
run "$UKRUN" -m 12Q "$H"
check flags/bad-size clean_error 125
check flags/bad-size-message err_has "expected a size"
run "$UKRUN" -m 8G "$H"
check flags/too-much-memory clean_error 125
run "$UKRUN" -e =x "$H"
check flags/bad-env clean_error 125
run "$UKRUN" --timeout -3 "$H"
check flags/bad-timeout clean_error 125
run "$UKRUN"
check flags/no-image clean_error 125
# Device options are checked before /dev/kvm is touched: the mistake is
# what ukrun names, with or without KVM on the machine.
run "$UKRUN" --net bogus "$H"
check flags/bad-net err_has "^ukrun: --net 'bogus': expected"
run "$UKRUN" -p 99999:80 "$H"
check flags/bad-publish err_has "^ukrun: -p '99999:80': expected"
run "$UKRUN" -v relative "$H"
check flags/bad-volume err_has "^ukrun: -v relative: expected HOST:GUEST"
run "$UKRUN" -v /tmp:data "$H"
check flags/bad-volume-guest err_has "guest path must be absolute"
run "$UKRUN" --disk nofile "$H"
check flags/bad-disk err_has "^ukrun: --disk nofile: expected FILE:/guest/path"
run "$UKRUN" --ip 10.0.0.2/24 "$H"
check flags/ip-without-net err_has "need a network"
# --user: its mistakes named before anything is opened (the image here does
# not even exist: the --user mistake is what ukrun names).
bad_user() { # NAME VALUE EXPECTED-TEXT
	run "$UKRUN" --user "$2" "$T/nope.img"
	check "flags/user-$1" clean_error 125
	check "flags/user-$1-message" err_has "^ukrun: --user '$2': $3"
}
bad_user unknown no-such-user-xyz "no user no-such-user-xyz in /etc/passwd"
bad_user unknown-group 65534:no-such-group-xyz "no group no-such-group-xyz in /etc/group"
bad_user root 0 "uid 0 is root's"
bad_user root-group 65534:0 "gid 0 is root's"
bad_user empty-group 65534: "expected a group after ':'"
bad_user empty '' "expected UID\[:GID\]"
bad_user out-of-range 4294967295 "uid 4294967295 is out of range"
bad_user gid-out-of-range 65534:99999999999 "gid 99999999999 is out of range"
as_nobody="setpriv --reuid 65534 --regid 65534 --clear-groups"
if [ "$(id -u)" = 0 ] && have setpriv && $as_nobody test -x "$UKRUN"; then
	run $as_nobody "$UKRUN" --user 1234 "$T/nope.img"
	check flags/user-needs-setuid clean_error 125
	check flags/user-needs-setuid-message err_has "uid 65534 without CAP_SETUID and cannot become uid 1234"
	run $as_nobody "$UKRUN" --user 65534:65534 "$T/nope.img"
	check flags/user-its-own-ids-need-nothing err_has "nope.img"
else
	skip flags/user-needs-setuid "needs root, setpriv and a ukrun that uid 65534 may run"
fi
run "$UKRUN" --help
check flags/help status_is 0
check flags/help-text out_has "usage: ukrun"
