#!/bin/sh
# Real programs from Debian's sources, built in link mode: their output
# must equal that of Debian's own binaries on the host.
. tests/e2e/lib.sh
runner_ready programs || exit 0
P=build/tests/programs

guest -m 256M $P/sqlite3.img /tmp/t.db ".read /test.sql"
check "$(name programs/sqlite3-10000-rows)" cmp -s "$T/out" $P/sqlite3.expected
check "$(name programs/sqlite3-status)" status_is 0
guest -m 256M $P/lua.img /test.lua
check "$(name programs/lua-files-time-strings)" cmp -s "$T/out" $P/lua.expected
check "$(name programs/lua-status)" status_is 0
