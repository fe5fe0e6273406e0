/* The filter between the guest's output and a terminal (vmm/console.c):
 * text, UTF-8 and colours pass; every other control sequence is shown as
 * text, whole or split across writes. */
#include <stdlib.h>
#include <string.h>

#include "../../vmm/vmm.h"
#include "unit.h"

static char out[VMM_TTY_OUT_MAX(8192) + 1];

/* The pieces (NULL-terminated) written one after another, then the end. */
static const char *filter_parts(const char *const *parts)
{
	struct vmm_tty_filter f = { 0 };
	size_t o = 0;

	for (; *parts; parts++)
		o +=
		    vmm_tty_filter(&f, (const uint8_t *)*parts, strlen(*parts), (uint8_t *)out + o);
	o += vmm_tty_filter_end(&f, (uint8_t *)out + o);
	out[o] = 0;
	return out;
}

static const char *filter(const char *s)
{
	const char *parts[] = { s, NULL };
	return filter_parts(parts);
}

TEST(text_passes)
{
	EXPECT(!strcmp(filter("hello, world\n\tx\r\by"), "hello, world\n\tx\r\by"));
	EXPECT(!strcmp(filter("h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
	               "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"));
}

TEST(colours_pass)
{
	EXPECT(!strcmp(filter("\x1b[1;31mred\x1b[0m \x1b[m \x1b[38:5:208mx"),
	               "\x1b[1;31mred\x1b[0m \x1b[m \x1b[38:5:208mx"));
}

TEST(sequences_shown)
{
	/* OSC 52 (the clipboard), a title, clearing the screen, a DCS */
	EXPECT(!strcmp(filter("\x1b]52;c;SGVsbG8=\x07"), "^[]52;c;SGVsbG8=^G"));
	EXPECT(!strcmp(filter("\x1b]0;pwned\x1b\\"), "^[]0;pwned^[\\"));
	EXPECT(!strcmp(filter("\x1b[2J\x1b[6n"), "^[[2J^[[6n"));
	EXPECT(!strcmp(filter("\x1bP1$r\x1b\\"), "^[P1$r^[\\"));
	/* ENQ (the terminal's answerback), SO, NUL, DEL */
	EXPECT(!strcmp(filter("a\x05"
	                      "b\x0e"
	                      "c\x7f"),
	               "a^Eb^Nc^?"));
	{
		struct vmm_tty_filter f = { 0 };
		size_t o = vmm_tty_filter(&f, (const uint8_t *)"a\0b", 3, (uint8_t *)out);
		out[o] = 0;
		EXPECT(!strcmp(out, "a^@b"));
	}
	/* a colour that is too long to be one */
	EXPECT(!strcmp(filter("\x1b[11111111111111111111111111111111111m"),
	               "^[[11111111111111111111111111111111111m"));
}

TEST(c1_and_bad_utf8_shown)
{
	/* 8-bit CSI and OSC, and CSI as UTF-8 (U+009B) */
	EXPECT(!strcmp(filter("\x9b"
	                      "2J\x9d"
	                      "0;t"),
	               "\\x9b2J\\x9d0;t"));
	EXPECT(!strcmp(filter("\xc2\x9b"
	                      "2J"),
	               "\\xc2\\x9b2J"));
	/* overlong, a surrogate, past U+10FFFF, a lone continuation, cut short */
	EXPECT(!strcmp(filter("\xc0\xaf"), "\\xc0\\xaf"));
	EXPECT(!strcmp(filter("\xed\xa0\x80"), "\\xed\\xa0\\x80"));
	EXPECT(!strcmp(filter("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"));
	EXPECT(!strcmp(filter("\x80z"), "\\x80z"));
	EXPECT(!strcmp(filter("\xe6\x97z"), "\\xe6\\x97z"));
	EXPECT(!strcmp(filter("\xc2\xa0"), "\xc2\xa0")); /* U+00A0 is fine */
}

TEST(split_writes)
{
	EXPECT(!strcmp(filter_parts((const char *[]){ "\x1b", "[3", "1mX", NULL }), "\x1b[31mX"));
	EXPECT(!strcmp(filter_parts((const char *[]){ "\xe6", "\x97", "\xa5!", NULL }),
	               "\xe6\x97\xa5!"));
	EXPECT(
	    !strcmp(filter_parts((const char *[]){ "\x1b]", "52;c;x\x07", NULL }), "^[]52;c;x^G"));
	/* what waits at the end is shown */
	EXPECT(!strcmp(filter_parts((const char *[]){ "a\x1b[31", NULL }), "a^[[31"));
	EXPECT(!strcmp(filter_parts((const char *[]){ "a\xf0\x9f", NULL }), "a\\xf0\\x9f"));
}

/* Whatever comes in, what goes out fits VMM_TTY_OUT_MAX and is UTF-8
 * without controls other than tab, newline, CR, backspace and ESC [ ... m. */
static int safe(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == 0x1b) {
			size_t k = i + 1;
			if (k >= n || p[k++] != '[')
				return 0;
			while (k < n &&
			       ((p[k] >= '0' && p[k] <= '9') || p[k] == ';' || p[k] == ':'))
				k++;
			if (k >= n || p[k] != 'm')
				return 0;
			i = k;
		} else if (c < 0x20 && c != '\n' && c != '\t' && c != '\r' && c != '\b') {
			return 0;
		} else if (c == 0x7f || (c >= 0x80 && c < 0xc2) || c > 0xf4) {
			return 0;
		} else if (c >= 0xc2) {
			size_t len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
			if (i + len > n || (c == 0xc2 && p[i + 1] < 0xa0))
				return 0;
			for (size_t k = 1; k < len; k++)
				if ((p[i + k] & 0xc0) != 0x80)
					return 0;
			i += len - 1;
		}
	}
	return 1;
}

TEST(random_input_comes_out_safe)
{
	static uint8_t in[4096];
	static const uint8_t pick[] = { 0x1b, '[',  '3',  '1',  'm',  ';',  ']', 0x07, 0x9b, 0xc2,
		                        0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x80, 'a', '\n', 0 };
	struct vmm_tty_filter f = { 0 };
	size_t o, total;

	srand(1);
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)rand() % sizeof(in);
		for (size_t i = 0; i < n; i++)
			in[i] = rand() % 3 ? pick[rand() % sizeof(pick)] : (uint8_t)rand();
		memset(&f, 0, sizeof(f));
		o = vmm_tty_filter(&f, in, n, (uint8_t *)out);
		EXPECT(o <= VMM_TTY_OUT_MAX(n));
		total = o + vmm_tty_filter_end(&f, (uint8_t *)out + o);
		EXPECT(total <= VMM_TTY_OUT_MAX(n));
		EXPECT(safe((uint8_t *)out, total));
	}
}

int main(void)
{
	RUN("console", text_passes);
	RUN("console", colours_pass);
	RUN("console", sequences_shown);
	RUN("console", c1_and_bad_utf8_shown);
	RUN("console", split_writes);
	RUN("console", random_input_comes_out_safe);
	return unit_failures ? 1 : 0;
}
