#!/bin/sh
# Which KVM flavour ukrun found, and the hello image on it.
. tests/e2e/lib.sh
native_check flavour
run "$UKRUN" --verbose build/apps/hello.img
flavour=$(sed -n 's/^ukrun: KVM flavour: \([a-z]*\).*/\1/p' "$T/err")
check "flavour/${flavour:-unknown}-kvm-hello" out_has "Hello from uk!"
check "flavour/${flavour:-unknown}-kvm-status" status_is 0
exits=$(sed -n 's/^ukrun: exits to ukrun: \([0-9]*\).*/\1/p' "$T/err")
check "flavour/${flavour:-unknown}-kvm-exits-counted" test -n "$exits"
# The host kernel's own count of the vCPU's exits (KVM's statistics): a
# hello world boots with a few, never none.
kexits=$(sed -n 's/^ukrun: KVM counts (vCPU):.* exits \([0-9]*\).*/\1/p' "$T/err")
check "flavour/${flavour:-unknown}-kvm-kernel-exits-counted" test "${kexits:-0}" -gt 0
# A preempted and signalled program keeps its registers and the bytes
# below its %rsp on this flavour too, the FPU's state in the frame as well
# (the nested standard host's CPU has no XSAVE: the fxsave path, whose
# frame once had 64 bytes cleared above it, in the red zone).
S=build/tests/oci/linuxprog-static-signals.img
if [ -f "$S" ]; then
	run "$UKRUN" --timeout 300 "$S"
	check "flavour/${flavour:-unknown}-kvm-signals" out_has '^done 0 failed$'
	check "flavour/${flavour:-unknown}-kvm-signals-ran" test "$(grep -c '^ok ' "$T/out")" -eq 8
else
	skip "flavour/${flavour:-unknown}-kvm-signals" "$S was not made (tests/e2e/host/oci_images.sh)"
fi
# --sample: where the vCPU's CPU time went, by guest function. The native
# check's loop in main() for a few hundred ms: the samples name main
# first (the image's own symbols), and the program's result is unchanged.
run "$UKRUN" --timeout 120 --sample build/tests/guest/native.img -- 30
samples=$(sed -n 's/^ukrun: --sample: \([0-9]*\) samples.*/\1/p' "$T/err")
first=$(sed -n '/^ukrun: --sample:/{n;p;q}' "$T/err")
check "flavour/${flavour:-unknown}-kvm-sample-ran" out_has "^native: 2^30 iterations"
check "flavour/${flavour:-unknown}-kvm-sample-taken" test "${samples:-0}" -ge 5
check "flavour/${flavour:-unknown}-kvm-sample-names-main" test -n "$(echo "$first" | grep ' main ')"
