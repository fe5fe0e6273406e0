/*
 * The guest's output toward a terminal. A guest is untrusted, and a
 * terminal obeys what it is sent: OSC 52 writes the clipboard, OSC 0 sets
 * the window's title, ENQ and some queries make the terminal answer with
 * bytes that arrive as input, DCS and friends reprogram it. So when ukrun's
 * stdout or stderr is a terminal, what the guest writes there passes a
 * filter (unless --console raw): text, UTF-8, tab, newline, carriage
 * return, backspace and SGR sequences (ESC [ digits m: colours, bold) go
 * through as they are; any other control character is shown in caret
 * notation (ESC as ^[, so a refused sequence is visible text), and bytes
 * that are not UTF-8, or are a C1 control in it, as \xNN. Output to a
 * pipe or a file is the guest's bytes exactly: programs and tests pipe
 * binary output through ukrun. (Docker and Firecracker pass a guest's
 * output through raw; less -R and journalctl filter as here.)
 *
 * Sequences may be split across writes: the filter keeps what it has not
 * decided on yet (an SGR sequence, a UTF-8 character) for the next write,
 * and shows it escaped at the end.
 */
#include <string.h>

#include "vmm.h"

#define SGR_MAX 32 /* parameter bytes; longer: not a colour */

static size_t put_escaped(uint8_t *out, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";

	if (c < 0x20 || c == 0x7f) {
		out[0] = '^';
		out[1] = c == 0x7f ? '?' : (uint8_t)(c + '@');
		return 2;
	}
	out[0] = '\\', out[1] = 'x', out[2] = (uint8_t)hex[c >> 4], out[3] = (uint8_t)hex[c & 15];
	return 4;
}

/* The bytes a UTF-8 character starting with c has in all, 0 when c cannot
 * start one. */
static unsigned utf8_len(uint8_t c)
{
	return c >= 0xc2 && c <= 0xdf   ? 2
	       : c >= 0xe0 && c <= 0xef ? 3
	       : c >= 0xf0 && c <= 0xf4 ? 4
	                                : 0;
}

/* Whether c may follow the n bytes in p (0 < n) of a UTF-8 character:
 * no overlong forms, surrogates, code points past U+10FFFF or C1. */
static int utf8_next_ok(const uint8_t *p, unsigned n, uint8_t c)
{
	if ((c & 0xc0) != 0x80)
		return 0;
	if (n > 1)
		return 1;
	switch (p[0]) {
	case 0xc2: return c >= 0xa0; /* U+0080..U+009F: C1 controls */
	case 0xe0: return c >= 0xa0;
	case 0xed: return c < 0xa0;
	case 0xf0: return c >= 0x90;
	case 0xf4: return c < 0x90;
	}
	return 1;
}

/* What is pending, shown escaped (it will not become what it started as). */
static size_t drain(struct vmm_tty_filter *f, uint8_t *out)
{
	size_t o = 0;

	for (unsigned i = 0; i < f->n; i++) {
		uint8_t c = f->pend[i];
		if (i == 0 || f->pend[0] != 0x1b)
			o += put_escaped(out + o, c); /* ESC, or a UTF-8 start */
		else
			out[o++] = c; /* an ESC [ sequence's printable rest */
	}
	f->n = 0;
	return o;
}

static size_t one(struct vmm_tty_filter *f, uint8_t c, uint8_t *out)
{
	size_t o = 0;

	if (f->n && f->pend[0] == 0x1b) { /* in ESC or ESC [ ... */
		if (f->n == 1 && c == '[') {
			f->pend[f->n++] = c;
			return 0;
		}
		if (f->n > 1 && (c == ';' || c == ':' || (c >= '0' && c <= '9')) &&
		    f->n < 2 + SGR_MAX) {
			f->pend[f->n++] = c;
			return 0;
		}
		if (f->n > 1 && c == 'm') {
			memcpy(out, f->pend, f->n);
			o = f->n;
			f->n = 0;
			out[o++] = c;
			return o;
		}
		o = drain(f, out); /* not a colour: c starts afresh */
	} else if (f->n) {         /* in a UTF-8 character */
		if (utf8_next_ok(f->pend, f->n, c)) {
			f->pend[f->n++] = c;
			if (f->n < utf8_len(f->pend[0]))
				return 0;
			memcpy(out, f->pend, f->n);
			o = f->n;
			f->n = 0;
			return o;
		}
		o = drain(f, out);
	}
	if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t' || c == '\b') {
		out[o++] = c;
	} else if (c == 0x1b || utf8_len(c)) {
		f->pend[f->n++] = c;
	} else {
		o += put_escaped(out + o, c);
	}
	return o;
}

size_t vmm_tty_filter(struct vmm_tty_filter *f, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++)
		o += one(f, in[i], out + o);
	return o;
}

size_t vmm_tty_filter_end(struct vmm_tty_filter *f, uint8_t *out) { return drain(f, out); }
