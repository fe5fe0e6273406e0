#!/bin/sh
# Real programs from Debian's sources under ukrun (expected outputs made on
# the host by Debian's own binaries).
. tests/e2e/lib.sh
native_check programs
P=build/tests/programs

run "$UKRUN" $P/sqlite3.img -- /tmp/t.db ".read /test.sql"
check programs/sqlite3-10000-rows cmp -s "$T/out" $P/sqlite3.expected
check programs/sqlite3-status status_is 0
run "$UKRUN" $P/lua.img -- /test.lua
check programs/lua-files-time-strings cmp -s "$T/out" $P/lua.expected
check programs/lua-status status_is 0
