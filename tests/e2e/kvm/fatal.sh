#!/bin/sh
# A fatal fault at any moment ends the VM: before the IDT exists (a triple
# fault), before uk_plat_init (ukrun or QEMU still unknown), inside the
# exception handler, a double fault, a triple fault, a panic, a vCPU halted
# with interrupts off, a guest that used QEMU's exit port. Each time ukrun
# says what happened and exits non-zero, and it ends: every run is killed
# after 60 s, and one that took 30 s counts as hung.
# (crash-*.img: the crash test with a fault injected earlier, tests/tests.mk.)
. tests/e2e/lib.sh
native_check fatal
G=build/tests/guest

# where NAME PATTERN: the function ukrun named from the guest's registers,
# which KVM keeps after a triple fault on Intel but not on AMD.
where() {
	if err_has "registers at the fault are lost"; then
		skip "fatal/$1" "KVM reset the vCPU at the triple fault (AMD SVM): no registers to name"
	else
		check "fatal/$1" err_has "$2"
	fi
}

# fatal NAME STATUS UKRUN-ARGS...: run, then check the status and the end.
fatal() {
	_name=$1 _want=$2
	shift 2
	_t0=$(now_ms)
	run timeout -s KILL 60 "$UKRUN" "$@"
	_ms=$(($(now_ms) - _t0))
	check "fatal/$_name-status" status_is "$_want"
	check "fatal/$_name-ends" test "$_ms" -lt 30000
}

fatal no-idt 139 "$G/crash-noidt.img"
check fatal/no-idt-message err_has "^ukrun: the guest triple-faulted"
where no-idt-where "^ukrun:   crashed in  *0x[0-9a-f]* uk_boot+"

fatal early 132 "$G/crash-early.img"
check fatal/early-report err_has "^uk: fatal exception 6 (#UD invalid opcode) at rip"
# Named by ukrun: the guest's abort reached ukrun's port, not only QEMU's.
check fatal/early-where err_has "^ukrun:   crashed in  *0x[0-9a-f]* uk_boot+"

fatal in-handler 132 "$G/crash-report.img" -- null
check fatal/in-handler-report err_has "inside the exception handler"
check fatal/in-handler-where err_has "^ukrun:   crashed in  *0x[0-9a-f]* uk_exception+"

fatal double-fault 134 "$G/crash.img" -- df
check fatal/double-fault-report err_has "^uk: fatal exception 8 (#DF double fault)"
check fatal/double-fault-where err_has "^ukrun:   crashed in  *0x[0-9a-f]* deref"

fatal triple-fault 139 "$G/crash.img" -- tf
check fatal/triple-fault-message err_has "^ukrun: the guest triple-faulted"
where triple-fault-where "^ukrun:   crashed in  *0x[0-9a-f]* main+"
where triple-fault-backtrace "^ukrun:   called from .* uk_app_start+"

fatal panic 134 "$G/crash.img" -- panic
check fatal/panic-message err_has "^uk: the crash test panics"

fatal halted 134 "$G/crash.img" -- hang
check fatal/halted-message err_has "^ukrun: the guest halted with interrupts off"
check fatal/halted-where err_has "^ukrun:   halted in  *0x[0-9a-f]* main+"

fatal isa-debug-exit 7 "$G/crash.img" -- isa-exit
check fatal/isa-debug-exit-message err_has "QEMU's isa-debug-exit port (status 7)"

# --timeout still ends a guest that waits for console input.
mkfifo "$T/in"
sleep 60 >"$T/in" &
holder=$!
_t0=$(now_ms)
run timeout -s KILL 60 "$UKRUN" --timeout 1 "$G/crash.img" -- read <"$T/in"
_ms=$(($(now_ms) - _t0))
kill "$holder" 2>/dev/null
check fatal/timeout-in-console-read status_is 124
check fatal/timeout-in-console-read-ends test "$_ms" -lt 30000
