/*
 * A hostile 9P driver: the program takes ukrun's 9P device over from the
 * library OS's client (which mounted the share at boot and is not used
 * again) and sends what no client should: sizes that lie, messages cut
 * short, types nobody serves, msize renegotiated up and down, walks with
 * too many names or names that try to leave the share, fids by the tens
 * of thousands, fids reused and clunked twice, reads past the msize,
 * reply buffers too small, scattered or outside guest RAM, flushes of
 * nothing, a full queue at once, a reset with the queue full.
 *
 * Run as `hostile9p [ATTEMPTS]` with the share made by the script at
 * /data (tests/e2e/kvm/hostile.sh); ATTEMPTS walks to new fids in all
 * (default 200000), most of them past the server's limit, then 4096 files
 * opened and more (with ATTEMPTS 0, neither). After each
 * attack: the guards around the program's buffers are untouched, the
 * device asked for a reset only where it had to, and after a reset where
 * needed the share answers a normal request. "phase" lines let the script
 * count ukrun's threads and measure its memory and the gofer's.
 */
#include <stdlib.h>

#include "hostile9p.h"

int checks, failures;
const char *attack;

void attack_oversize(void);
void attack_truncated(void);
void attack_types(void);
void attack_version(void);
void attack_walk(void);
void attack_names(void);
void attack_fid_reuse(void);
void attack_clunk(void);
void attack_read_count(void);
void attack_reply_buffer(void);
void attack_reply_outside(void);
void attack_reply_past_ram(void);
void attack_reply_4g(void);
void attack_request_outside(void);
void attack_flush(void);
void attack_inflight(void);
void attack_reset_inflight(void);
void attack_fids(unsigned long attempts);
void attack_files(void);
void phase(const char *name);

static unsigned long attempts = 200000;

static void fids(void) { attack_fids(attempts); }

static const struct {
	const char *name;
	void (*fn)(void);
	int reset; /* the device must ask for one */
	int many;  /* tens of thousands of requests: not with ATTEMPTS 0 */
} attacks[] = {
	{ "oversize", attack_oversize },
	{ "truncated", attack_truncated },
	{ "types", attack_types },
	{ "version", attack_version },
	{ "walk", attack_walk },
	{ "names", attack_names },
	{ "fid-reuse", attack_fid_reuse },
	{ "clunk", attack_clunk },
	{ "read-count", attack_read_count },
	{ "reply-buffer", attack_reply_buffer },
	{ "reply-outside", attack_reply_outside, 1 },
	{ "reply-past-ram", attack_reply_past_ram, 1 },
	{ "reply-4g", attack_reply_4g, 1 },
	{ "request-outside", attack_request_outside, 1 },
	{ "flush", attack_flush },
	{ "inflight", attack_inflight },
	{ "reset-inflight", attack_reset_inflight },
	{ "fids", fids, 0, 1 },
	{ "files", attack_files, 0, 1 },
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1)
		attempts = strtoul(argv[1], NULL, 10);
	attack = "setup";
	C("device", !dev_setup(), "no 9P device (run with -v DIR:/data)");
	if (failures)
		return 1;
	C("works-before", share_works(), "the share does not answer a normal request");
	phase("before");
	for (unsigned i = 0; i < sizeof(attacks) / sizeof(*attacks); i++) {
		attack = attacks[i].name;
		if (attacks[i].many && !attempts) {
			printf("SKIP hostile9p/%s: ATTEMPTS 0 (too slow emulated)\n", attack);
			continue;
		}
		attacks[i].fn();
		C("guards", guards_ok(), "something was written outside the buffers given");
		if (!attacks[i].reset)
			C("no-reset-needed", !dev_broken(), "the device asks for a reset");
		if (dev_broken())
			C("set-up-again", !dev_setup(), "the device did not set up again");
		C("works-after", share_works(), "the share does not answer a normal request");
	}
	phase("after");
	return failures ? 1 : 0;
}
