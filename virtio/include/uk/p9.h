/*
 * 9P2000.L: message layouts and a codec shared by the guest client
 * (libos/fs/p9fs.c), the server in ukrun (vmm/p9_server.c), and host
 * unit and fuzz tests.
 *
 * C99, no allocation, no libc: every function works on a caller's buffer.
 * Unpacking never copies: strings and data are views into the message, so
 * they live only as long as that buffer. Every length is checked against
 * the bytes present; a message that lies about its size, ends early, has
 * trailing bytes, or carries a NUL inside a string is refused.
 *
 * Wire format (little-endian): size[4] type[1] tag[2] body, where size
 * counts the whole message. Strings are len[2] bytes[len], without NUL.
 */
#ifndef UK_P9_H
#define UK_P9_H

#include <stddef.h>
#include <stdint.h>

#define P9_VERSION_L "9P2000.L"
#define P9_HDR_SIZE 7u
#define P9_QID_SIZE 13u
#define P9_NOTAG 0xffffu
#define P9_NOFID 0xffffffffu
#define P9_MAXWELEM 16u             /* names per Twalk, as in the spec */
#define P9_MSIZE_MAX (512u * 1024u) /* the largest msize we negotiate */
#define P9_MSIZE_MIN 4096u          /* smaller is not worth speaking */
/* Header bytes in front of Twrite's and Rread's data: the iounit is
 * msize minus this. */
#define P9_IOHDR_SIZE 23u

/* Rlerror carries Linux errno numbers; both sides of uk use Linux values,
 * and the codec names the few it returns itself. */
#define P9_EPROTO 71
#define P9_EMSGSIZE 90
#define P9_EOPNOTSUPP 95

enum p9_type {
	P9_TLERROR = 6,
	P9_RLERROR,
	P9_TSTATFS = 8,
	P9_RSTATFS,
	P9_TLOPEN = 12,
	P9_RLOPEN,
	P9_TLCREATE = 14,
	P9_RLCREATE,
	P9_TSYMLINK = 16,
	P9_RSYMLINK,
	P9_TMKNOD = 18,
	P9_RMKNOD,
	P9_TRENAME = 20,
	P9_RRENAME,
	P9_TREADLINK = 22,
	P9_RREADLINK,
	P9_TGETATTR = 24,
	P9_RGETATTR,
	P9_TSETATTR = 26,
	P9_RSETATTR,
	P9_TXATTRWALK = 30,
	P9_RXATTRWALK,
	P9_TXATTRCREATE = 32,
	P9_RXATTRCREATE,
	P9_TREADDIR = 40,
	P9_RREADDIR,
	P9_TFSYNC = 50,
	P9_RFSYNC,
	P9_TLOCK = 52,
	P9_RLOCK,
	P9_TGETLOCK = 54,
	P9_RGETLOCK,
	P9_TLINK = 70,
	P9_RLINK,
	P9_TMKDIR = 72,
	P9_RMKDIR,
	P9_TRENAMEAT = 74,
	P9_RRENAMEAT,
	P9_TUNLINKAT = 76,
	P9_RUNLINKAT,
	P9_TVERSION = 100,
	P9_RVERSION,
	P9_TAUTH = 102,
	P9_RAUTH,
	P9_TATTACH = 104,
	P9_RATTACH,
	P9_TFLUSH = 108,
	P9_RFLUSH,
	P9_TWALK = 110,
	P9_RWALK,
	P9_TREAD = 116,
	P9_RREAD,
	P9_TWRITE = 118,
	P9_RWRITE,
	P9_TCLUNK = 120,
	P9_RCLUNK,
	P9_TREMOVE = 122,
	P9_RREMOVE,
	P9_TYPE_MAX = 128
};

/* qid.type bits */
#define P9_QTDIR 0x80
#define P9_QTAPPEND 0x40
#define P9_QTEXCL 0x20
#define P9_QTSYMLINK 0x02
#define P9_QTFILE 0x00

