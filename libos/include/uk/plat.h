/* What the library OS learnt about the machine it booted on. */
#ifndef UK_PLAT_H
#define UK_PLAT_H

#include <stdint.h>
#include <uk/abi.h>
#include <uk/manifest.h>

#define UK_MEMMAP_MAX 16

struct uk_plat {
	int ukrun;            /* booted by ukrun (runtime tree present) */
	uint32_t flags;       /* UK_PF_* from ukrun */
	uint32_t tty_mask;    /* bit n: host fd n is a terminal */
	int signal_gsi;       /* IOAPIC pin of ukrun's signals for process 1, or -1 */
	int exec_gsi;         /* IOAPIC pin of `ukrun exec`'s requests, or -1 */
	const char *hostname; /* ukrun's --hostname (at most 64 bytes), or NULL */
	const char *workdir;  /* ukrun's -w (an absolute path), or NULL: the manifest's */
	uint64_t tsc_khz;     /* from ukrun, 0 when unknown */
	uint64_t epoch_ns;    /* host wall clock when the TSC was epoch_tsc */
	uint64_t epoch_tsc;
	uint64_t mod_start; /* PVH module 0, kept out of the allocator */
	uint64_t mod_end;
	const void *fdt;     /* runtime tree (physmap) or NULL */
	struct uk_mf mf;     /* the image's manifest (mf.present: has one) */
	const char *cmdline; /* PVH command line, "" when none */
	unsigned nmem;
	struct hvm_memmap_table_entry mem[UK_MEMMAP_MAX];
};

extern struct uk_plat uk_plat;

/* Parse hvm_start_info; fills uk_plat. */
void uk_plat_init(uint64_t start_info_pa);

/* Work an orderly exit does before the VM ends (a file system's write-back
 * cache, say), in the order registered; at most 8. */
void uk_plat_on_exit(void (*fn)(void));

/* The C library's start (newlib/start.c): main()'s thread runs it. */
void uk_app_start(int argc, char **argv, char **envp);

/* End the VM. Never returns. */
__attribute__((noreturn)) void uk_plat_exit(int status);
/* End the VM after a crash whose report is already on stderr. */
__attribute__((noreturn)) void uk_plat_abort(int status);
/* The same, with the code addresses of the crash for ukrun to name. */
__attribute__((noreturn)) void uk_plat_crash(struct uk_hc_crash *c);

#endif
