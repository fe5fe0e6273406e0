/* ukrun: boot a uk image in a microVM on KVM and return its exit status. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uk/manifest.h>

#include "../image/image.h"
#include "../image/manifest.h"
#include "oci.h"
#include "p9_server.h"
#include "virtio.h"
#include "vmm.h"

#define DEFAULT_MEM (64ull << 20)

/* ukrun serves its gofers itself; the network helper is ukrun-net
 * (ukrun_net.c), so that ukrun never loads libslirp (helper.c). */
const struct vmm_helper_mode vmm_helper_modes[] = { { "gofer", p9g_main } };
const size_t vmm_helper_nmodes = 1;

static void timeline(const struct vmm *vm)
{
	const struct vmm_timeline *t = &vm->t;
	struct rusage ru;

#define MS(x) ((x) > 0 ? ((x)-t->start) * 1e3 : -1.0)
	vmm_verbose(vm,
	            "timeline (ms since start): /dev/kvm %.2f, VM %.2f, memory %.2f, image loaded "
	            "%.2f, vCPU ready %.2f, jail %.2f, locked down %.2f, first KVM_RUN %.2f, "
	            "main() %.2f, end %.2f",
	            MS(t->kvm_open), MS(t->vm_created), MS(t->mem_ready), MS(t->loaded),
	            MS(t->vcpu_ready), MS(t->jailed), MS(t->locked), MS(t->first_run), MS(t->main),
	            MS(t->end));
	if (t->stage[UK_STAGE_ENTRY] > 0)
		vmm_verbose(vm,
		            "guest's boot (ms since start): entered %.2f, CPU %.2f, platform %.2f, "
		            "clocks %.2f, pages %.2f, main thread %.2f, file systems %.2f, "
		            "main() %.2f",
		            MS(t->stage[UK_STAGE_ENTRY]), MS(t->stage[UK_STAGE_CPU]),
		            MS(t->stage[UK_STAGE_PLAT]), MS(t->stage[UK_STAGE_TIME]),
		            MS(t->stage[UK_STAGE_MM]), MS(t->stage[UK_STAGE_THREAD]),
		            MS(t->stage[UK_STAGE_VFS]), MS(t->stage[UK_STAGE_MAIN]));
#undef MS
	getrusage(RUSAGE_SELF, &ru);
	vmm_verbose(vm, "exits to ukrun: %llu (port I/O %llu, MMIO %llu); peak RSS %ld KiB",
	            (unsigned long long)vm->exits, (unsigned long long)vm->io_exits,
	            (unsigned long long)vm->mmio_exits, ru.ru_maxrss);
}

void vmm_stages(struct vmm *vm, const struct uk_hc_stages *s)
{
	/* The guest's readings as it sent them: one before the epoch (or a
	 * TSC frequency unknown) is left out, a wrong one only misprints. */
	for (int i = 0; i < UK_STAGES; i++)
		vm->t.stage[i] =
		    s->tsc[i] > vm->epoch_tsc && vm->tsc_khz
		        ? vm->t.epoch + (s->tsc[i] - vm->epoch_tsc) / (vm->tsc_khz * 1e3)
		        : 0;
}

/* Everything that needs broad rights is done (signal handlers and the
 * --timeout timer included), and the jail dropped the rights themselves
 * (jail.c): from here on only the allow-list of seccomp.c, for every
 * thread. */
static int lock_down(struct vmm *vm)
{
	double t0 = vmm_now();
	int n = vmm_seccomp(vm->needs);

	if (n < 0)
		return -1;
	vm->t.locked = vmm_now();
	vmm_verbose(vm, "seccomp: %d system calls allowed (%.2f ms to install)", n,
	            (vm->t.locked - t0) * 1e3);
	return 0;
}

/*
 * The VM's teardown, left to another process. The host kernel tears a VM
 * down when its last file closes, inside the exit of whoever closes it:
 * the irqchip's and the memory slots' SRCU grace periods and the guest's
 * memory freed take 3-15 ms on the paravirtual host, more than the whole
 * run before them, and the caller (a shell, conmon, a test) would wait
 * for them in ukrun's exit. So after the jail and before the lock-down a
 * child is made that shares ukrun's memory and file table, asks to be
 * killed when ukrun goes (PR_SET_PDEATHSIG), blocks every signal, enters
 * seccomp's strict mode (read, write, exit: nothing else, ever) and
 * waits in a read. At the end ukrun closes every file but the VM's two
 * and the child's pipe (the caller's pipes and terminal, TAPs, sockets:
 * nothing another process could wait on or reopen outlives ukrun) and
 * exits; the child, killed then, drops the last references. Made before
 * the lock-down, it needs nothing from ukrun's filter: a ukrun taken
 * over cannot make processes that outlive it. Where it could not be
 * made, ukrun tears down in its own exit.
 */
static struct {
	int pipe[2]; /* the child reads [0]; [1] stays open in the shared table */
	pid_t parent;
} reaper_ = { { -1, -1 }, 0 };

/* The child: raw calls only (it runs on ukrun's memory, with its TLS). */
static int reaper(void *arg)
{
	uint64_t all = ~0ull;
	char b;

	(void)arg;
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != reaper_.parent) /* ukrun went before that */
		syscall(SYS_exit, 0);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all));
	syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
	syscall(SYS_read, reaper_.pipe[0], &b, 1);
	syscall(SYS_exit, 0);
	return 0;
}

