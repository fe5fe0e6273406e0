#!/usr/bin/env bash
# The library OS's rooms call only downward (libos/README.md): for every
# room, the symbols its objects use are defined in its own room or in one
# below it, read from the built objects with nm. A call upward that is not
# one of the known ones below fails, naming the symbol and the object.
set -u
cd "$(dirname "$0")/../../.."
objs=build/guest/libos

# Lowest first. arch/ is the machine's entry as well as its bottom: its trap,
# interrupt and system-call entries hand each event up to the room that
# handles it, as every kernel's do.
order="arch plat kernel virtio vfs fs ipc mm net sys process newlib init"

# Known calls upward, each with its reason (room -> room symbol).
allowed="
arch * *             trap, interrupt, syscall and boot entries dispatch upward
vfs fs *             vfs/ and fs/ are one layer: the VFS names its file system types
vfs ipc uk_epoll_release   a closed file leaves the epoll sets that hold it
fs ipc uk_fifo_open  a FIFO in a file system opens as a pipe
vfs ipc uk_poll_wait a terminal's poll hands its wait queues to the poller
fs ipc uk_poll_wait  ... and a pseudo-terminal master's
kernel mm uk_vm_fault      a signal frame is written to a stack that may not be mapped yet
kernel mm uk_vm_user_span  a thread's end writes its tid word and robust list only where they are still the program's
kernel process uk_binary_active  ... a Linux program's (a link-mode program's words are the library OS's)
"

if ! [ -d "$objs" ] || ! command -v nm >/dev/null; then
	echo "FAIL layers/objects: no $objs or no nm (run make first)"
	exit 1
fi
rank() { # ROOM -> its place in $order, or nothing
	local i=0 r
	for r in $order; do
		[ "$r" = "$1" ] && echo $i && return
		i=$((i + 1))
	done
}
rooms=$(cd "$objs" && ls -d */ | tr -d /)
for r in $rooms; do
	if [ -z "$(rank "$r")" ]; then
		echo "FAIL layers/$r: libos/$r/ is in no layer (add it to the order in $0 and libos/README.md)"
		exit 1
	fi
done

# D symbol room / U symbol room object, one line each
table=$(for o in $(cd "$objs" && find . -name '*.o' | sort); do
	room=$(echo "$o" | cut -d/ -f2)
	nm "$objs/$o" | awk -v r="$room" -v o="${o#./}" \
		'$2 ~ /^[TDBRWV]$/ { print "D", $3, r } $1 == "U" { print "U", $2, r, o }'
done)
edges=$(echo "$table" | awk '$1 == "D" { def[$2] = $3; next }
	{ use[NR] = $0 } END { for (i in use) { split(use[i], u, " ");
		if ((u[2] in def) && def[u[2]] != u[3]) print u[3], def[u[2]], u[2], u[4] } }' | sort -u)

fail=0
for r in $rooms; do
	bad=""
	while read -r from to sym obj; do
		[ "$from" = "$r" ] || continue
		[ "$(rank "$to")" -gt "$(rank "$from")" ] || continue
		ok=$(echo "$allowed" | awk -v f="$from" -v t="$to" -v s="$sym" \
			'($1 == f) && ($2 == t || $2 == "*") && ($3 == s || $3 == "*") { print "y"; exit }')
		[ "$ok" = y ] || bad="$bad $sym ($obj -> libos/$to)"
	done <<<"$edges"
	if [ -n "$bad" ]; then
		echo "FAIL layers/$r: calls upward:$bad"
		fail=1
	else
		echo "PASS layers/$r"
	fi
done
exit $fail
