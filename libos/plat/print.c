/* Kernel-side formatting: a small vsnprintf with no allocation, no
 * floating point and no locale, usable from exception context. */
#include <stdint.h>
#include <uk/abi.h>
#include <uk/console.h>
#include <uk/plat.h>
#include <uk/libc.h>
#include <uk/print.h>

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, int neg, unsigned base, int width, char pad, int alt)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (alt)
		width -= 2;
	if (neg)
		width--;
	if (pad == '0') {
		if (neg)
			put(o, '-');
		if (alt)
			put(o, '0'), put(o, 'x');
	}
	for (int w = n; w < width; w++)
		put(o, pad);
	if (pad != '0') {
		if (neg)
			put(o, '-');
		if (alt)
			put(o, '0'), put(o, 'x');
	}
	while (n)
		put(o, tmp[--n]);
}

static uint64_t get_arg(va_list *ap, int lng, int sgn)
{
	if (lng)
		return sgn ? (uint64_t)va_arg(*ap, long) : va_arg(*ap, unsigned long);
	return sgn ? (uint64_t)(int64_t)va_arg(*ap, int) : va_arg(*ap, unsigned);
}

int uk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	for (; *fmt; fmt++) {
		int width = 0, lng = 0, alt = 0, left = 0;
		char pad = ' ';
		size_t start;
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '#')
			alt = 1, fmt++;
		if (*fmt == '-') /* left-justified: the padding follows */
			left = 1, fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (left)
			left = width, width = 0;
		start = o.len;
		while (*fmt == 'l' || *fmt == 'z')
			lng = 1, fmt++;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = (int64_t)get_arg(&aq, lng, 1);
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, width, pad, 0);
			break;
		}
		case 'u': put_num(&o, get_arg(&aq, lng, 0), 0, 10, width, pad, 0); break;
		case 'x': put_num(&o, get_arg(&aq, lng, 0), 0, 16, width, pad, alt); break;
		case 'o': put_num(&o, get_arg(&aq, lng, 0), 0, 8, width, pad, 0); break;
		case 'p': put_num(&o, (uint64_t)va_arg(aq, void *), 0, 16, width, pad, 1); break;
		case 'c': put(&o, (char)va_arg(aq, int)); break;
		case 's': {
			const char *s = va_arg(aq, const char *);
			int n = 0;
			if (!s)
				s = "(null)";
			for (const char *p = s; *p; p++)
				n++;
			for (; n < width; n++)
				put(&o, ' ');
			while (*s)
				put(&o, *s++);
			break;
		}
		case '%': put(&o, '%'); break;
		default:
			put(&o, '%');
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
		}
		while (o.len - start < (size_t)left)
			put(&o, ' ');
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int uk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = uk_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void vpr(const char *fmt, va_list ap)
{
	char line[512];
	int n = uk_snprintf(line, sizeof(line), "uk: ");

	n += uk_vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	uk_console_write(UK_FD_STDERR, line, n);
}

void uk_pr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr(fmt, ap);
	va_end(ap);
}

void uk_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr(fmt, ap);
	va_end(ap);
	uk_plat_abort(128 + 6);
}

/*
 * The trace stream (--trace, ukrun's fd 3): lines go to a buffer flushed in
 * one hypercall (no exit per line) when it fills, before the program's own
 * console output (the console's flush hook) and at exit, so they interleave
 * with the program's output in order. Every layer may note why it refuses
 * something here; sys/trace.c formats the system calls themselves.
 */
int uk_trace_on;

static char tbuf[16384];
static size_t tlen;

void uk_trace_flush(void)
{
	if (tlen) {
		size_t n = tlen;
		tlen = 0;
		uk_console_write(UK_FD_TRACE, tbuf, n);
	}
}

void uk_trace_put(const char *s, size_t n)
{
	static int hooked;

	if (!hooked) {
		uk_console_on_flush(uk_trace_flush);
		hooked = 1;
	}
	if (tlen + n > sizeof(tbuf))
		uk_trace_flush();
	if (n > sizeof(tbuf))
		n = sizeof(tbuf);
	uk_memcpy(tbuf + tlen, s, n);
	tlen += n;
}

void uk_trace_note(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	if (!uk_trace_on)
		return;
	va_start(ap, fmt);
	n = uk_snprintf(line, sizeof(line), "[uk] ");
	n += uk_vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	uk_trace_put(line, n);
}
