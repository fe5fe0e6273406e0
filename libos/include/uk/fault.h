/*
 * Fault injection for the tests that prove a fault at any moment ends the
 * VM (tests/e2e/guest/fatal.sh): a library OS object compiled with
 * -DUK_FAULT_AT=UK_FAULT_<STAGE> and linked into a test image ahead of
 * libuk.a (tests/tests.mk) executes ud2 at that stage. In every other build
 * UK_FAULT_POINT compiles to nothing.
 */
#ifndef UK_FAULT_H
#define UK_FAULT_H

#define UK_FAULT_NO_IDT 1 /* uk_boot before uk_cpu_init: no IDT, a triple fault */
#define UK_FAULT_EARLY 2  /* uk_boot before uk_plat_init: ukrun or QEMU unknown */
#define UK_FAULT_REPORT 3 /* inside the exception handler, in a fatal report */

#ifdef UK_FAULT_AT
#define UK_FAULT_POINT(stage)                    \
	do {                                     \
		if ((stage) == UK_FAULT_AT)      \
			__asm__ volatile("ud2"); \
	} while (0)
#else
#define UK_FAULT_POINT(stage) ((void)0)
#endif

#endif
