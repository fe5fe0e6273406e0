#!/bin/sh
# A fatal fault at any moment ends the VM: before the IDT exists (a triple
# fault), before uk_plat_init (ukrun or QEMU still unknown), inside the
# exception handler, a double fault, a triple fault, a panic. Each run is
# killed after 60 s, and one that took 30 s counts as hung.
# Under ukrun, ukrun says what happened (and where, from the guest's
# registers) and exits non-zero; it also ends a vCPU halted with interrupts
# off, a guest that used QEMU's exit port and one waiting for console input
# at --timeout. Under QEMU (microvm, TCG) the library OS reports and ends
# through isa-debug-exit even before uk_plat_init, when it cannot know it
# runs under QEMU; a triple fault resets the machine, which -no-reboot turns
# into QEMU's end (without it QEMU would boot the image again, forever). A
# halted vCPU is not checked there: QEMU cannot tell it from an idle one.
# (crash-*.img: the crash test with a fault injected earlier, tests/tests.mk.)
. tests/e2e/lib.sh
runner_ready fatal || exit 0
G=build/tests/guest
P=$(name fatal)

# where NAME PATTERN: the function ukrun named from the guest's registers,
# which KVM keeps after a triple fault on Intel but not on AMD.
where() {
	if err_has "registers at the fault are lost"; then
		skip "fatal/$1" "KVM reset the vCPU at the triple fault (AMD SVM): no registers to name"
	else
		check "fatal/$1" err_has "$2"
	fi
}

# A triple fault's end: ukrun's status 139 (as SIGSEGV), QEMU's reset
# (status 255 from guest(), no guest's status).
reset() { if on_ukrun; then status_is 139; else [ "$rc" -eq 255 ]; fi; }

# fatal NAME STATUS|reset IMAGE [ARG...]: run, then check the status and
# the end.
fatal() {
	_name=$1 _want=$2
	shift 2
	_t0=$(now_ms)
	guest -t 60 "$@"
	_ms=$(($(now_ms) - _t0))
	if [ "$_want" = reset ]; then
		check "$P/$_name-status" reset
	else
		check "$P/$_name-status" status_is "$_want"
	fi
	check "$P/$_name-ends" test "$_ms" -lt 30000
}

fatal no-idt reset "$G/crash-noidt.img"
if on_ukrun; then
	check fatal/no-idt-message err_has "^ukrun: the guest triple-faulted"
	where no-idt-where "^ukrun:   crashed in  *0x[0-9a-f]* uk_boot+"
fi

fatal early 132 "$G/crash-early.img"
check $P/early-report err_has "^uk: fatal exception 6 (#UD invalid opcode) at rip"
# Named by ukrun: the guest's abort reached ukrun's port, not only QEMU's.
on_ukrun && check fatal/early-where err_has "^ukrun:   crashed in  *0x[0-9a-f]* uk_boot+"

fatal in-handler 132 "$G/crash-report.img" null
check $P/in-handler-report err_has "inside the exception handler"
on_ukrun && check fatal/in-handler-where err_has "^ukrun:   crashed in  *0x[0-9a-f]* uk_exception+"

fatal double-fault 134 "$G/crash.img" df
check $P/double-fault-report err_has "^uk: fatal exception 8 (#DF double fault)"
on_ukrun && check fatal/double-fault-where err_has "^ukrun:   crashed in  *0x[0-9a-f]* deref"

fatal triple-fault reset "$G/crash.img" tf
check $P/triple-fault-ran out_has "crashing: tf"
if on_ukrun; then
	check fatal/triple-fault-message err_has "^ukrun: the guest triple-faulted"
	where triple-fault-where "^ukrun:   crashed in  *0x[0-9a-f]* main+"
	where triple-fault-backtrace "^ukrun:   called from .* uk_app_start+"
fi

fatal panic 134 "$G/crash.img" panic
check $P/panic-message err_has "^uk: the crash test panics"

fatal isa-debug-exit 7 "$G/crash.img" isa-exit
on_ukrun || exit 0
check fatal/isa-debug-exit-message err_has "QEMU's isa-debug-exit port (status 7)"

fatal halted 134 "$G/crash.img" hang
check fatal/halted-message err_has "^ukrun: the guest halted with interrupts off"
check fatal/halted-where err_has "^ukrun:   halted in  *0x[0-9a-f]* main+"

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
