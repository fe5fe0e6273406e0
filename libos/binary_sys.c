/*
 * The system-call path of a Linux program (binary mode): MSR set-up for
 * the `syscall` instruction, the C side of its entry stub
 * (arch/x86_64/syscall_entry.S), and the calls whose meaning differs from
 * link mode's, which are answered here before the common table:
 *   brk     a Linux program's break lives in the lower half, right after
 *           its data, as on Linux (link mode's lies in library OS memory)
 *   execve  replaces the program (binary.c)
 *   mmap    of a file: until the memory subsystem maps files, a private
 *           mapping is made as what it is, a copy: anonymous pages filled
 *           from the file (what ld.so needs to load libraries)
 * Everything else goes to uk_syscall(), the same dispatcher (and --trace)
 * link mode uses.
 */
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/cpu.h>
#include <uk/linux.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/vm.h>
#include <uk/print.h>

#define PAGE UK_PAGE_SIZE
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define NR_EXECVEAT 322

/* Flags the `syscall` instruction clears: TF, DF, NT, AC. IF stays as it
 * was, so interrupts keep arriving while the library OS works. */
#define SYSCALL_FMASK ((1ul << 8) | (1ul << 10) | (1ul << 14) | (1ul << 18))

void uk_syscall_entry(void);
extern uint64_t uk_binary_brk_start;

void uk_binary_syscall_init(void)
{
	/* STAR: the kernel selectors `syscall` loads (CS, and SS = CS + 8),
	 * and the user ones sysret would (never used: we stay at CPL0). */
	uk_wrmsr(MSR_STAR, (uint64_t)UK_SEL_UCODE32 << 48 | (uint64_t)UK_SEL_KCODE << 32);
	uk_wrmsr(MSR_LSTAR, (uint64_t)uk_syscall_entry);
	uk_wrmsr(MSR_FMASK, SYSCALL_FMASK);
}

/* ---- brk ---- */

static uint64_t brk_cur, brk_end; /* the break, and the end of its pages */

void uk_binary_brk_reset(void) { brk_cur = brk_end = 0; }

static long binary_brk(uint64_t want)
{
	uint64_t end;
	long r;

	if (!brk_cur)
		brk_cur = brk_end = uk_binary_brk_start;
	if (want < uk_binary_brk_start || want >= UK_VM_MMAP_TOP)
		return (long)brk_cur;
	end = PAGE_UP(want);
	if (end > brk_end) {
		/* never over another mapping: then the break cannot grow */
		r = uk_vm_mmap(brk_end, end - brk_end, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0);
		if (r < 0)
			return (long)brk_cur;
	} else if (end < brk_end) {
		uk_vm_munmap(end, brk_end - end);
	}
	brk_end = end;
	brk_cur = want;
	return (long)brk_cur;
}

/* ---- mmap of a file ---- */

static long read_file_at(struct uk_file *f, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		uint64_t pos = off + done;
		long n = f->ops->read(f, (char *)buf + done, len - done, &pos);
		if (n < 0)
			return n;
		if (n == 0)
			break; /* past the end of the file: the rest stays zero */
		done += n;
	}
	return (long)done;
}

static long mmap_file(uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int fd,
		      uint64_t off)
{
	struct uk_file *f = uk_fd_get(fd);
	struct stat st;
	long r, a;

	if (!f)
		return -EBADF;
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE)) {
		uk_trace_note("mmap: a shared writable mapping of a file is not supported");
		r = -ENODEV;
	} else if ((f->flags & O_ACCMODE) == O_WRONLY || !f->ops->read) {
		r = -EACCES;
	} else if (uk_sys_fstat(fd, (long)&st, 0, 0, 0, 0) || !S_ISREG(st.st_mode)) {
		r = -ENODEV;
	} else if (off & (PAGE - 1)) {
		r = -EINVAL;
	} else {
		/* a read-only shared mapping of an unchanging file is a copy too */
		unsigned type = (flags & MAP_TYPE) == MAP_PRIVATE ? 0 : MAP_SHARED ^ MAP_PRIVATE;
		a = uk_vm_mmap(addr, len, PROT_READ | PROT_WRITE,
			       (flags ^ type) | MAP_ANONYMOUS, NULL, 0);
		r = a;
		if (a >= 0 && (r = read_file_at(f, (void *)a, len, off)) >= 0)
			r = uk_vm_mprotect(a, PAGE_UP(len), prot) ?: a;
		else if (a >= 0)
			uk_vm_munmap(a, len);
	}
	uk_file_put(f);
	return r;
}