/* Tgetattr request mask / Rgetattr valid */
#define P9_GETATTR_MODE 0x1ull
#define P9_GETATTR_NLINK 0x2ull
#define P9_GETATTR_UID 0x4ull
#define P9_GETATTR_GID 0x8ull
#define P9_GETATTR_RDEV 0x10ull
#define P9_GETATTR_ATIME 0x20ull
#define P9_GETATTR_MTIME 0x40ull
#define P9_GETATTR_CTIME 0x80ull
#define P9_GETATTR_INO 0x100ull
#define P9_GETATTR_SIZE 0x200ull
#define P9_GETATTR_BLOCKS 0x400ull
#define P9_GETATTR_BASIC 0x7ffull

/* Tsetattr valid */
#define P9_SETATTR_MODE 0x1u
#define P9_SETATTR_UID 0x2u
#define P9_SETATTR_GID 0x4u
#define P9_SETATTR_SIZE 0x8u
#define P9_SETATTR_ATIME 0x10u
#define P9_SETATTR_MTIME 0x20u
#define P9_SETATTR_CTIME 0x40u
#define P9_SETATTR_ATIME_SET 0x80u /* use the given time, not the server's now */
#define P9_SETATTR_MTIME_SET 0x100u

/* Tlopen/Tlcreate flags are Linux's x86-64 open flags (O_RDONLY ...). */
/* Tunlinkat flags */
#define P9_AT_REMOVEDIR 0x200u

/* Tlock / Tgetlock */
#define P9_LOCK_TYPE_RDLCK 0
#define P9_LOCK_TYPE_WRLCK 1
#define P9_LOCK_TYPE_UNLCK 2
#define P9_LOCK_FLAGS_BLOCK 1u
#define P9_LOCK_SUCCESS 0
#define P9_LOCK_BLOCKED 1
#define P9_LOCK_ERROR 2

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* A string: a view into a message when unpacked (not NUL-terminated);
 * when packing, any bytes of the caller's. */
struct p9_str {
	const char *s;
	uint16_t len;
};

struct p9_attr { /* Rgetattr */
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
	uint64_t ctime_sec, ctime_nsec, btime_sec, btime_nsec;
	uint64_t gen, data_version;
};

struct p9_iattr { /* Tsetattr, after the fid */
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct p9_statfs { /* Rstatfs */
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

/* Twrite, Rread, Rreaddir: count bytes of payload. Unpacked, data points
 * into the message. When packing with data == NULL only the header is
 * written (size still counts the payload): the caller places the count
 * bytes right after it, which lets a server read() straight into a reply
 * and a client send a user's buffer as its own descriptor. */
struct p9_data {
	const void *data;
	uint32_t count;
};

/* One decoded message: type, tag and the fields of that type. */
struct p9_msg {
	uint8_t type;
	uint16_t tag;
	union {
		struct {
			uint32_t msize;
			struct p9_str version;
		} version; /* T/R */
		struct {
			uint32_t afid;
			struct p9_str uname, aname;
			uint32_t n_uname;
		} tauth;
		struct {
			uint32_t fid, afid;
			struct p9_str uname, aname;
			uint32_t n_uname;
		} tattach;
		/* Rattach, Rauth, Rsymlink, Rmknod, Rmkdir */
		struct {
			struct p9_qid qid;
		} rqid;
		struct {
			uint32_t ecode;
		} rlerror;
		/* Tstatfs, Treadlink, Tclunk, Tremove */
		struct {
			uint32_t fid;
		} tfid;
		struct p9_statfs rstatfs;
		struct {
			uint32_t fid, flags;
		} tlopen;
		/* Rlopen, Rlcreate */
		struct {
			struct p9_qid qid;
			uint32_t iounit;
		} ropen;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint32_t flags, mode, gid;
		} tlcreate;
		struct {
			uint32_t fid;
			struct p9_str name, target;
			uint32_t gid;
		} tsymlink;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, major, minor, gid;
		} tmknod;
		struct {
			uint32_t fid, dfid;
			struct p9_str name;
		} trename;
		struct {
			struct p9_str target;
		} rreadlink;
		struct {
			uint32_t fid;
			uint64_t mask;
		} tgetattr;
		struct p9_attr rgetattr;
		struct {
			uint32_t fid;
			struct p9_iattr attr;
		} tsetattr;
		struct {
			uint32_t fid, newfid;
			struct p9_str name;
		} txattrwalk;
		struct {
			uint64_t size;
		} rxattrwalk;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint64_t size;
			uint32_t flags;
		} txattrcreate;
		struct {
			uint32_t fid;
			uint64_t offset;
			uint32_t count;
		} treaddir;
		struct p9_data rreaddir;
		struct {
			uint32_t fid, datasync;
		} tfsync;
		struct {
			uint32_t fid;
			uint8_t type;
			uint32_t flags;
			uint64_t start, length;
			uint32_t proc_id;
			struct p9_str client_id;
		} tlock;
		struct {
			uint8_t status;
		} rlock;
		/* Tgetlock after the fid, and Rgetlock */
		struct {
			uint32_t fid;
			uint8_t type;
			uint64_t start, length;
			uint32_t proc_id;
			struct p9_str client_id;
		} getlock;
		struct {
			uint32_t dfid, fid;
			struct p9_str name;
		} tlink;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, gid;
		} tmkdir;
		struct {
			uint32_t olddfid;
			struct p9_str oldname;
			uint32_t newdfid;
			struct p9_str newname;
		} trenameat;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t flags;
		} tunlinkat;
		struct {
			uint16_t oldtag;
		} tflush;
		struct {
			uint32_t fid, newfid;
			uint16_t nwname;
			struct p9_str wname[P9_MAXWELEM];
		} twalk;
		struct {
			uint16_t nwqid;
			struct p9_qid wqid[P9_MAXWELEM];
		} rwalk;
		struct {
			uint32_t fid;
			uint64_t offset;
			uint32_t count;
		} tread;
		struct p9_data rread;
		struct {
			uint32_t fid;
			uint64_t offset;
			struct p9_data d;
		} twrite;
		struct {
			uint32_t count;
		} rwrite;
	} u;
};

