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
