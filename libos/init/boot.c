/*
 * From the PVH entry to main(): bring up the CPU, learn the platform, start
 * the clocks and memory, and assemble argv and envp.
 *
 * argv = the manifest's entrypoint + its cmd, where ukrun's `-- ARGS` (or
 * QEMU's `-append "-- ARGS"`) replace cmd, as `docker run IMAGE ARGS` does,
 * and ukrun's --entrypoint the entrypoint (and drops cmd, as docker's).
 * envp = the manifest's env, then ukrun's -e K=V over it.
 */
#include <libfdt.h>
#include <uk/abi.h>
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/fault.h>
#include <uk/futex.h>
#include <uk/host_signal.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/net.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#define MAX_STRS 1024

struct strv {
	int n;
	const char *s[MAX_STRS];
	size_t len[MAX_STRS];
};

static struct strv args, envs;

/* --verbose's finer timeline: a TSC read (~10 ns) at each stage, sent to
 * ukrun once, with main(). */
static struct uk_hc_stages stages;
#define STAGE(s) (stages.tsc[s] = uk_rdtsc())

static void strv_add(struct strv *v, const char *s, size_t len)
{
	if (v->n == MAX_STRS)
		uk_panic("more than %d arguments or environment variables", MAX_STRS);
	v->s[v->n] = s;
	v->len[v->n++] = len;
}

static void strv_add_list(struct strv *v, const struct uk_mf_list *l)
{
	const char *p;
	int pos = 0, len;

	while ((p = uk_mf_next(l, &pos, &len)))
		strv_add(v, p, len);
}

/* A runtime-tree string list (ukrun's -e and -- ARGS); 0 when absent. */
static int strv_add_prop(struct strv *v, const void *fdt, const char *name)
{
	int off, len;
	const char *p;

	if (!fdt || (off = fdt_path_offset(fdt, "/chosen")) < 0 ||
	    !(p = fdt_getprop(fdt, off, name, &len)))
		return 0;
	strv_add_list(v, &(struct uk_mf_list){ p, len });
	return 1;
}

/* K=V over an existing K, or appended. */
static void env_set(const char *s, size_t len)
{
	size_t k = 0;

	while (k < len && s[k] != '=')
		k++;
	for (int i = 0; i < envs.n; i++) {
		if (envs.len[i] > k && envs.s[i][k] == '=' && !uk_strncmp(envs.s[i], s, k)) {
			envs.s[i] = s;
			envs.len[i] = len;
			return;
		}
	}
	strv_add(&envs, s, len);
}

/* QEMU: words after " -- " on the kernel command line replace cmd; double
 * quotes group words ("-- db.sqlite \".read x.sql\""). */
static int cmdline_args(struct strv *v)
{
	static char buf[UK_CMDLINE_MAX];
	const char *p = uk_plat.cmdline;
	char *out = buf;

	for (; *p; p++)
		if (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || !p[2]) &&
		    (p == uk_plat.cmdline || p[-1] == ' '))
			break;
	if (!*p)
		return 0;
	for (p += 2; *p;) {
		char *w = out;
		int quoted = 0;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		for (; *p && (quoted || *p != ' ') && out < buf + sizeof(buf) - 1; p++) {
			if (*p == '"')
				quoted = !quoted;
			else
				*out++ = *p;
		}
		strv_add(v, w, out - w);
		*out++ = 0;
	}
	return 1;
}

static void collect(void)
{
	const struct uk_mf *mf = &uk_plat.mf;
	static struct strv env_rt;
	int own_entry = strv_add_prop(&args, uk_plat.fdt, UK_DT_ENTRYPOINT);

	if (!own_entry)
		strv_add_list(&args, &mf->entrypoint);
	/* (ukrun --entrypoint drops the image's default command, as docker) */
	if (!strv_add_prop(&args, uk_plat.fdt, UK_DT_CMD) && !cmdline_args(&args) && !own_entry)
		strv_add_list(&args, &mf->cmd);
	if (!args.n)
		strv_add(&args, "app", 3);
	strv_add_list(&envs, &mf->env);
	env_rt.n = 0;
	strv_add_prop(&env_rt, uk_plat.fdt, UK_DT_ENV);
	for (int i = 0; i < env_rt.n; i++)
		env_set(env_rt.s[i], env_rt.len[i]);
}

