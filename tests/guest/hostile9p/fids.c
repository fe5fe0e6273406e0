/*
 * Fids until the server refuses: walks to new fids (as many attempts as
 * asked, most of them past the limit), then opened files. The script
 * samples ukrun's and the gofer's memory and descriptors at each "phase"
 * line, while the program sleeps.
 */
#include <time.h>
#include <unistd.h>

#include "hostile9p.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

void phase(const char *name)
{
	printf("phase %s\n", name);
	sleep(2);
}

struct tally {
	unsigned long made, refused, other;
	uint32_t first_err; /* the first refusal's code */
	unsigned long at;   /* ... after this many made */
};

/* Count the answer in slot i of the reply area: want is the reply type
 * that means success. 0, or -1 for no answer or a wrong one. */
static int tally(struct tally *y, unsigned i, long len, int want)
{
	struct p9_msg r;

	if (len < 0 || p9_unpack(rbuf + i * RSLOT, (size_t)len, &r))
		return -1;
	if (r.type == want) {
		y->made++;
		return 0;
	}
	if (r.type != P9_RLERROR)
		return -1;
	if (!y->first_err) {
		y->first_err = r.u.rlerror.ecode;
		y->at = y->made;
	}
	if (r.u.rlerror.ecode == L_EMFILE)
		y->refused++;
	else
		y->other++;
	return 0;
}

void attack_fids(unsigned long attempts)
{
	struct p9_msg t = { .type = P9_TWALK };
	struct tally y = { 0 };
	uint32_t tlen[BATCH], next = 1000;
	unsigned long tried = 0;
	long rlen[BATCH];
	double t0 = now();
	int full = 0;

	session(P9_MSIZE_MAX);
	while (tried < attempts) {
		unsigned n = attempts - tried < BATCH ? (unsigned)(attempts - tried) : BATCH;
		for (unsigned i = 0; i < n; i++) {
			t.tag = (uint16_t)i;
			t.u.twalk.fid = ROOT;
			t.u.twalk.newfid = next++;
			tlen[i] = p9_pack(tbuf + i * TSLOT, TSLOT, &t);
		}
		int bad = xfer_batch(n, tlen, rlen) != (int)n;
		for (unsigned i = 0; i < n && !bad; i++)
			bad = tally(&y, i, rlen[i], P9_RWALK);
		if (bad) {
			C("answered", 0, "a walk got no answer, or a wrong one, after %lu", tried);
			return;
		}
		tried += n;
		if (y.refused && !full) {
			full = 1;
			printf("fids: %lu made, then refused (code %u)\n", y.made, y.first_err);
			phase("fids_full");
		}
	}
	printf("fids: %lu attempts in %.1f s: %lu made, %lu refused with EMFILE, %lu otherwise\n",
	       tried, now() - t0, y.made, y.refused, y.other);
	C("refused-with-emfile", y.first_err == L_EMFILE && !y.other, "first code %u, %lu others",
	  y.first_err, y.other);
	C("tens-of-thousands", y.made >= 60000 && y.made <= 65536, "%lu made", y.made);
	C("none-made-after-the-limit", y.made == y.at, "%lu made, the first refusal after %lu",
	  y.made, y.at);
	C("attach-refused-too", p_attach(next) == L_EMFILE, "an attach past the limit");
	phase("fids_refused");
}

/* Walks to hello.txt and opens, in pairs, until an open is refused. */
void attack_files(void)
{
	struct p9_msg t;
	struct tally w = { 0 }, o = { 0 };
	uint32_t tlen[BATCH], next = 100000;
	long rlen[BATCH];
	int bad = 0;

	session(P9_MSIZE_MAX);
	while (!bad && !o.refused && o.made < 20000) {
		for (unsigned i = 0; i < BATCH; i += 2) {
			t = (struct p9_msg){ .type = P9_TWALK, .tag = (uint16_t)i };
			t.u.twalk.fid = ROOT;
			t.u.twalk.newfid = next;
			t.u.twalk.nwname = 1;
			t.u.twalk.wname[0] = p9_str(hello_txt[0]);
			tlen[i] = p9_pack(tbuf + i * TSLOT, TSLOT, &t);
			t = (struct p9_msg){ .type = P9_TLOPEN, .tag = (uint16_t)(i + 1) };
			t.u.tlopen.fid = next++;
			t.u.tlopen.flags = L_O_RDONLY;
			tlen[i + 1] = p9_pack(tbuf + (i + 1) * TSLOT, TSLOT, &t);
		}
		if (xfer_batch(BATCH, tlen, rlen) != BATCH) {
			C("answered", 0, "an open got no answer after %lu", o.made);
			return;
		}
		for (unsigned i = 0; i < BATCH && !bad; i += 2)
			bad = tally(&w, i, rlen[i], P9_RWALK) ||
			      tally(&o, i + 1, rlen[i + 1], P9_RLOPEN);
	}
	C("answered", !bad, "a walk or an open got a wrong answer after %lu", o.made);
	printf("files: %lu opened, then code %u\n", o.made, o.first_err);
	C("refused-with-emfile", o.first_err == L_EMFILE && !o.other, "first code %u", o.first_err);
	C("thousands", o.made >= 4000 && o.made <= 4096, "%lu opened", o.made);
	phase("files_full");
}
