/*
 * The machine we booted on: PVH start info, ukrun's runtime tree (absent
 * under QEMU), the image's manifest, and how to end the VM.
 */
#include <libfdt.h>
#include <uk/abi.h>
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/console.h>
#include <uk/syscall.h>

struct uk_plat uk_plat;

extern const char __uk_manifest_start[], __uk_manifest_end[];

static uint64_t dt_u(const void *fdt, int node, const char *name, uint64_t def)
{
	int len;
	const void *p = fdt_getprop(fdt, node, name, &len);

	if (p && len == 4)
		return fdt32_ld(p);
	if (p && len == 8)
		return fdt64_ld(p);
	return def;
}

static void parse_runtime_tree(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	uint64_t vif, sig;
	const char *host;
	int len;

	if (chosen < 0 || !fdt_getprop(fdt, chosen, UK_DT_ABI, NULL))
		return;
	uk_plat.ukrun = 1;
	uk_plat.fdt = fdt;
	uk_plat.flags = dt_u(fdt, chosen, UK_DT_FLAGS, 0);
	uk_plat.tty_mask = dt_u(fdt, chosen, UK_DT_TTY, 0);
	sig = dt_u(fdt, chosen, UK_DT_SIGNAL_IRQ, ~0ull);
	uk_plat.signal_gsi = sig < 48 ? (int)sig : -1;
	sig = dt_u(fdt, chosen, UK_DT_EXEC_IRQ, ~0ull);
	uk_plat.exec_gsi = sig < 48 ? (int)sig : -1;
	host = fdt_getprop(fdt, chosen, UK_DT_HOSTNAME, &len);
	if (host && len > 1 && len <= 65 && !host[len - 1] && uk_strlen(host) == (size_t)len - 1)
		uk_plat.hostname = host;
	host = fdt_getprop(fdt, chosen, UK_DT_WORKDIR, &len);
	if (host && len > 1 && host[0] == '/' && !host[len - 1])
		uk_plat.workdir = host;
	uk_plat.tsc_khz = dt_u(fdt, chosen, UK_DT_TSC_KHZ, 0);
	uk_plat.epoch_ns = dt_u(fdt, chosen, UK_DT_EPOCH, 0);
	uk_plat.epoch_tsc = dt_u(fdt, chosen, UK_DT_EPOCH_TSC, 0);
	vif = dt_u(fdt, chosen, UK_DT_VIF, 0);
	if ((uk_plat.flags & UK_PF_PVM) && vif)
		uk_vif = uk_p2v(vif);
	if (uk_plat.flags & UK_PF_TRACE)
		uk_trace_on = 1;
}

void uk_plat_init(uint64_t si_pa)
{
	const struct hvm_start_info *si = uk_p2v(si_pa);

	uk_plat.cmdline = "";
	uk_plat.signal_gsi = uk_plat.exec_gsi = -1;
	if (si->magic != UK_PVH_MAGIC)
		uk_panic("bad PVH start info magic %#x", si->magic);
	if (si->cmdline_paddr)
		uk_plat.cmdline = uk_p2v(si->cmdline_paddr);
	if (si->version >= 1) {
		const struct hvm_memmap_table_entry *m = uk_p2v(si->memmap_paddr);
		for (unsigned i = 0; i < si->memmap_entries && i < UK_MEMMAP_MAX; i++)
			uk_plat.mem[uk_plat.nmem++] = m[i];
	}
	if (si->nr_modules) {
		const struct hvm_modlist_entry *mod = uk_p2v(si->modlist_paddr);
		const void *fdt = uk_p2v(mod[0].paddr);
		if (mod[0].size >= sizeof(struct fdt_header) &&
		    fdt_check_full(fdt, mod[0].size) == 0)
			parse_runtime_tree(fdt);
		uk_plat.mod_start = mod[0].paddr;
		uk_plat.mod_end = mod[0].paddr + mod[0].size;
	}
	uk_mf_read(&uk_plat.mf, __uk_manifest_start,
	           (uintptr_t)__uk_manifest_end - (uintptr_t)__uk_manifest_start);
}

/* Reached only when no VMM took the exit: interrupts off, so ukrun sees a
 * vCPU halted for good and ends the VM (vmm/kvm_x86_64.c). */
static __attribute__((noreturn)) void halt(void)
{
	for (;;) {
		uk_irq_disable();
		__asm__ volatile("hlt");
	}
}

static void (*exit_hooks[8])(void);

void uk_plat_on_exit(void (*fn)(void))
{
	for (unsigned i = 0; i < sizeof(exit_hooks) / sizeof(exit_hooks[0]); i++)
		if (!exit_hooks[i] || exit_hooks[i] == fn) {
			exit_hooks[i] = fn;
			return;
		}
	uk_panic("more than 8 exit hooks");
}

void uk_plat_exit(int status)
{
	for (unsigned i = 0; i < sizeof(exit_hooks) / sizeof(exit_hooks[0]) && exit_hooks[i]; i++)
		exit_hooks[i]();
	uk_console_flush();
	if (uk_plat.ukrun)
		uk_outl(UK_HC_EXIT, status & 0xff);
	else /* QEMU's isa-debug-exit: QEMU ends with (status << 1) | 1 */
		uk_outb(UK_QEMU_DEBUG_EXIT_PORT, status & 0xff);
	halt();
}

/* Both exits, whatever uk_plat says: a crash may come before uk_plat_init
 * has told ukrun from QEMU (or after something overwrote uk_plat). ukrun
 * ends the VM at its port; QEMU has no device there, ignores the write,
 * and ends at isa-debug-exit. */
void uk_plat_crash(struct uk_hc_crash *c)
{
	uk_console_flush();
	uk_outl(UK_HC_ABORT, (uint32_t)uk_v2p(c));
	uk_outb(UK_QEMU_DEBUG_EXIT_PORT, c->status & 0xff);
	halt();
}

void uk_plat_abort(int status)
{
	static struct uk_hc_crash c;

	c.status = status & 0xff;
	uk_plat_crash(&c);
}
