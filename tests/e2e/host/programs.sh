#!/bin/bash
# Real programs from Debian's sources, built in link mode, under QEMU: their
# output must equal that of Debian's own binaries on the host.
. tests/e2e/lib.sh
P=build/tests/programs

qemu() { # IMAGE APPEND
	timeout 300 qemu-system-x86_64 -M microvm -cpu max -m 256M -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit -kernel "$1" -append "$2" </dev/null
}

run qemu $P/sqlite3.img '-- /tmp/t.db ".read /test.sql"'
check programs/qemu-sqlite3-10000-rows cmp -s "$T/out" $P/sqlite3.expected
check programs/qemu-sqlite3-status status_is 1
run qemu $P/lua.img '-- /test.lua'
check programs/qemu-lua-files-time-strings cmp -s "$T/out" $P/lua.expected
check programs/qemu-lua-status status_is 1
