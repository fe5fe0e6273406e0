/*
 * Crashes the way its argument says: null, div, ud, stack (the program's
 * faults), panic (the library OS gives up), df (a double fault), tf (a
 * triple fault), hang (halted with interrupts off), isa-exit (QEMU's exit
 * port alone, as a guest that never tried ukrun's); or read, which waits
 * for a line on stdin (for --timeout during a console read). Built with a library
 * OS object that faults earlier (crash-*.img, tests/tests.mk), it never
 * gets here. A link-mode program runs at the kernel's privilege, so it can
 * break the CPU's tables the way a library OS bug would.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int zero;

/* The library OS's: its panic, and the VIF page on the paravirtual host
 * (NULL on standard KVM), whose first byte is the interrupt flag. */
void uk_panic(const char *fmt, ...);
extern volatile uint8_t *uk_vif;

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

__attribute__((noinline)) static int deref(int *p) { return *p; }

__attribute__((noinline)) static int divide(int a) { return a / zero; }

__attribute__((noinline)) static int recurse(volatile int n)
{
	volatile char pad[4096];
	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

/* The TSS's exception stack pointer (IST2, libos/arch/x86_64/cpu.c) moved
 * to an unmapped page: the next page fault cannot be delivered, and the
 * CPU raises a double fault, which has a stack of its own. */
static void double_fault(void)
{
	struct desc_ptr gdt;
	uint16_t tr;
	uint64_t *d, tss;

	__asm__ volatile("sgdt %0; str %1" : "=m"(gdt), "=r"(tr));
	d = (uint64_t *)(gdt.base + tr);
	tss = ((d[0] >> 16) & 0xffffff) | (d[0] >> 56) << 24 | d[1] << 32;
	*(volatile uint64_t *)(tss + 36 + 8) = 0x10000; /* ist[1] */
	zero = deref((int *)(volatile uintptr_t)0);
}

/* No IDT: the fault, the #GP for its missing gate and the double fault
 * all go nowhere, and the CPU shuts down. */
static void triple_fault(void)
{
	struct desc_ptr none = { 0, 0 };

	__asm__ volatile("lidt %0; ud2" : : "m"(none));
}

static void halt_forever(void)
{
	if (uk_vif)
		uk_vif[0] = 0;
	else
		__asm__ volatile("cli");
	for (;;)
		__asm__ volatile("hlt");
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";

	printf("crashing: %s\n", how);
	fflush(stdout);
	if (!strcmp(how, "null"))
		return deref((int *)(volatile unsigned long)0);
	if (!strcmp(how, "div"))
		return divide(7);
	if (!strcmp(how, "ud"))
		__builtin_trap();
	if (!strcmp(how, "stack"))
		return recurse(0);
	if (!strcmp(how, "panic"))
		uk_panic("the crash test panics");
	if (!strcmp(how, "df"))
		double_fault();
	if (!strcmp(how, "tf"))
		triple_fault();
	if (!strcmp(how, "hang"))
		halt_forever();
	if (!strcmp(how, "isa-exit"))
		__asm__ volatile("outb %b0, %w1" : : "a"(7), "Nd"(0x501));
	if (!strcmp(how, "read")) {
		char c;
		return read(0, &c, 1) == 1 ? 3 : 4;
	}
	printf("unknown crash '%s'\n", how);
	return 1;
}