static void reaper_start(void)
{
	static char stack[16384] __attribute__((aligned(16)));

	if (pipe2(reaper_.pipe, O_CLOEXEC))
		return;
	reaper_.parent = getpid();
	if (clone(reaper, stack + sizeof(stack), CLONE_VM | CLONE_FILES, NULL) < 0) {
		close(reaper_.pipe[0]);
		close(reaper_.pipe[1]);
		reaper_.pipe[0] = reaper_.pipe[1] = -1;
	}
}

/* Exit with status, the teardown left to the reaper where there is one. */
static _Noreturn void leave(struct vmm *vm, int status)
{
	int keep[4] = { vm->vm, vm->vcpu, reaper_.pipe[0], reaper_.pipe[1] };
	unsigned from = 0;

	fflush(NULL);
	if (reaper_.pipe[0] < 0 || vm->vm < 0 || vm->vcpu < 0)
		_exit(status);
	for (int i = 1; i < 4; i++) /* ascending */
		for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0; i < 4; i++) {
		if ((unsigned)keep[i] > from)
			syscall(SYS_close_range, from, keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0u, 0);
	_exit(status);
}

/* The OCI runtime is ukrun-oci beside ukrun: the same command line, run
 * there (its exit status 1 for its own failures, as runc's). */
static int to_runtime(char **argv)
{
	char exe[PATH_MAX];
	int r = vmm_sibling(VMM_EXE_OCI, exe, sizeof(exe));

	if (!r) {
		execv(exe, argv);
		r = -errno;
	}
	vmm_err("the OCI runtime, %s: %s (ukrun's executables are installed together)",
	        r == -ENAMETOOLONG ? VMM_EXE_OCI : exe, strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	static struct vmm vm;
	struct vmm_opts o;
	struct uki_image img;
	struct uk_mf mf;
	struct uki_strlist vpoints;
	size_t size;
	void *file;
	uint64_t mem, entry;
	int r;

	/* One malloc arena for every thread: glibc shrinking a thread's own
	 * arena after a free reads /proc/sys/vm/overcommit_memory the first
	 * time, an open the seccomp filter refuses (a VM whose 16 exec
	 * sessions ended together died so). ukrun's threads allocate little. */
	mallopt(M_ARENA_MAX, 1);
	/* A helper under its own filter ends without atexit handlers (the
	 * libraries' destructors make calls its list does not have). */
	if (argc > 1 && !strcmp(argv[1], VMM_HELPER_ARG))
		_exit(vmm_helper_main(argc, argv));
	if (oci_is_runtime(argc, argv))
		return to_runtime(argv);
	vm.t.start = vmm_now();
	r = vmm_parse_args(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : VMM_EXIT_ERROR;
	vmm_verbose_on = o.verbose;
	vm.opts = &o;
	if (vmm_jail_check(&o))
		return VMM_EXIT_ERROR;
	if (!(file = vmm_image_open(o.image, &size, &img, &mf, &vm.image_fd)) ||
	    vmm_image_volumes(&mf, &vpoints))
		return VMM_EXIT_ERROR;
	o.vpoints = vpoints.v;
	o.nvpoints = vpoints.n;
	if (vmm_devices_check(&o))
		return VMM_EXIT_ERROR;
	mem = o.mem ? o.mem : mf.mem ? mf.mem : DEFAULT_MEM;
	if (mem > UK_RAM_MAX || mem < (2u << 20)) {
		vmm_err("--mem %llu MiB: between 2 MiB and %llu MiB is supported",
		        (unsigned long long)(mem >> 20), (unsigned long long)(UK_RAM_MAX >> 20));
		return VMM_EXIT_ERROR;
	}
	if (vmm_image_fits(&img, mem, o.image))
		return VMM_EXIT_ERROR;
	if (vmm_kvm_init(&vm, mem)) /* (which starts vmm_jail_ahead) */
		return VMM_EXIT_ERROR;
	if (vmm_devices_setup(&vm) || (o.oci_exec && vmm_exec_setup(&vm, o.oci_exec)))
		return VMM_EXIT_ERROR;
	vm.epoch_tsc = vmm_guest_tsc(&vm);
	vm.t.epoch = vmm_now();
	if (!(entry = vmm_load(&vm, file, &img, o.image)))
		return VMM_EXIT_ERROR;
	munmap(file, size);
	vm.t.loaded = vmm_now();
	if (vmm_vcpu_init(&vm, &img))
		return VMM_EXIT_ERROR;
	vmm_kvm_stats_open(&vm);
	if (o.oci_fifo && oci_wait_start(o.oci_ready, o.oci_stderr, o.oci_fifo))
		return VMM_EXIT_ERROR;
	vmm_console_init(&o);
	if (vmm_catch_signals(&vm) || vmm_jail(&vm) || (o.oci_exec && vmm_exec_start(&vm)))
		return VMM_EXIT_ERROR;
	reaper_start();
	/* The stop's watch thread after the jail: capabilities and
	 * namespaces are a thread's, so one made before kept root's and the
	 * host's, and the jail's wait for a single thread (unshare's mount and
	 * user namespaces) ran its 10 000 rounds in vain (~200 ms a start). */
	if (vmm_sigfwd_watch(&vm)) {
		vmm_err("the stop's watch thread: %s", strerror(errno));
		return VMM_EXIT_ERROR;
	}
	vm.t.jailed = vmm_now();
	if (lock_down(&vm))
		return VMM_EXIT_ERROR;
	r = vmm_run(&vm);
	vmm_sigfwd_loop_ended();
	vm.t.end = vmm_now();
	vmm_devices_teardown(&vm);
	vmm_helpers_stop(&vm);
	fflush(stdout);
	vmm_guest_err_total();
	timeline(&vm);
	vmm_kvm_stats_print(&vm);
	vmm_sample_print(&vm);
	leave(&vm, r);
}