/* The size field of the message at buf, or 0 when fewer than 4 bytes. */
uint32_t p9_msg_size(const void *buf, size_t len);

/* Decode the message at buf[0..len). The size field must equal len and
 * every field must lie inside it, with no bytes left over. Returns 0,
 * -P9_EMSGSIZE (size field disagrees with len), -P9_EOPNOTSUPP (a type this
 * codec does not know: m->type and m->tag are still filled so a server can
 * answer), or -P9_EPROTO (anything else malformed). */
int p9_unpack(const void *buf, size_t len, struct p9_msg *m);

/* Encode m into buf[0..cap). Returns the message size (counting a payload
 * left to the caller, see struct p9_data), or 0 when it does not fit, the
 * type is unknown, or a count (nwname > P9_MAXWELEM) is invalid. */
uint32_t p9_pack(void *buf, size_t cap, const struct p9_msg *m);

/* Bytes p9_pack writes itself for m (without a payload left to the
 * caller), or 0 for an unknown type. */
uint32_t p9_packed_header(const struct p9_msg *m);

/* Rlerror in one call: returns its size (11), or 0 when cap < 11. */
uint32_t p9_pack_error(void *buf, size_t cap, uint16_t tag, uint32_t ecode);

/* A C string as a p9_str; NULL, or longer than 65535 bytes, gives len 0
 * with s == NULL, which p9_pack refuses. */
struct p9_str p9_str(const char *s);
/* Whether a view equals the C string c. */
int p9_str_eq(struct p9_str a, const char *c);
/* Copy a view into dst[0..cap) with a NUL; -1 when it does not fit. */
int p9_str_copy(char *dst, size_t cap, struct p9_str a);

/* ---- Rreaddir payload: qid[13] offset[8] type[1] name[s] per entry ---- */

struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset; /* cookie to continue after this entry */
	uint8_t type;    /* DT_* */
	struct p9_str name;
};

/* Append one entry at buf[*pos], within cap. Returns 0, or -1 (nothing
 * written) when it does not fit. */
int p9_dirent_pack(void *buf, size_t cap, size_t *pos, const struct p9_dirent *d);
/* Decode the entry at data[*pos] (len bytes of payload). Returns 1 and
 * advances *pos, 0 at the end, -1 when malformed. */
int p9_dirent_next(const void *data, size_t len, size_t *pos, struct p9_dirent *d);

/* A name for a message type ("Twalk"), or NULL. For traces and errors. */
const char *p9_type_name(unsigned type);

#endif /* UK_P9_H */