static const char *prot_text(unsigned p, char *buf)
{
	uk_snprintf(buf, 64, "%s%s%s%s", p & PROT_READ ? "PROT_READ" : "",
		    (p & PROT_WRITE) ? (p & PROT_READ ? "|PROT_WRITE" : "PROT_WRITE") : "",
		    (p & PROT_EXEC) ? (p & 3 ? "|PROT_EXEC" : "PROT_EXEC") : "",
		    p & 7 ? "" : "PROT_NONE");
	return buf;
}

/* ---- the calls answered here ---- */

static long local_call(struct uk_regs *r, int *handled)
{
	long ret;

	*handled = 1;
	switch (r->rax) {
	case UK_NR_brk:
		ret = binary_brk(r->rdi);
		uk_trace_note("brk(%#lx) = %#lx", r->rdi, ret);
		return ret;
	case UK_NR_execve:
		uk_trace_note("execve(\"%s\", %#lx, %#lx) ...", r->rdi ? (const char *)r->rdi : "",
			      r->rsi, r->rdx);
		ret = r->rdi ? uk_binary_exec((const char *)r->rdi, (char *const *)r->rsi,
					      (char *const *)r->rdx) : -EFAULT;
		uk_trace_note("execve = %ld", ret);
		return ret;
	case UK_NR_mmap:
		if (r->r10 & MAP_ANONYMOUS)
			break;
		ret = mmap_file(r->rdi, r->rsi, (unsigned)r->rdx, (unsigned)r->r10, (int)r->r8, r->r9);
		{
			char pb[64];
			uk_trace_note("mmap(%#lx, %lu, %s, %s%s, %d, %#lx) = %#lx", r->rdi, r->rsi,
				      prot_text((unsigned)r->rdx, pb),
				      (r->r10 & MAP_TYPE) == MAP_PRIVATE ? "MAP_PRIVATE" : "MAP_SHARED",
				      r->r10 & MAP_FIXED ? "|MAP_FIXED" : "", (int)r->r8, r->r9, ret);
		}
		return ret;
	case NR_EXECVEAT:
		/* only the form that is plain execve */
		if ((int)r->rdi == AT_FDCWD && !r->r8 && r->rsi) {
			ret = uk_binary_exec((const char *)r->rsi, (char *const *)r->rdx,
					     (char *const *)r->r10);
			uk_trace_note("execveat(AT_FDCWD, \"%s\") = %ld", (const char *)r->rsi, ret);
			return ret;
		}
	}
	*handled = 0;
	return 0;
}

/* From syscall_entry.S, on the thread's own library OS stack, interrupts
 * as the program had them (on). r is the program's registers; the result
 * goes to r->rax. */
void uk_binary_syscall(struct uk_regs *r)
{
	struct uk_thread *t = uk_current;
	struct uk_regs *outer = t->uregs;
	int handled, on;
	long ret;

	t->uregs = r; /* clone() copies it for the new thread */
	ret = local_call(r, &handled);
	if (!handled)
		ret = uk_syscall((long)r->rax, (long)r->rdi, (long)r->rsi, (long)r->rdx,
				 (long)r->r10, (long)r->r8, (long)r->r9);
	r->rax = (uint64_t)ret;
	t->uregs = outer;
	/* The program always runs with interrupts on, whatever the call did
	 * (the flags are not restored from %r11 on the way out). */
	uk_irq_enable();
	/* A signal to deliver, or the time slice is over: leave through the
	 * signal trampoline on the program's stack (signal.c), as an
	 * interrupt that found the program running would. */
	if (uk_attention) {
		on = uk_irq_save();
		uk_intr_exit(r);
		uk_irq_restore(on);
	}
}
