/*
 * "binary" mode: the image holds the library OS, a root filesystem and a
 * manifest naming a Linux program in it (ukbuild oci). uk_binary_main is
 * the image's main(): it finds the program, loads it and its interpreter
 * (ld.so from the image) into the lower half, builds Linux's initial
 * stack and jumps to it. From then on the program enters the library OS
 * through `syscall` (binary_sys.c) and, for time, through the vDSO.
 *
 * Segments are private mappings of the file (uk/vm.h: copies filled from
 * the file when mapped), as Linux maps them; ld.so maps the libraries the
 * same way through mmap(2).
 */
#include <stddef.h>
#include <uk/arch.h>
#include <uk/console.h>
#include <uk/binary.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#include <linux/auxvec.h>

/* syscall_entry.S reads these two fields by offset. */
_Static_assert(offsetof(struct uk_thread, stack) == 24, "syscall_entry.S T_STACK");
_Static_assert(offsetof(struct uk_thread, stack_size) == 32, "syscall_entry.S T_STACK_SIZE");

#define PAGE UK_PAGE_SIZE
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define STACK_SIZE (8ul << 20) /* RLIMIT_STACK's default */
#define STACK_TOP UK_VM_END
#define STACK_POPULATE (64ul << 10)
#define MAX_SHEBANG 4 /* scripts interpreted by scripts ... */
#define MAX_STRINGS 4096

static char *str_chr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == c)
			return (char *)s;
	return NULL;
}

int uk_binary_active;

/* ---- files ---- */

struct exe {
	struct uk_file *f;
	uint64_t size;
	struct uk_elf e;
	uint64_t bias;
	char interp[UK_ELF_MAX_INTERP];
	uint8_t *ph; /* room for the program headers (struct exec_state) */
};

static long read_at(struct uk_file *f, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		uint64_t pos = off + done;
		long n =
		    f->ops->read ? f->ops->read(f, (char *)buf + done, len - done, &pos) : -EACCES;
		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += n;
	}
	return (long)done;
}

/* Open path as a program: a regular file the caller may execute (read
 * permission is not needed: a mode of 0711 runs, as on Linux). */
static long open_exec(const char *path, struct uk_file **out, uint64_t *size)
{
	struct stat st;
	long r = uk_vfs_open_exec(path, out);

	if (r)
		return r;
	if ((r = uk_vfs_fstat(*out, &st))) {
		uk_file_put(*out);
		return r;
	}
	*size = st.st_size;
	return 0;
}

/* Header and program headers of an opened ELF file. */
static long read_elf(struct exe *x, const char **why)
{
	uint8_t hdr[64], *ph = x->ph;
	long n = read_at(x->f, hdr, sizeof(hdr), 0), r;

	if (n < 0)
		return n;
	if ((r = uk_elf_check_header(hdr, (size_t)n, &x->e, why)))
		return r;
	n = read_at(x->f, ph, x->e.phnum * 56ul, x->e.phoff);
	if (n < 0)
		return n;
	if ((r = uk_elf_check_phdrs(ph, (size_t)n, x->size, &x->e, why)))
		return r;
	if (x->e.interp_len) {
		n = read_at(x->f, x->interp, x->e.interp_len, x->e.interp_off);
		if (n != (long)x->e.interp_len || x->interp[n - 1] ||
		    uk_strlen(x->interp) != (size_t)n - 1) {
			*why = "a bad interpreter path";
			return -ENOEXEC;
		}
	}
	return 0;
}

/* ---- loading ---- */

/* A segment that shares its first page with the previous one (old
 * linkers): its bytes are copied into place, the shared page untouched. */
