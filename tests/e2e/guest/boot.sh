#!/bin/sh
# Boot tests: output, exit status, arguments, the image's environment and
# command, crashes, memory, sleeping, the FPU. Under QEMU (microvm, PVH)
# too: QEMU is our interoperability check. Under ukrun also what only
# ukrun has: its console filter, -e, naming the crashed function,
# --timeout and --trace.
. tests/e2e/lib.sh
runner_ready boot || exit 0
G=build/tests/guest
H=build/apps/hello.img
P=$(name boot)

guest "$H"
check $P/hello-output out_is "Hello from uk!
argv[0] = hello
GREETING = (unset)"
check $P/hello-status status_is 0

guest "$G/exit.img" 42
check $P/exit-42 status_is 42
guest "$G/exit.img" 0
check $P/exit-0 status_is 0

guest "$H" one "two words" ""
check $P/argv out_is "Hello from uk!
argv[0] = hello
argv[1] = one
argv[2] = two words
argv[3] = 
GREETING = (unset)"

guest "$G/hello-env.img"
check $P/env-manifest-default out_has "GREETING = from-the-image"
check $P/cmd-manifest-default out_has "argv\[1\] = default-arg"
guest "$G/hello-env.img" x
check $P/cmd-override out_has "argv\[1\] = x"

guest "$G/crash.img" null
check $P/null-deref status_is 139
check $P/null-deref-report err_has "#PF page fault) at rip 0xffffffff8"
check $P/null-deref-cr2 err_has "cr2 0x0 "
on_ukrun && check boot/crash-symbolized err_has "^ukrun:   crashed in  0x[0-9a-f]* deref"
guest "$G/crash.img" div
check $P/divide-error status_is 136
check $P/divide-error-report err_has "#DE divide error) at rip 0xffffffff8"
guest "$G/crash.img" ud
check $P/invalid-opcode status_is 132

guest "$G/crash.img" stack
check $P/stack-overflow status_is 139
check $P/stack-overflow-report err_has "stack overflow (the thread's stack guard page)"

guest "$G/churn.img"
check $P/malloc-churn out_has "churned 64 MiB, 0 corrupt bytes, malloc(1 TiB) = NULL"
check $P/malloc-churn-status status_is 0

# A sleep never ends early; it may end late when the host is loaded (the
# nested host, and QEMU, run under software emulation on shared cores), so
# the upper bound is the best of up to three runs: 300 ms under ukrun, 3 s
# under QEMU.
if on_ukrun; then late=300; else late=3000; fi
tries=0
while :; do
	t0=$(now_ms)
	guest "$G/sleep.img" 100
	t1=$(now_ms)
	ms=$(sed -n 's/^slept \([0-9]*\) ms$/\1/p' "$T/out")
	tries=$((tries + 1))
	[ "${ms:-0}" -lt 100 ] || [ "${ms:-0}" -le $late ] || [ $tries -ge 3 ] && break
done
check $P/nanosleep-100ms test -n "$ms" -a "${ms:-0}" -ge 100 -a "${ms:-0}" -le $late
check $P/nanosleep-host-wall test $((t1 - t0)) -ge 100
check $P/nanosleep-einval status_is 0
now=$(date +%s)
rt=$(sed -n 's/^realtime \([0-9]*\)$/\1/p' "$T/out")
check $P/realtime-clock test -n "$rt" -a $((${rt:-0} - now)) -le 5 -a $((now - ${rt:-0})) -le 5

# The FPU's state is the thread's (and runner_ready timed the same program).
guest "$G/native.img" 20
check $P/fpu-state out_has "float: 4.50"
on_ukrun || exit 0

# The guest's output toward a terminal (a pty from script(1)): control
# sequences other than colours come out as text (^[ for ESC), so a guest
# cannot write the clipboard (OSC 52) or make the terminal answer (ENQ);
# --console raw, and output to a pipe, pass the guest's bytes exactly.
esc=$(printf '\033') bel=$(printf '\007') enq=$(printf '\005')
seqs="red:${esc}[31mR${esc}[0m clip:${esc}]52;c;SGVsbG8=${bel} enq:${enq}."
run "$UKRUN" "$H" -- "$seqs"
check boot/console-pipe-exact grep -qF "argv[1] = $seqs" "$T/out"
if need boot/console-tty script; then
	run bound 60 script -q -c "$UKRUN $H -- '$seqs'" /dev/null
	check boot/console-tty-shows-sequences grep -qF "argv[1] = red:${esc}[31mR${esc}[0m clip:^[]52;c;SGVsbG8=^G enq:^E." "$T/out"
	check boot/console-tty-no-osc sh -c "! grep -qF '${esc}]' $T/out"
	run bound 60 script -q -c "$UKRUN --console raw $H -- '$seqs'" /dev/null
	check boot/console-tty-raw grep -qF "argv[1] = $seqs" "$T/out"
fi
run "$UKRUN" --console bogus "$H"
check boot/console-bad-option clean_error

run "$UKRUN" -e GREETING=hi "$H"
check boot/env out_has "GREETING = hi"
run "$UKRUN" -e GREETING=override "$G/hello-env.img" -- x
check boot/env-override out_has "GREETING = override"
# The runtime tree is written in 16 KiB first, in its whole room when that
# is short (vmm/load.c): a 40 KB variable arrives whole; five of 100 KB
# fit in neither, and ukrun says so.
big=$(head -c 40000 /dev/zero | tr '\0' x)
run "$UKRUN" -e "GREETING=$big" "$H"
check boot/env-larger-than-first-try out_has "GREETING = $big"
big=$(head -c 100000 /dev/zero | tr '\0' x)
run "$UKRUN" -e "A=$big" -e "B=$big" -e "C=$big" -e "D=$big" -e "E=$big" "$H"
check boot/env-too-large clean_error
check boot/env-too-large-message err_has 'runtime device tree: .*too many arguments or variables'

run "$UKRUN" --timeout 0.5 "$G/sleep.img" -- 5000
check boot/timeout status_is 124
check boot/timeout-message err_has "timeout"

run "$UKRUN" --trace "$H"
check boot/trace-write err_has '^\[uk\] write(1, "Hello from uk!\\n'
check boot/trace-exit err_has '^\[uk\] exit_group(0) ...'
check boot/trace-output-intact out_has "Hello from uk!"
