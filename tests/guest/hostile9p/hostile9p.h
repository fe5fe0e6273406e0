/*
 * The hostile 9P driver's pieces (tests/guest/hostile9p): the device
 * taken over from the library OS's 9P client and driven by hand (wire.c),
 * the attacks (attacks.c, ring.c, fids.c), and main (hostile9p.c).
 */
#ifndef HOSTILE9P_H
#define HOSTILE9P_H

#include <stdint.h>
#include <stdio.h>
#include <uk/p9.h>
#include <uk/virtq.h>

#include "../check.h"

extern const char *attack; /* the one running: check names are hostile9p/ATTACK/WHAT */
#define C(what, cond, ...)                                                       \
	do {                                                                     \
		char name_[128];                                                 \
		snprintf(name_, sizeof(name_), "hostile9p/%s/%s", attack, what); \
		CHECK(name_, cond, __VA_ARGS__);                                 \
	} while (0)

#define QSIZE 128
#define BATCH (QSIZE / 2) /* requests of two buffers in flight at once */
#define PAGE 4096u
/* The request and reply areas, each with a guard page on both sides: room
 * for a message longer than the largest msize (P9_MSIZE_MAX). */
#define AREA (160u * PAGE)
/* Slots of the areas for requests in flight together. */
#define TSLOT 512u
#define RSLOT 1024u

/* Linux numbers, as 9P carries them (newlib's differ for some). */
#define L_ENOENT 2
#define L_EBADF 9
#define L_EBUSY 16
#define L_ENOTDIR 20
#define L_EINVAL 22
#define L_EMFILE 24
#define L_ERANGE 34
#define L_ENAMETOOLONG 36
#define L_ELOOP 40
#define L_EPROTO 71
#define L_EMSGSIZE 90
#define L_EOPNOTSUPP 95
#define L_O_RDONLY 0
#define L_O_RDWR 2

extern uint8_t *tbuf, *rbuf; /* AREA bytes each */
extern uint64_t ram_end;     /* the first guest-physical byte past RAM */

/* Reset the device, negotiate, one queue of QSIZE, DRIVER_OK. 0 or -1. */
int dev_setup(void);
/* Whether the device asks for a reset (DEVICE_NEEDS_RESET). */
int dev_broken(void);
/* Post one chain (nout readable buffers, then nin writable) and wait for
 * it: the length the device reports, or -1 when no answer came (the device
 * broke, or 5 s passed). */
long xfer_chain(const struct vq_buf *b, unsigned nout, unsigned nin);
/* tbuf[0..tlen) as the request (tlen 0: a chain without a readable
 * part), rbuf[0..rcap) for the reply (rcap 0: none). rbuf is
 * filled with a pattern first; a reply that wrote past the length it
 * reports counts as a write outside its bounds (see guards_ok). */
long xfer(uint32_t tlen, uint32_t rcap);
/* Post n (<= BATCH) requests at once, request i at tbuf + i * TSLOT (tlen[i] bytes)
 * with the reply at rbuf + i * RSLOT (RSLOT bytes), and wait for all:
 * rlen[i] is each reply's length (-1: none came). Returns how many came. */
int xfer_batch(unsigned n, const uint32_t *tlen, long *rlen);
/* Post n requests as xfer_batch does and reset the device at once,
 * then set it up again. 0 or -1. */
int post_and_reset(unsigned n, const uint32_t *tlen);
/* The guard pages untouched, and no reply written past its length. */
int guards_ok(void);

/* A message built by hand into tbuf (any size field, any bytes). */
struct mb {
	uint8_t *p;
	uint32_t n;
};
void mb_start(struct mb *m, uint8_t *at, uint8_t type, uint16_t tag);
void mb_u8(struct mb *m, uint8_t v);
void mb_u16(struct mb *m, uint16_t v);
void mb_u32(struct mb *m, uint32_t v);
void mb_u64(struct mb *m, uint64_t v);
void mb_str(struct mb *m, const char *s, uint16_t len);
void mb_bytes(struct mb *m, const void *s, uint32_t len);
/* Write the size field: the length built so far. Returns it. */
uint32_t mb_end(struct mb *m);

/* One well-formed request from t (packed into tbuf) with room for rcap
 * bytes of reply; *r decoded from rbuf. Returns the reply's type, or -1
 * when none came or it does not decode. */
int rpc(const struct p9_msg *t, struct p9_msg *r, uint32_t rcap);
/* The Rlerror code of a decoded reply, 0 for any other reply. */
uint32_t rpc_err(int type, const struct p9_msg *r);
/* Whether rbuf[0..len) is an Rlerror for tag: its code, else 0. */
uint32_t reply_err(long len, uint16_t tag);

/* 0 when a reply of type has the type wanted, else its Rlerror code (or
 * -1: none, or not decodable). */
int outcome(int type, const struct p9_msg *r, int want);
/* Shortcuts over rpc(): each returns 0, the Rlerror code, or -1. */
int p_version(uint32_t msize, const char *version, uint32_t *got);
int p_attach(uint32_t fid);
int p_walk(uint32_t fid, uint32_t newfid, unsigned n, const char *const *names, uint16_t *nwqid);
int p_lopen(uint32_t fid, uint32_t flags);
int p_clunk(uint32_t fid);
int p_getattr(uint32_t fid, struct p9_attr *a);
/* Tread of count at off: the bytes come back in *data (a view of rbuf). */
int p_read(uint32_t fid, uint64_t off, uint32_t count, uint32_t rcap, const uint8_t **data,
           uint32_t *got);

/* A fresh session at msize, the share's root attached as fid ROOT. */
#define ROOT 1u
int session(uint32_t msize);
/* The share answers a normal request: a fresh session, hello.txt walked
 * to, opened and read. 1 when its bytes are the host's. */
int share_works(void);
#define HELLO "hello from the host\n"
/* hello.txt as p_walk's names, and whether data[0..n) are its bytes. */
extern const char *const hello_txt[1];
int hello_ok(const uint8_t *data, uint32_t n);
/* Whether data[0..n) are the share's big.bin (lines "%05d\n") at off. */
int big_ok(uint64_t off, const uint8_t *data, uint32_t n);
/* Walk from ROOT to name as fid and open it: 0 or the error. */
int open_file(uint32_t fid, const char *name, uint32_t flags);

#endif