/* Copies into writable memory: programs may modify their argv strings. */
static char **copy_strv(const struct strv *v)
{
	size_t bytes = 0;
	char **out, *p;

	for (int i = 0; i < v->n; i++)
		bytes += v->len[i] + 1;
	out = uk_palloc((v->n + 1) * sizeof(char *) + bytes, 16);
	if (!out)
		uk_panic("out of memory for %d arguments", v->n);
	p = (char *)(out + v->n + 1);
	for (int i = 0; i < v->n; i++) {
		out[i] = p;
		uk_memcpy(p, v->s[i], v->len[i]);
		p[v->len[i]] = 0;
		p += v->len[i] + 1;
	}
	out[v->n] = 0;
	return out;
}

/* The main thread: Linux gives a program 8 MiB of stack (RLIMIT_STACK);
 * pages are committed as it grows, so this costs what is used. */
#define MAIN_STACK (8u << 20)

void uk_net_resolv_boot(void) __attribute__((weak));

static void main_thread(void *unused)
{
	const struct uk_cred *caller;
	char **argv, **envp;

	/* Process 1's address space has its name before any thread of the
	 * program runs: futex waiters are known by it, and one that waited
	 * before the first fork (which sets the process hooks up) must be
	 * found by a wake after it. */
	uk_proc_init.mm = uk_mm_cur;
	uk_futex_on_shared(uk_vm_futex_key); /* and futexes in shared memory by their page */
	uk_procfs_hooks.maps = uk_vm_maps_text;
	uk_procfs_hooks.mem_read = uk_vm_mem_read;
	uk_procfs_hooks.usage = uk_vm_usage;
	uk_procfs_hooks.rlimit = uk_rlimit_get;
	if (uk_plat.hostname) /* ukrun's --hostname (at most 64 bytes) */
		uk_memcpy(uk_hostname, uk_plat.hostname, uk_strlen(uk_plat.hostname) + 1);
	STAGE(UK_STAGE_THREAD);
	uk_vfs_init();
	/* (mounted as root, whoever the program's user is) */
	caller = uk_vfs_as_kernel();
	/* (weak: images with a network stack) Before the volumes: one over
	 * /etc is the user's, as docker leaves it (written after, the host's
	 * resolv.conf was overwritten) */
	if (uk_net_resolv_boot)
		uk_net_resolv_boot();
	uk_fat_mount_disks();   /* FAT on virtio-blk disks (libos/fs/fat_vfs.c) */
	uk_p9fs_mount_shares(); /* 9P shares: -v HOST:GUEST (libos/fs/p9fs.c) */
	uk_vfs_as_caller(caller);
	uk_vfs_enter_workdir();
	uk_vfs_root_done(); /* --tmpfs, --read-only */
	STAGE(UK_STAGE_VFS);
	collect();
	argv = copy_strv(&args);
	envp = copy_strv(&envs);
	if (uk_plat.flags & UK_PF_TIMELINE) {
		STAGE(UK_STAGE_MAIN);
		uk_outl(UK_HC_MARK, UK_MARK_MAIN);
		uk_outl(UK_HC_STAGES, (uint32_t)uk_v2p(&stages));
	}
	uk_host_signals_init(); /* process 1 takes ukrun's SIGTERM from here on */
	uk_app_start(args.n, argv, envp);
}

void uk_boot(uint64_t start_info_pa)
{
	uk_proc_boot();
	STAGE(UK_STAGE_ENTRY);
	UK_FAULT_POINT(UK_FAULT_NO_IDT);
	uk_cpu_init();
	uk_tls_boot();
	STAGE(UK_STAGE_CPU);
	UK_FAULT_POINT(UK_FAULT_EARLY);
	uk_plat_init(start_info_pa);
	if (!(uk_plat.flags & UK_PF_PIC_MASKED))
		uk_cpu_mask_pic();
	STAGE(UK_STAGE_PLAT);
	uk_time_init();
	STAGE(UK_STAGE_TIME);
	uk_mm_init();
	STAGE(UK_STAGE_MM);
	uk_sched_start(main_thread, NULL, MAIN_STACK);
}