static long load_shared(struct exe *x, const struct uk_elf_load *l, uint64_t prev_end)
{
	uint64_t end = PAGE_UP(x->bias + l->vaddr + l->memsz);
	long r = 0;

	if (end > prev_end)
		r = uk_vm_mmap(prev_end, end - prev_end, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (r >= 0)
		r = read_at(x->f, (void *)(x->bias + l->vaddr), l->filesz, l->off);
	if (r >= 0 && (uint64_t)r != l->filesz)
		r = -EIO;
	return r < 0 ? r : 0;
}

/* A segment's pages committed with its mapping (MAP_POPULATE): each
 * fault the loader or the new program would take for them costs ~5 exits
 * on the paravirtual host (the fault, CR2, the retry's shadow fault...),
 * a page mapped here none; fault-around would map most of them anyway.
 * Code whose system calls are rewritten is read whole by the rewriting;
 * other segments, and .bss, up to POPULATE_MAX. (A static program's exec:
 * 13 guest faults -> 3.) */
#define POPULATE_MAX (1ul << 20)

/* Only while memory is plentiful, as fault-around: a guess at what will
 * be touched must not be what leaves a program without memory. */
static int plenty(void) { return uk_mm_free() >= uk_mm_total() / 8; }

static unsigned populate(const struct uk_elf_load *l, uint64_t len)
{
	if (!plenty())
		return 0;
	if (len <= POPULATE_MAX || ((l->prot & PROT_EXEC) && !(uk_plat.flags & UK_PF_NO_REWRITE)))
		return MAP_POPULATE;
	return 0;
}

/* Whether segment i is mapped with its own rights at once: one that is
 * never written (code, read-only data), whole, and shares no page with
 * the next. Its whole pages of a file of the image are then the archive's
 * own (mmap_file.c) instead of copies, and the bytes after it in its last
 * page are the file's, as Linux maps them (a static program's exec: 223
 * pages copied -> 35). */
static int load_final(const struct exe *x, unsigned i)
{
	const struct uk_elf_load *l = &x->e.load[i];
	uint64_t end = PAGE_UP(l->vaddr + l->memsz);

	return !(l->prot & PROT_WRITE) && l->memsz == l->filesz &&
	       (i + 1 == x->e.nload || PAGE_DOWN(x->e.load[i + 1].vaddr) >= end);
}

/* Segment i at bias + vaddr, as Linux maps it: the file's pages (private:
 * the image's own until written, else a copy), the rest of the last one
 * zeroed when the segment is written, anonymous pages for the remaining
 * .bss. Writable until protect_loads() unless load_final(). */
static long load_one(struct exe *x, unsigned i, uint64_t prev_end)
{
	const struct uk_elf_load *l = &x->e.load[i];
	uint64_t va = x->bias + l->vaddr, start = PAGE_DOWN(va);
	uint64_t file_end = va + l->filesz, map_end = l->filesz ? PAGE_UP(file_end) : start;
	uint64_t end = PAGE_UP(va + l->memsz);
	int final = load_final(x, i);
	long r;

	if (start < prev_end)
		return load_shared(x, l, prev_end);
	if (l->filesz) {
		r = uk_vm_mmap(start, map_end - start, final ? l->prot : PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_FIXED | populate(l, map_end - start), x->f,
		               l->off - (va - start));
		if (r < 0)
			return r;
		if (!final) /* not the segment's */
			uk_memset((void *)file_end, 0, map_end - file_end);
	}
	if (end > map_end) {
		r = uk_vm_mmap(map_end, end - map_end, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | populate(l, end - map_end),
		               NULL, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One flush for all of them: the loader writes none of these pages by
 * their addresses any more (the rewriting writes through the physmap). A
 * static program's exec: 7 invlpg -> 0, a dynamic one's 21. */
static void protect_loads(struct exe *x)
{
	uk_pt_flush_hold();
	for (unsigned i = 0; i < x->e.nload; i++) {
		const struct uk_elf_load *l = &x->e.load[i];
		uint64_t s = PAGE_DOWN(x->bias + l->vaddr),
		         e = PAGE_UP(x->bias + l->vaddr + l->memsz);
		unsigned prot = l->prot;
		/* a page shared with a neighbour gets both's rights */
		if (i && s < PAGE_UP(x->bias + x->e.load[i - 1].vaddr + x->e.load[i - 1].memsz))
			prot |= x->e.load[i - 1].prot;
		uk_vm_mprotect(s, e - s, prot);
	}
	uk_pt_flush_release();
}

/* Place and load x: ET_EXEC where it is linked, the main PIE at Linux's
 * base, an interpreter wherever mmap finds room for its whole span. */
static long load(struct exe *x, int interp)
{
	uint64_t span = x->e.hi - x->e.lo, prev = 0;
	long r;

	if (!x->e.dyn) {
		x->bias = 0;
	} else if (!interp) {
		x->bias = UK_ELF_PIE_BASE - x->e.lo;
	} else {
		r = uk_vm_mmap(0, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		if (r < 0)
			return r;
		x->bias = (uint64_t)r - x->e.lo;
	}
	for (unsigned i = 0; i < x->e.nload; i++) {
		if ((r = load_one(x, i, prev)))
			return r;
		prev = PAGE_UP(x->bias + x->e.load[i].vaddr + x->e.load[i].memsz);
	}
	protect_loads(x);
	/* (code mapped executable at once was rewritten by mmap's hook) */
	for (unsigned i = 0; i < x->e.nload; i++) {
		const struct uk_elf_load *l = &x->e.load[i];
		if ((l->prot & PROT_EXEC) && !load_final(x, i))
			uk_binary_rewrite(PAGE_DOWN(x->bias + l->vaddr),
			                  x->bias + l->vaddr + l->filesz);
	}
	return 0;
}

/* ---- the program's first stack ---- */

static int count(char *const *v)
{
	int n = 0;

	while (v && v[n] && n < MAX_STRINGS)
		n++;
	return n;
}

/* Asked once: one vCPU, and a cpuid traps on the paravirtual host. */
static uint64_t hwcap(void)
{
	static uint64_t edx1;
	uint32_t r[4];

	if (!edx1) {
		uk_cpuid(1, 0, r);
		edx1 = r[3];
	}
	return edx1;
}

static uint64_t build_stack(struct exe *prog, struct exe *interp, char *const *argv,
                            char *const *envp, const char *execfn, uint64_t vdso)
{
	uint8_t rnd[16] = { 0 };
	uint64_t base = STACK_TOP - STACK_SIZE;
	const uint64_t minsig = PAGE_UP(uk_xsave_size + 1024);

	uk_sys_getrandom((long)rnd, sizeof(rnd), 0, 0, 0, 0);
	const uint64_t aux[] = {
		AT_SYSINFO_EHDR, vdso,
		AT_MINSIGSTKSZ,  minsig,
		AT_HWCAP,        hwcap(),
		AT_PAGESZ,       PAGE,
		AT_CLKTCK,       100,
		AT_PHDR,         prog->bias + prog->e.phdr,
		AT_PHENT,        56,
		AT_PHNUM,        prog->e.phnum,
		AT_BASE,         interp ? interp->bias : 0,
		AT_FLAGS,        0,
		AT_ENTRY,        prog->bias + prog->e.entry,
		AT_UID,          (uint64_t)uk_sys_getuid(0, 0, 0, 0, 0, 0),
		AT_EUID,         (uint64_t)uk_sys_geteuid(0, 0, 0, 0, 0, 0),
		AT_GID,          (uint64_t)uk_sys_getgid(0, 0, 0, 0, 0, 0),
		AT_EGID,         (uint64_t)uk_sys_getegid(0, 0, 0, 0, 0, 0),
		AT_SECURE,       0,
		AT_HWCAP2,       (uk_cr4 >> 16) & 1 ? 2 : 0, /* HWCAP2_FSGSBASE */
		AT_NULL,         0,
	};
	struct uk_stack_in in = {
		.argc = count(argv),
		.argv = argv,
		.envc = count(envp),
		.envp = envp,
		.execfn = execfn,
		.random16 = rnd,
		.auxv = vdso ? aux : aux + 2,
	};

	if (uk_vm_mmap(base, STACK_SIZE,
	               PROT_READ | PROT_WRITE | (prog->e.exec_stack ? PROT_EXEC : 0),
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) < 0)
		return 0;
	/* its top, written now and by the first frames: no fault for them
	 * (best effort: what is not committed faults in) */
	if (plenty())
		uk_vm_populate(STACK_TOP - STACK_POPULATE, STACK_TOP);
	/* Arguments and environment get at most a quarter of the stack, as
	 * Linux's execve allows. */
	return uk_stack_build((void *)(STACK_TOP - STACK_SIZE / 4), STACK_SIZE / 4, STACK_TOP, &in);
}

/* Where the new program's arguments and environment lie: back to back
 * from argv[0] (binary_stack.c), for /proc/PID/cmdline and environ. */
static void note_args(uint64_t sp)
{
	const uint64_t *w = (const uint64_t *)sp, argc = w[0];
	const uint64_t *argv = w + 1, *envp = w + argc + 2;
	struct uk_proc *p = uk_proc_cur;
	uint64_t envc = 0;

	while (envp[envc])
		envc++;
	p->arg_start = argc ? argv[0] : envc ? envp[0] : 0;
	p->arg_end =
	    argc ? argv[argc - 1] + uk_strlen((const char *)argv[argc - 1]) + 1 : p->arg_start;
	p->env_start = envc ? envp[0] : p->arg_end;
	p->env_end =
	    envc ? envp[envc - 1] + uk_strlen((const char *)envp[envc - 1]) + 1 : p->env_start;
	p->stack_start = sp; /* (the JVM finds the main thread's stack from it) */
}

/* ---- finding the program ---- */

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = uk_strlen(name);

	for (int i = 0; envp && envp[i]; i++)
		if (!uk_strncmp(envp[i], name, n) && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

/* name with no '/' through PATH, as execvp does; the path into buf. */
static long find_in_path(const char *name, char *const *envp, char *buf, size_t size)
{
	const char *path = env_get(envp, "PATH"), *p, *end;
	long r = -ENOENT;

	if (str_chr(name, '/') || !*name) {
		uk_snprintf(buf, size, "%s", name);
		return 0;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin";; p = end + 1) {
		struct stat st;
		size_t len;
		end = str_chr(p, ':');
		if (!end)
			end = p + uk_strlen(p);
		len = end - p;
		if (len + uk_strlen(name) + 2 <= size) {
			uk_memcpy(buf, p, len);
			uk_snprintf(buf + len, size - len, "%s%s", len ? "/" : "", name);
			long e = uk_sys_stat((long)buf, (long)&st, 0, 0, 0, 0);
			if (!e && S_ISREG(st.st_mode))
				return 0;
			if (!e)
				r = -EACCES;
		}
		if (!*end)
			break;
	}
	return r;
}

/* ---- starting ---- */

static __attribute__((noreturn)) void enter(uint64_t entry, uint64_t sp)
{
	struct uk_regs r = { 0 };
	const uint32_t mxcsr = 0x1f80; /* the state a new Linux process has */

	r.rip = entry;
	r.cs = UK_SEL_KCODE;
	r.rflags = 0x202; /* IF */
	r.rsp = sp;
	r.ss = UK_SEL_KDATA;
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
	uk_console_flush();
	uk_irq_enable();
	uk_arch_frame_enter(&r);
}

/* "#!interp [arg]" of a script, split in place in buf. */
static int shebang(struct exe *x, char *buf, size_t size, char **interp, char **arg)
{
	char *p = buf, *end;
	long n = read_at(x->f, p, size - 1, 0);

	if (n < 3 || p[0] != '#' || p[1] != '!')
		return 0;
	p[n] = 0;
	if ((end = str_chr(p, '\n')))
		*end = 0;
	for (p += 2; *p == ' ' || *p == '\t'; p++)
		;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		for (end = p + uk_strlen(p); end > p && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = 0;
	}
	*arg = *p ? p : NULL;
	return **interp != 0;
}

/* What to run: path, and copies of argv and envp in library OS memory
 * (an execve's strings live in the program that is about to go). */
struct exec_req {
	char path[256];
	char comm[16]; /* the name the process takes: the path's last part */
	char **argv, **envp;
	int argc, envc;
	char *arena;
	size_t used, size;
	int depth;
};

static char *arena_str(struct exec_req *q, const char *s)
{
	size_t n = uk_strlen(s) + 1;
	char *d;

	if (n > q->size - q->used)
		return NULL;
	d = q->arena + q->used;
	uk_memcpy(d, s, n);
	q->used += n;
	return d;
}

static void req_free(struct exec_req *q)
{
	uk_kfree(q->arena);
	q->arena = NULL;
}

/* Room for two more argv words per #! level, and their strings. */
#define SHEBANG_ROOM (2 * MAX_SHEBANG)

/* One of argv's or envp's strings into the arena. From a program's
 * execve (prog), its pointer is read once and checked as it is used: the
 * array was checked before the call (binary_uaccess.c), but another
 * process sharing the memory could have changed it since, to an address
 * of the library OS's (copied into the new program, it would show it). */
static long req_str(struct exec_req *q, char *const *v, int i, char **to, int prog)
{
	const char *s = ((const char *const volatile *)v)[i];

	if (prog && (!s || uk_vm_user_str((uintptr_t)s, 131073))) /* MAX_ARG_STRLEN + 1 */
		return -EFAULT;
	*to = arena_str(q, s);
	return 0;
}

static long req_init(struct exec_req *q, const char *path, char *const *argv, char *const *envp,
                     int prog)
{
	int argc = count(argv), envc = count(envp);
	size_t bytes = 0;

	if (argc == MAX_STRINGS || envc == MAX_STRINGS || uk_strlen(path) >= sizeof(q->path))
		return uk_strlen(path) >= sizeof(q->path) ? -ENAMETOOLONG : -E2BIG;
	for (int i = 0; i < argc; i++)
		bytes += uk_strlen(argv[i]) + 1;
	for (int i = 0; i < envc; i++)
		bytes += uk_strlen(envp[i]) + 1;
	if (bytes > STACK_SIZE / 4)
		return -E2BIG;
	q->size = bytes + MAX_SHEBANG * 2 * sizeof(q->path) +
	          (argc + envc + SHEBANG_ROOM + 2) * sizeof(char *);
	if (!(q->arena = uk_kmalloc(q->size)))
		return -ENOMEM;
	q->argv = (char **)q->arena;
	q->envp = q->argv + argc + SHEBANG_ROOM + 1;
	q->used = (argc + envc + SHEBANG_ROOM + 2) * sizeof(char *);
	for (int i = 0; i < argc; i++)
		if (req_str(q, argv, i, &q->argv[i], prog))
			return -EFAULT;
	for (int i = 0; i < envc; i++)
		if (req_str(q, envp, i, &q->envp[i], prog))
			return -EFAULT;
	q->argv[argc] = q->envp[envc] = NULL;
	q->argc = argc, q->envc = envc;
	q->depth = 0;
	uk_memcpy(q->path, path, uk_strlen(path) + 1);
	return 0;
}

/* The process's new name: the last part of the path execve was given (a
 * script's, not its interpreter's; "exe" for /proc/self/exe), as Linux
 * names it. */
static void req_comm(struct exec_req *q, const char *path)
{
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			path = c + 1;
	for (int i = 0; i < 15 && path[i] && path[i] != '/'; i++)
		q->comm[i] = path[i];
}

/* argv becomes: interp [arg] script args[1..] (as Linux's binfmt_script). */
static long req_script(struct exec_req *q, const char *interp, const char *arg)
{
	int extra = arg ? 2 : 1, n = q->argc;
	char *ip = arena_str(q, interp), *ap = arg ? arena_str(q, arg) : NULL;
	char *script = arena_str(q, q->path);

	if (!ip || (arg && !ap) || !script || uk_strlen(interp) >= sizeof(q->path))
		return -E2BIG;
	for (int i = n; i >= 1; i--)
		q->argv[i + extra] = q->argv[i];
	q->argv[0] = ip;
	if (ap)
		q->argv[1] = ap;
	q->argv[extra] = script;
	q->argc = n + extra;
	uk_memcpy(q->path, interp, uk_strlen(interp) + 1);
	return 0;
}

static void exe_close(struct exe *x)
{
	if (x->f)
		uk_file_put(x->f);
	x->f = NULL;
}

/* Open and check the program (following #! lines); nothing is changed
 * yet, so a failure leaves the caller's program intact. */
static long prepare(struct exec_req *q, struct exe *prog, struct exe *interp, const char **why)
{
	char line[256], *ip, *ia;
	long r;

	for (;;) {
		if ((r = open_exec(q->path, &prog->f, &prog->size)))
			return r;
		if (!shebang(prog, line, sizeof(line), &ip, &ia))
			break;
		exe_close(prog);
		if (++q->depth > MAX_SHEBANG) {
			*why = "too many levels of #! interpreters";
			return -ELOOP;
		}
		if ((r = req_script(q, ip, ia)))
			return r;
	}
	if ((r = read_elf(prog, why)))
		return r;
	if (!prog->e.interp_len)
		return 0;
	if ((r = open_exec(prog->interp, &interp->f, &interp->size)) ||
	    (r = read_elf(interp, why))) {
		if (!*why)
			*why = "its interpreter (PT_INTERP) cannot be opened:";
		return r;
	}
	if (interp->e.interp_len) {
		*why = "its interpreter asks for an interpreter:";
		return -ENOEXEC;
	}
	return 0;
}

static void report(const char *path, long r, const char *why, const char *interp)
{
	if (why)
		uk_pr("exec %s: %s%s%s", path, why, interp ? " " : "", interp ? interp : "");
	else
		uk_pr("exec %s: %s (error %ld)", path,
		      r == -ENOENT   ? "no such file"
		      : r == -EACCES ? "not an executable file"
		                     : "cannot be run",
		      -r);
}

/* At exit under --trace or --verbose: how the program's system calls came
 * in (rewritten sites or traps). */
static void trace_summary(void)
{
	static const char fmt[] = "system calls: %lu through %lu rewritten sites, %lu trapped";
	unsigned long j = uk_syscalls_jumped, s = uk_rewritten_sites, t = uk_syscalls_trapped;

	static const char cpuid[] = "cpuid: %lu sites rewritten";
	unsigned long c = uk_rewritten_cpuid;
	/* where a start's memory work goes (/proc/vmstat has them all) */
	static const char mem[] = "memory: %lu page faults, file pages %lu mapped from the image "
	                          "and %lu copied, %lu copied on write, %lu invlpg, %lu CR3 loads, "
	                          "%lu KiB resident at most";
	const struct uk_vm_counts *m = &uk_vm_counts;
	unsigned long rss = uk_vm_rss_peak() >> 10;

	if (uk_trace_on) {
		uk_trace_note(fmt, j, s, t);
		uk_trace_note(cpuid, c);
		uk_trace_note(mem, m->pgfault, m->file_image, m->file_copy, m->cow_copy, m->invlpg,
		              m->cr3_load, rss);
	} else if (uk_plat.flags & UK_PF_TIMELINE) { /* --verbose: make bench counts traps */
		uk_pr(fmt, j, s, t);
		uk_pr(cpuid, c);
		uk_pr(mem, m->pgfault, m->file_image, m->file_copy, m->cow_copy, m->invlpg,
		      m->cr3_load, rss);
	}
}

/* One exec's state, in the kernel heap: a thread's library OS stack may be
 * 16 KiB, and an exec may block (a file on a 9P volume) while another
 * process execs. */
struct exec_state {
	struct exec_req q;
	struct exe prog, interp;
	uint8_t ph[UK_ELF_MAX_PHNUM * 56];
};

static struct exec_state *exec_new(void)
{
	struct exec_state *st = uk_kzalloc(sizeof(*st));

	if (st)
		st->prog.ph = st->interp.ph = st->ph;
	return st;
}

static void exec_free(struct exec_state *st)
{
	exe_close(&st->prog);
	exe_close(&st->interp);
	req_free(&st->q);
	uk_kfree(st);
}

/* A new image that cannot start: process 1's end is the VM's. */
static __attribute__((noreturn)) void cannot_start(void) { uk_proc_exit(126 << 8); }

/* The program's file as a tag for the tables it leaves (uk_mm_settle):
 * FNV-1a of its path, the top bit clear (fork's tags are library OS
 * addresses, with it set). */
static uint64_t program_tag(const char *path)
{
	uint64_t h = 14695981039346656037ull;

	while (*path)
		h = (h ^ (uint8_t)*path++) * 1099511628211ull;
	return h >> 1;
}

/* Load prepared images and start the program: from here on there is no
 * way back to the caller. */
static __attribute__((noreturn)) void start(struct exec_state *st)
{
	struct exec_req *q = &st->q;
	struct exe *prog = &st->prog, *interp = &st->interp;
	uint64_t sp, vdso, entry;
	long r;

	uk_vm_on_exec_map(uk_binary_rewrite); /* the program's code, ld.so's, libraries' */
	if ((r = load(prog, 0)) || (prog->e.interp_len && (r = load(interp, 1)))) {
		uk_pr("exec %s: cannot load it: error %ld (out of memory?)", q->path, -r);
		cannot_start();
	}
	if (!prog->e.phdr) {
		uk_pr("exec %s: its program headers are not in a loaded segment", q->path);
		cannot_start();
	}
	uk_proc_cur->brk_start = prog->bias + prog->e.hi;
	/* /proc/self/exe: the file itself, through any symlink (java finds
	 * its installation from it: /usr/bin/java links into /usr/lib/jvm) */
	if (uk_path_real(q->path, uk_proc_cur->exe, sizeof(uk_proc_cur->exe)))
		uk_snprintf(uk_proc_cur->exe, sizeof(uk_proc_cur->exe), "%s", q->path);
	vdso = uk_vdso_map();
	uk_proc_cur->vdso_start = vdso;
	if (!(sp = build_stack(prog, prog->e.interp_len ? interp : NULL, q->argv, q->envp, q->path,
	                       vdso))) {
		uk_pr("exec %s: the arguments and environment do not fit on the stack", q->path);
		cannot_start();
	}
	note_args(sp);
	uk_memcpy(uk_current->name, q->comm, sizeof(uk_current->name));
	uk_trace_note(
	    "exec %s: %s%s%s, entry %#lx", q->path,
	    prog->e.dyn ? (prog->e.interp_len ? "dynamic PIE" : "static-pie")
	                : (prog->e.interp_len ? "dynamic" : "static"),
	    prog->e.interp_len ? ", interpreter " : "", prog->e.interp_len ? prog->interp : "",
	    prog->e.interp_len ? interp->bias + interp->e.entry : prog->bias + prog->e.entry);
	entry = prog->e.interp_len ? interp->bias + interp->e.entry : prog->bias + prog->e.entry;
	exec_free(st);
	uk_mm_settle(program_tag(uk_proc_cur->exe));
	uk_binary_active = 1;
	uk_plat_on_exit(trace_summary);
	enter(entry, sp);
}

static uint64_t kernel_fs; /* the %fs base library OS code had: a valid TCB */

/* Other threads of the process (execve would have to end them). */
static int other_app_threads(void)
{
	int n = 0;

	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		n += t != uk_current && (t->flags & UK_TF_APP) && t->proc == uk_proc_cur &&
		     t->state != UK_T_EXITED;
	return n;
}

/* Caught signals go back to their default action (the handlers were the
 * old program's code); ignored ones stay ignored, the mask stays. */
static void reset_signals(void)
{
	struct {
		uint64_t handler, flags, restorer, mask;
	} old, dfl = { 0 };

	for (long sig = 1; sig <= UK_NSIG; sig++)
		if (!uk_sys_rt_sigaction(sig, 0, (long)&old, 8, 0, 0) && old.handler > 1)
			uk_sys_rt_sigaction(sig, (long)&dfl, 0, 8, 0, 0);
	uk_current->altstack_sp = uk_current->altstack_size = 0;
	uk_current->altstack_flags = 0;
}

/* Descriptors marked close-on-exec go. */
static void close_on_exec(void)
{
	for (int fd = 0, max = uk_fd_max(); fd < max; fd++)
		if (uk_fd_get_cloexec(fd) > 0)
			uk_fd_close(fd);
}

/* execve of path; committed(arg), if given, runs once nothing can fail
 * any more, just before the old program goes. */
static long exec_common(const char *path, char *const *argv, char *const *envp, int prog,
                        void (*committed)(void *), void *arg)
{
	struct uk_mm *mm, *old;
	struct exec_state *st;
	const char *why = NULL;
	const char *asked = path;
	long r;

	if (other_app_threads()) {
		uk_trace_note("execve %s: the program has other threads (execve would end them; "
		              "not supported)",
		              path);
		return -EAGAIN;
	}
	/* busybox runs its applets so: the file of the running program */
	if (!uk_strcmp(path, "/proc/self/exe") && uk_proc_cur->exe[0])
		path = uk_proc_cur->exe;
	if (!(st = exec_new()))
		return -ENOMEM;
	req_comm(&st->q, asked);
	if ((r = req_init(&st->q, path, argv, envp, prog)) ||
	    (r = prepare(&st->q, &st->prog, &st->interp, &why))) {
		if (why)
			uk_trace_note("execve %s: %s %s", st->q.path, why,
			              st->prog.e.interp_len ? st->prog.interp : "");
		exec_free(st);
		return r;
	}
	uk_proc_setup();
	if (!(mm = uk_mm_new())) {
		exec_free(st);
		return -ENOMEM;
	}
	if (committed)
		committed(arg);
	/* No way back from here: the old program goes, with its address
	 * space (a fresh one: a vfork parent keeps the one it lent), and a
	 * vfork parent goes on. */
	old = uk_proc_cur->mm;
	uk_proc_cur->mm = mm;
	uk_mm_switch(mm);
	uk_mm_put(old);
	uk_proc_exec_done();
	uk_ptimers_delete(uk_proc_cur);
	close_on_exec();
	reset_signals();
	uk_tls_set_thread(uk_current, kernel_fs);
	uk_current->uregs = NULL;
	uk_current->clear_child_tid = NULL;
	uk_current->robust_list = 0;
	uk_binary_brk_reset();
	start(st);
}

long uk_binary_exec(const char *path, char *const *argv, char *const *envp)
{
	return exec_common(path, argv, envp, 1, NULL, NULL);
}

long uk_binary_exec_as(const char *name, char *const *argv, char *const *envp,
                       void (*committed)(void *), void *arg)
{
	char path[256];
	long r;

	if (!kernel_fs)
		return -ENOEXEC; /* link mode: the image's program is not a Linux one */
	if ((r = find_in_path(name, envp, path, sizeof(path))))
		return r;
	return exec_common(path, argv, envp, 0, committed, arg);
}

int uk_binary_main(int argc, char **argv, char **envp)
{
	struct exec_state *st;
	const char *why = NULL;
	char path[256];
	long r;

	if (!argc) {
		uk_pr("binary mode: the manifest names no program to run");
		return 127;
	}
	uk_binary_syscall_init();
	kernel_fs = uk_get_fs();
	if ((r = find_in_path(argv[0], envp, path, sizeof(path)))) {
		uk_pr("exec %s: %s", argv[0],
		      r == -ENOENT ? "not found (searched PATH)"
		                   : "found in PATH but not executable");
		return r == -ENOENT ? 127 : 126;
	}
	if (!(st = exec_new())) {
		uk_pr("exec %s: out of memory", path);
		return 126;
	}
	req_comm(&st->q, path);
	if ((r = req_init(&st->q, path, argv, envp, 0)) ||
	    (r = prepare(&st->q, &st->prog, &st->interp, &why))) {
		report(st->q.path[0] ? st->q.path : path, r, why,
		       why && st->prog.e.interp_len ? st->prog.interp : NULL);
		exec_free(st);
		return r == -ENOENT ? 127 : 126;
	}
	uk_exec_host_start(); /* `ukrun exec` may start other programs from now on */
	start(st);
}
