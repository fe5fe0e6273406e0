#!/bin/sh
# Terminal programs on uk's pseudo-terminals (libos/fs/devpts.c,
# libos/vfs/tty.c): Debian's tmux, screen and expect, with bash, from this
# host's own files in an image (ldd's libraries beside them, as a
# container image has them). tmux: a detached session's pane runs a shell
# that sees its terminal and its size, a resize reaches it, a client
# attached through script(1) sees the pane and detaches on C-b d. screen:
# the same through -X stuff and hardcopy, and an attach detached by C-a d.
# expect: a dialogue with an interactive bash. Each run bounded.
. tests/e2e/lib.sh
native_check terminals
if ! have gcc sh bash script ldd; then
	skip terminals/all "the image is made of this host's bash, script(1) and their libraries (ldd), and linked with gcc"
	exit 0
fi

R=$T/root
mkdir -p "$R/usr/bin" "$R/tmp" "$R/etc" "$R/root" "$R/run/screen" "$R/usr/lib/locale"
ln -s usr/bin "$R/bin"
chmod 1777 "$R/tmp" "$R/run/screen"
echo 'root:x:0:0:root:/root:/bin/bash' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
echo 'tty:x:5:' >>"$R/etc/group"
# add FILE: FILE and the libraries it loads, at their paths
add() {
	for _f in "$1" $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$R$_f" ] || cp -L --parents "$_f" "$R/"
	done
}
for p in sh bash script sleep stty tty grep cat tmux screen expect; do
	if have "$p"; then
		_p=$(command -v "$p")
		add "$_p"
		[ -e "$R/usr/bin/$p" ] || cp -L "$_p" "$R/usr/bin/$p"
	fi
done
# (glibc's pthread_cancel, which Tcl's threads use, loads libgcc_s)
for f in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/locale/C.utf8 /usr/share/terminfo/x/xterm \
	/lib/terminfo/x/xterm /usr/share/tcltk/tcl8.6 /usr/lib/tcltk/x86_64-linux-gnu; do
	[ -e "$f" ] && cp -rL --parents "$f" "$R/"
done
cat >"$R/tmp/dialogue.exp" <<'EOF'
set timeout 10
spawn bash --norc
expect "# "
send "echo \$((6*7))\r"
expect {
	"42\r" { puts "\nexpect: answered" }
	timeout { puts "\nexpect: timed out"; exit 1 }
}
send "exit\r"
expect eof
EOF
# w CMD: wait for CMD to succeed (10 s at most), in the guest's bash
W='w() { i=0; while [ $i -lt 100 ] && ! eval "$1"; do sleep 0.1; i=$((i + 1)); done; }'
IMG=$T/terminals.img
run "$UKBUILD" oci -q "dir:$R" -o "$IMG" --entrypoint /bin/bash -e TERM=xterm -e LC_ALL=C.UTF-8 \
	-e PATH=/usr/bin
check terminals/image test "$rc" -eq 0

if need terminals/tmux tmux; then
	run bound 90 "$UKRUN" --timeout 80 "$IMG" -- -c "$W"'
tmux -S /tmp/s new-session -d -x 80 -y 24 bash --norc
tmux -S /tmp/s send-keys -t 0 "tty; stty size; echo mark-\$((6*7))" Enter
w "tmux -S /tmp/s capture-pane -p -t 0 | grep -q ^mark-42"
tmux -S /tmp/s resize-window -t 0 -x 100 -y 30
tmux -S /tmp/s send-keys -t 0 "stty size" Enter
w "tmux -S /tmp/s capture-pane -p -t 0 | grep -q \"^30 100\""
tmux -S /tmp/s capture-pane -p -t 0
(sleep 2; printf "\002d"; sleep 2) | script -qfec "tmux -S /tmp/s attach" /tmp/ts >/dev/null
echo "attach $?"; grep -ao "detached[^]]*" /tmp/ts
tmux -S /tmp/s kill-server'
	check terminals/tmux-pane-tty out_has '^/dev/pts/[0-9]*$'
	check terminals/tmux-pane-size out_has '^24 80$'
	check terminals/tmux-pane-runs out_has '^mark-42$'
	check terminals/tmux-resize out_has '^30 100$'
	check terminals/tmux-attach out_has '^attach 0$'
	check terminals/tmux-detach out_has '^detached (from session 0)'
fi
if need terminals/screen screen; then
	run bound 90 "$UKRUN" --timeout 80 "$IMG" -- -c "$W"'
screen -dmS s bash --norc
w "screen -ls | grep -q Detached"
screen -S s -X stuff "echo mark-\$((6*7))\n"
w "screen -S s -X hardcopy /tmp/h && grep -q ^mark /tmp/h"
grep "^mark" /tmp/h
(sleep 2; printf "\001d"; sleep 2) | script -qfec "screen -r s" /tmp/ts >/dev/null
echo "attach $?"; grep -ao "detached from [0-9]*.s" /tmp/ts
screen -S s -X quit'
	check terminals/screen-window-runs out_has '^mark-42$'
	check terminals/screen-attach out_has '^attach 0$'
	check terminals/screen-detach out_has '^detached from [0-9]*.s'
fi
if need terminals/expect expect; then
	run bound 60 "$UKRUN" --timeout 50 "$IMG" -- -c 'expect /tmp/dialogue.exp; echo "expect $?"'
	check terminals/expect-dialogue out_has '^expect: answered'
	check terminals/expect-status out_has '^expect 0$'
fi
