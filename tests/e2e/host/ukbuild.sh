#!/bin/bash
# ukbuild: link mode, compiler errors passed through, inspect.
. tests/e2e/lib.sh

cat >"$T/ok.c" <<'C'
#include <stdio.h>
int main(void) { puts("built"); return 3; }
C
run "$UKBUILD" -o "$T/ok.img" -e A=1 --cmd x -m 32M "$T/ok.c"
check ukbuild/link status_is 0
check ukbuild/link-output test -s "$T/ok.img"
run "$UKBUILD" inspect "$T/ok.img"
check ukbuild/inspect status_is 0
check ukbuild/inspect-entrypoint out_has 'entrypoint:  "ok"'
check ukbuild/inspect-cmd out_has 'cmd:         "x"'
check ukbuild/inspect-env out_has '  A=1'
check ukbuild/inspect-mem out_has 'memory:      32 MiB'
check ukbuild/inspect-no-volumes out_has 'volumes:     (none)'

# Volume points (docker's VOLUME): in the manifest, and what ukrun makes of
# -v HOSTDIR without a guest path (it names the mistake before any KVM).
run "$UKBUILD" -o "$T/vol.img" --volume /data/ --volume /logs --volume /data "$T/ok.c"
check ukbuild/volume status_is 0
run "$UKBUILD" inspect "$T/vol.img"
check ukbuild/inspect-volumes out_has 'volumes:     "/data" "/logs"'
run "$UKRUN" -v "$T" "$T/vol.img"
check ukbuild/volume-two-points-named clean_error 125
check ukbuild/volume-two-points-message err_has "declares 2 volume points (/data, /logs): name one"
run "$UKBUILD" -o "$T/bad.img" --volume / "$T/ok.c"
check ukbuild/volume-root-refused status_is 2
check ukbuild/volume-root-message err_has "^ukbuild: --volume '/': expected an absolute guest path"
check ukbuild/volume-root-no-image test ! -e "$T/bad.img"

cat >"$T/broken.c" <<'C'
int main(void) { return undeclared_thing; }
C
run "$UKBUILD" -o "$T/broken.img" "$T/broken.c"
check ukbuild/compile-error-status test "$rc" -ne 0
check ukbuild/compile-error-passthrough err_has "undeclared_thing"
check ukbuild/no-partial-image test ! -e "$T/broken.img"

cat >"$T/unresolved.c" <<'C'
void nowhere(void);
int main(void) { nowhere(); return 0; }
C
run "$UKBUILD" -o "$T/unresolved.img" "$T/unresolved.c"
check ukbuild/link-error-status test "$rc" -ne 0
check ukbuild/link-error-passthrough err_has "nowhere"
check ukbuild/link-error-no-image test ! -e "$T/unresolved.img" -a ! -e "$T/unresolved.img.partial"

run "$UKBUILD" inspect /bin/sh
check ukbuild/inspect-not-an-image test "$rc" -ne 0
run "$UKBUILD" --frobnicate "$T/ok.c"
check ukbuild/unknown-option err_has "unknown option"
run "$UKBUILD" -o "$T/x.img"
check ukbuild/no-inputs err_has "no input files"

# A regression guard on the hello image's size (the goal is 256 KiB, a
# number for `make bench`): 195 KiB when first set, 241.5 KiB on 2026-12-07
# (the long-mode entry's prebuilt page tables and GDT 16 KiB; System V IPC,
# /proc per process, signalfd, exec), 268 KiB after session 13's
# pseudo-terminals (the line discipline and devpts, ~15 KiB, reached from
# devfs, /dev/tty and process exit), 246.6 KiB once only images that can use
# terminals link them (uk_ptys, uk/tty.h) and process 1's object left .data
# (250.6 KiB with the kernel heap's reuse of large blocks, 246.6 KiB again
# with the 9P codec's table of messages 2 KiB -> 1.1 KiB: text and read-only
# data end 92 bytes past a page there, and .data starts on the next page).
# 255.2 KiB after session 14's permission and pointer checks; 251.2 KiB
# with --trace's error names as one blob and 16-bit offsets (the table of
# pointers was 1 KiB: text and read-only data fell back under a page),
# 247.2 KiB with one boot PDPT for the identity map and the kernel's.
# Every image carries the library OS core, the VFS, the 9P client and FAT
# (volumes are chosen at run time).
size=$(wc -c <build/apps/hello.img)
check ukbuild/hello-image-size-guard test "$size" -le 262144
# ... and no pseudo-terminals (the POSIX terminal API links them).
check ukbuild/hello-without-pty sh -c "! $UKBUILD inspect --symbols build/apps/hello.img | grep -q ' uk_tty_receive$'"
# Link mode carries only what a program uses: hello has no network stack.
check ukbuild/hello-without-lwip sh -c "! $UKBUILD inspect --symbols build/apps/hello.img | grep -q ' tcp_input$'"
check ukbuild/httpd-with-lwip sh -c "$UKBUILD inspect --symbols build/apps/httpd.img | grep -q ' tcp_input$'"
# Only function names stay (.uk_syms, for ukrun's crash reports), unless
# the program is built with -g; a link-mode image carries only the system
# calls the program can reach (no dispatch table without syscall(2)).
run "$UKBUILD" inspect --symbols build/apps/hello.img
check ukbuild/symbols-listed out_has ' main$'
check ukbuild/symbols-compact sh -c "! readelf -SW build/apps/hello.img | grep -q '\.symtab'"
check ukbuild/hello-without-unreached-calls sh -c "! grep -q ' uk_sys_mremap$' '$T/out'"
run "$UKBUILD" -o "$T/ok-g.img" "$T/ok.c" -- -g
check ukbuild/debug-keeps-symtab sh -c "readelf -SW '$T/ok-g.img' | grep -q '\.symtab'"
