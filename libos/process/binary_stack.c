/*
 * Linux's initial process stack, as the x86-64 ABI and the kernel's
 * create_elf_tables() lay it out, from the stack pointer up:
 *
 *   argc | argv[0..argc-1] NULL | envp[..] NULL | auxv pairs, AT_NULL |
 *   padding | 16 random bytes | "x86_64" | strings (args, env, execfn) | 0
 *
 * The stack pointer is 16-byte aligned. Pure code over a buffer standing
 * for [top - size, top), so the host unit tests check it (test_elf.c).
 */
#include <linux/auxvec.h>
#include <uk/binary.h>

struct out {
	uint8_t *buf;
	uint64_t base, top, sp; /* sp: the lowest byte used so far */
};

static int put_bytes(struct out *o, const void *p, size_t n)
{
	if (n > o->sp - o->base)
		return -1;
	o->sp -= n;
	for (size_t i = 0; i < n; i++)
		o->buf[o->sp - o->base + i] = ((const uint8_t *)p)[i];
	return 0;
}

static uint64_t put_str(struct out *o, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return put_bytes(o, s, n + 1) ? 0 : o->sp;
}

static int put_word(struct out *o, uint64_t v) { return put_bytes(o, &v, 8); }

static int put_strs(struct out *o, int n, char *const *v)
{
	for (int i = n - 1; i >= 0; i--)
		if (!put_str(o, v[i]))
			return -1;
	return 0;
}

static int auxv_len(const uint64_t *a)
{
	int n = 0;

	while (a && a[2 * n] != AT_NULL)
		n++;
	return n;
}

static size_t str_size(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n + 1;
}

/* The pointer block, written upwards from its final, 16-byte aligned
 * place: argc, argv, envp, auxv (with the three entries that point into
 * the strings). The strings lie back to back from strs: args, then env. No
 * arrays of pointers: a thread's library OS stack is small. */
static int put_block(struct out *o, const struct uk_stack_in *in, uint64_t strs,
                     const uint64_t extra[6])
{
	int naux = auxv_len(in->auxv);
	uint64_t words = 1 + in->argc + 1 + in->envc + 1 + 2 * ((uint64_t)naux + 3 + 1), *w;
	uint64_t sp = (o->sp & ~15ul) - words * 8, s = strs;

	sp &= ~15ul;
	if (sp < o->base || sp > o->sp)
		return -1;
	o->sp = sp;
	w = (uint64_t *)(o->buf + (sp - o->base));
	*w++ = (uint64_t)in->argc;
	for (int i = 0; i < in->argc; s += str_size(in->argv[i++]))
		*w++ = s;
	*w++ = 0;
	for (int i = 0; i < in->envc; s += str_size(in->envp[i++]))
		*w++ = s;
	*w++ = 0;
	for (int i = 0; i < 2 * naux; i++)
		*w++ = in->auxv[i];
	for (int i = 0; i < 6; i++)
		*w++ = extra[i];
	*w++ = AT_NULL;
	*w = 0;
	return 0;
}

uint64_t uk_stack_build(void *buf, size_t size, uint64_t top, const struct uk_stack_in *in)
{
	struct out o = { buf, top - size, top, top };
	uint64_t extra[6], strs;

	if (put_word(&o, 0)) /* an end marker, as Linux leaves */
		return 0;
	extra[0] = AT_EXECFN;
	if (!(extra[1] = put_str(&o, in->execfn)) || put_strs(&o, in->envc, in->envp) ||
	    put_strs(&o, in->argc, in->argv))
		return 0;
	strs = o.sp;
	extra[2] = AT_PLATFORM;
	if (!(extra[3] = put_str(&o, "x86_64")))
		return 0;
	o.sp &= ~15ul;
	extra[4] = AT_RANDOM;
	if (put_bytes(&o, in->random16, 16))
		return 0;
	extra[5] = o.sp;
	if (put_block(&o, in, strs, extra))
		return 0;
	return o.sp;
}
