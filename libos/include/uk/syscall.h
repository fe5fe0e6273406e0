/*
 * System calls: prototypes generated from libos/sys/syscalls.def, the macros
 * that define implementations, and the traced entry point.
 *
 * Every implementation takes six longs (unused ones ignored) and returns a
 * result or -errno (Linux values). Define one with
 *
 *   UK_SYSCALL3(read, int, fd, void *, buf, size_t, len) { ... }
 *
 * which gives a typed body behind the uniform uk_sys_read().
 */
#ifndef UK_SYSCALL_H
#define UK_SYSCALL_H

#include <stdint.h>
#include <uk/print.h>

typedef long (*uk_syscall_fn)(long, long, long, long, long, long);

#define SYSCALL(nr, name, ...) long uk_sys_##name(long, long, long, long, long, long);
#define NOSYS(nr, name)
#include "../../sys/syscalls.def"
#undef SYSCALL
#undef NOSYS

enum uk_nr {
#define SYSCALL(nr, name, ...) UK_NR_##name = nr,
#define NOSYS(nr, name) UK_NR_##name = nr,
#include "../../sys/syscalls.def"
#undef SYSCALL
#undef NOSYS
	UK_NR_MAX
};

/* Argument kinds for --trace. A pointer prints as hex does: one value, two
 * names, so the kinds fit the 4 bits trace.c packs each into. */
enum uk_arg_kind {
	A_INT = 1,
	A_HEX,
	A_PTR = A_HEX,
	A_SIZE,
	A_FD,
	A_STR,
	A_IBUF,
	A_OBUF,
	A_TIMESPEC,
	A_OCT,    /* a mode, in octal */
	A_DIRFD,  /* a directory descriptor or AT_FDCWD */
	A_OFLAGS, /* open(2) flags, by name */
	A_PROT,   /* PROT_* */
	A_MFLAGS, /* MAP_* */
	A_SIG,    /* a signal number */
	A_CLOCK,  /* a clock id */
	A_KIND_MAX
};

/* Dispatch by number (the `syscall` instruction, a program's syscall(2)).
 * Unknown or unsupported numbers return -ENOSYS. Referencing it links the
 * table of every call (syscall.c): only those two paths do; everything else
 * calls through UK_CALL, so images keep only the calls they reach. */
long uk_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/* One call through --trace: fn is call nr's implementation, or NULL when
 * none is linked (then -ENOSYS, "not implemented by uk"). */
long uk_syscall_traced(long nr, uk_syscall_fn fn, long a0, long a1, long a2, long a3, long a4,
                       long a5);

/* --trace's line for a call binary mode refused before it ran: argument
 * which (1-6; -1: a pointer inside a structure) is not the program's
 * memory (process/binary_uaccess.c). */
void uk_trace_efault(long nr, const long *a, int which);

/* A resource's soft and hard limits (0 and 0 for an unknown one); every
 * process shares them. For /proc/PID/limits. */
void uk_rlimit_get(int resource, uint64_t *soft, uint64_t *hard);

/* fcntl's F_ADD_SEALS (add) and F_GET_SEALS on f (sys_memfd.c). */
struct uk_file;
long uk_fcntl_seals(struct uk_file *f, int cmd, unsigned add);

/* Link-mode calls: direct when not tracing, through the tracer otherwise. */
#define UK_CALL(name, a0, a1, a2, a3, a4, a5)                                                    \
	(uk_trace_on ? uk_syscall_traced(UK_NR_##name, uk_sys_##name, (long)(a0), (long)(a1),    \
	                                 (long)(a2), (long)(a3), (long)(a4), (long)(a5))         \
	             : uk_sys_##name((long)(a0), (long)(a1), (long)(a2), (long)(a3), (long)(a4), \
	                             (long)(a5)))

#define UK_SC_U __attribute__((unused)) long
#define UK_SYSCALL0(name)                                                                          \
	static long uk_do_##name(void);                                                            \
	long uk_sys_##name(UK_SC_U p0, UK_SC_U p1, UK_SC_U p2, UK_SC_U p3, UK_SC_U p4, UK_SC_U p5) \
	{                                                                                          \
		return uk_do_##name();                                                             \
	}                                                                                          \
	static long uk_do_##name(void)
#define UK_SYSCALL1(name, t0, a0)                                                               \
	static long uk_do_##name(t0 a0);                                                        \
	long uk_sys_##name(long p0, UK_SC_U p1, UK_SC_U p2, UK_SC_U p3, UK_SC_U p4, UK_SC_U p5) \
	{                                                                                       \
		return uk_do_##name((t0)p0);                                                    \
	}                                                                                       \
	static long uk_do_##name(t0 a0)
#define UK_SYSCALL2(name, t0, a0, t1, a1)                                                    \
	static long uk_do_##name(t0 a0, t1 a1);                                              \
	long uk_sys_##name(long p0, long p1, UK_SC_U p2, UK_SC_U p3, UK_SC_U p4, UK_SC_U p5) \
	{                                                                                    \
		return uk_do_##name((t0)p0, (t1)p1);                                         \
	}                                                                                    \
	static long uk_do_##name(t0 a0, t1 a1)
#define UK_SYSCALL3(name, t0, a0, t1, a1, t2, a2)                                         \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2);                                    \
	long uk_sys_##name(long p0, long p1, long p2, UK_SC_U p3, UK_SC_U p4, UK_SC_U p5) \
	{                                                                                 \
		return uk_do_##name((t0)p0, (t1)p1, (t2)p2);                              \
	}                                                                                 \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2)
#define UK_SYSCALL4(name, t0, a0, t1, a1, t2, a2, t3, a3)                              \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2, t3 a3);                          \
	long uk_sys_##name(long p0, long p1, long p2, long p3, UK_SC_U p4, UK_SC_U p5) \
	{                                                                              \
		return uk_do_##name((t0)p0, (t1)p1, (t2)p2, (t3)p3);                   \
	}                                                                              \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2, t3 a3)
#define UK_SYSCALL5(name, t0, a0, t1, a1, t2, a2, t3, a3, t4, a4)                   \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2, t3 a3, t4 a4);                \
	long uk_sys_##name(long p0, long p1, long p2, long p3, long p4, UK_SC_U p5) \
	{                                                                           \
		return uk_do_##name((t0)p0, (t1)p1, (t2)p2, (t3)p3, (t4)p4);        \
	}                                                                           \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2, t3 a3, t4 a4)
#define UK_SYSCALL6(name, t0, a0, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5)            \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2, t3 a3, t4 a4, t5 a5);          \
	long uk_sys_##name(long p0, long p1, long p2, long p3, long p4, long p5)     \
	{                                                                            \
		return uk_do_##name((t0)p0, (t1)p1, (t2)p2, (t3)p3, (t4)p4, (t5)p5); \
	}                                                                            \
	static long uk_do_##name(t0 a0, t1 a1, t2 a2, t3 a3, t4 a4, t5 a5)

#endif
