#!/bin/sh
# Boot tests under ukrun: output, exit status, arguments, environment,
# crashes, memory, sleeping, native speed. Needs a working /dev/kvm.
. tests/e2e/lib.sh
G=build/tests/guest
H=build/apps/hello.img

run "$UKRUN" "$H"
check boot/hello-output out_is "Hello from uk!
argv[0] = hello
GREETING = (unset)"
check boot/hello-status status_is 0

run "$UKRUN" "$G/exit.img" -- 42
check boot/exit-42 status_is 42
run "$UKRUN" "$G/exit.img" -- 0
check boot/exit-0 status_is 0

run "$UKRUN" "$H" -- one "two words" ""
check boot/argv out_is "Hello from uk!
argv[0] = hello
argv[1] = one
argv[2] = two words
argv[3] = 
GREETING = (unset)"

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
run "$UKRUN" "$G/hello-env.img"
check boot/env-manifest-default out_has "GREETING = from-the-image"
run "$UKRUN" -e GREETING=override "$G/hello-env.img" -- x
check boot/env-override out_has "GREETING = override"
check boot/cmd-override out_has "argv\[1\] = x"
run "$UKRUN" "$G/hello-env.img"
check boot/cmd-manifest-default out_has "argv\[1\] = default-arg"

run "$UKRUN" "$G/crash.img" -- null
check boot/null-deref status_is 139
check boot/null-deref-report err_has "#PF page fault) at rip 0xffffffff8"
check boot/null-deref-cr2 err_has "cr2 0x0 "
check boot/crash-symbolized err_has "^ukrun:   crashed in  0x[0-9a-f]* deref"
run "$UKRUN" "$G/crash.img" -- div
check boot/divide-error status_is 136
check boot/divide-error-report err_has "#DE divide error) at rip 0xffffffff8"
run "$UKRUN" "$G/crash.img" -- ud
check boot/invalid-opcode status_is 132

run "$UKRUN" "$G/crash.img" -- stack
check boot/stack-overflow status_is 139
check boot/stack-overflow-report err_has "stack overflow"

run "$UKRUN" "$G/churn.img"
check boot/malloc-churn out_has "churned 64 MiB, 0 corrupt bytes, malloc(1 TiB) = NULL"
check boot/malloc-churn-status status_is 0

# A sleep never ends early; it may end late when the host is loaded (the
# nested host runs under software emulation on shared cores), so the upper
# bound is the best of up to three runs.
tries=0
while :; do
	t0=$(now_ms)
	run "$UKRUN" "$G/sleep.img" -- 100
	t1=$(now_ms)
	ms=$(sed -n 's/^slept \([0-9]*\) ms$/\1/p' "$T/out")
	tries=$((tries + 1))
	[ "${ms:-0}" -lt 100 ] || [ "${ms:-0}" -le 300 ] || [ $tries -ge 3 ] && break
done
check boot/nanosleep-100ms test -n "$ms" -a "${ms:-0}" -ge 100 -a "${ms:-0}" -le 300
check boot/nanosleep-host-wall test $((t1 - t0)) -ge 100
check boot/nanosleep-einval status_is 0
now=$(date +%s)
rt=$(sed -n 's/^realtime \([0-9]*\)$/\1/p' "$T/out")
check boot/realtime-clock test -n "$rt" -a $((${rt:-0} - now)) -le 5 -a $((now - ${rt:-0})) -le 5

# Native speed: 2^24 dec/jnz iterations take ~5 ms natively, tens of ms
# under nested TCG, ~20 s when the paravirtual host instruction-emulates.
native_check boot
check boot/fpu-state out_has "float: 4.50"

run "$UKRUN" --timeout 0.5 "$G/sleep.img" -- 5000
check boot/timeout status_is 124
check boot/timeout-message err_has "timeout"

run "$UKRUN" --trace "$H"
check boot/trace-write err_has '^\[uk\] write(1, "Hello from uk!\\n'
check boot/trace-exit err_has '^\[uk\] exit_group(0) ...'
check boot/trace-output-intact out_has "Hello from uk!"
