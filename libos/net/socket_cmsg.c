/*
 * Ancillary data of AF_UNIX messages (sendmsg/recvmsg's msg_control, see
 * sock.h): SCM_RIGHTS passes open files, which arrive as new descriptors
 * of the same files (within the one process: as dup would make them);
 * SCM_CREDENTIALS is checked on the way in and reported on the way out to
 * a socket with SO_PASSCRED. Layouts are x86-64 Linux's struct cmsghdr.
 * And where an AF_INET/AF_INET6 datagram was sent to (IP_PKTINFO,
 * IPV6_PKTINFO), which servers bound to the wildcard address read to
 * answer from it (dnsmasq will not start without them).
 */
#include <asm/socket.h>
#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#include "sock.h"

struct uk_cmsghdr {
	uint64_t len; /* header included */
	int32_t level, type;
};

#define HDR sizeof(struct uk_cmsghdr)
#define ALIGN(n) (((n) + 7) & ~(size_t)7)
#define UCRED_LEN 12 /* struct ucred */

void uk_cmsg_drop(struct uk_scm *scm)
{
	for (int i = 0; i < scm->nfiles; i++)
		if (scm->files[i])
			uk_file_put(scm->files[i]);
	uk_kfree(scm->files);
	scm->files = NULL;
	scm->nfiles = 0;
}

static int take_rights(struct uk_scm *scm, const char *data, size_t len)
{
	int n = (int)(len / sizeof(int)), fd;
	struct uk_file **v;

	if (!n)
		return 0;
	if (scm->nfiles + n > UK_SCM_MAX_FD)
		return -EINVAL;
	if (!(v = uk_kmalloc(sizeof(*v) * (size_t)(scm->nfiles + n))))
		return -ENOMEM;
	if (scm->nfiles)
		uk_memcpy(v, scm->files, sizeof(*v) * (size_t)scm->nfiles);
	uk_kfree(scm->files);
	scm->files = v;
	for (int i = 0; i < n; i++) {
		uk_memcpy(&fd, data + i * sizeof(int), sizeof(int));
		if (!(v[scm->nfiles] = uk_fd_get(fd)))
			return -EBADF;
		scm->nfiles++;
	}
	return 0;
}

/* SCM_CREDENTIALS: a process may only claim itself (it is root here, but
 * there is no other process to be). */
static int check_creds(const char *data, size_t len)
{
	char own[UCRED_LEN];

	if (len != UCRED_LEN)
		return -EINVAL;
	uk_unix_ucred(own);
	return uk_memcmp(own, data, UCRED_LEN) ? -EPERM : 0;
}

int uk_cmsg_in(const struct uk_msghdr *m, struct uk_scm *scm)
{
	const char *p = m->msg_control, *end = p + m->msg_controllen;
	struct uk_cmsghdr h;
	int r;

	if (!p)
		return 0;
	while ((size_t)(end - p) >= HDR) {
		uk_memcpy(&h, p, HDR);
		if (h.len < HDR || h.len > (size_t)(end - p))
			return -EINVAL;
		if (h.level != SOL_SOCKET) {
			uk_trace_note(
			    "sendmsg: control messages of level %d are not supported on AF_UNIX",
			    h.level);
			return -EINVAL;
		}
		if (h.type == UK_SCM_RIGHTS)
			r = take_rights(scm, p + HDR, h.len - HDR);
		else if (h.type == UK_SCM_CREDENTIALS)
			r = check_creds(p + HDR, h.len - HDR);
		else {
			uk_trace_note("sendmsg: control message type %d is not supported", h.type);
			r = -EINVAL;
		}
		if (r)
			return r;
		if (ALIGN(h.len) >= (size_t)(end - p))
			break;
		p += ALIGN(h.len);
	}
	return 0;
}

/* One control message at m->msg_control + *used, cut to the room left
 * (MSG_CTRUNC); the bytes it takes (CMSG_SPACE) are added to *used. */
static void put_cmsg(struct uk_msghdr *m, size_t size, size_t *used, int level, int type,
                     const void *data, size_t len)
{
	size_t room = size - *used, space = ALIGN(HDR + len);
	struct uk_cmsghdr h = { HDR + len, level, type };
	char *p = (char *)m->msg_control + *used;

	if (room < HDR + len) {
		m->msg_flags |= UK_MSG_CTRUNC;
		return;
	}
	uk_memcpy(p, &h, HDR);
	uk_memcpy(p + HDR, data, len);
	*used += space < room ? space : room;
}

void uk_cmsg_out(struct uk_msghdr *m, struct uk_scm *scm, int creds, int cloexec)
{
	size_t used = 0, room = m->msg_control ? m->msg_controllen : 0;
	int fds[UK_SCM_MAX_FD], n = 0;
	char ucred[UCRED_LEN];

	if (creds) {
		uk_unix_ucred(ucred);
		put_cmsg(m, room, &used, SOL_SOCKET, UK_SCM_CREDENTIALS, ucred, UCRED_LEN);
	}
	if (scm->nfiles && room - used >= HDR + sizeof(int)) {
		size_t fit = (room - used - HDR) / sizeof(int);
		for (; n < scm->nfiles && (size_t)n < fit; n++) {
			if ((fds[n] = uk_fd_install(scm->files[n], 0, cloexec)) < 0)
				break;
			scm->files[n] = NULL; /* the descriptor holds it now */
		}
		put_cmsg(m, room, &used, SOL_SOCKET, UK_SCM_RIGHTS, fds, (size_t)n * sizeof(int));
	}
	if (n < scm->nfiles) /* the others are closed, as Linux */
		m->msg_flags |= UK_MSG_CTRUNC;
	m->msg_controllen = used;
}

/* IP_PKTINFO's ipi_spec_dst: the local address an answer comes from,
 * as Linux computes it: the destination itself when it is one of ours,
 * else (broadcast, multicast) the receiving interface's address. */
static uint32_t spec_dst(const struct uk_scm *scm)
{
	struct netif *nif = netif_get_by_index((u8_t)scm->ifindex);
	ip4_addr_t dst = { scm->dst4 };

	if (!nif || (!ip4_addr_isbroadcast(&dst, nif) && !ip4_addr_ismulticast(&dst)))
		return scm->dst4;
	return ip4_addr_get_u32(netif_ip4_addr(nif));
}

void uk_cmsg_pktinfo_out(struct uk_msghdr *m, const struct uk_sock *s, const struct uk_scm *scm)
{
	size_t used = 0, room = m->msg_control ? m->msg_controllen : 0;
	char v4[12], v6[20]; /* struct in_pktinfo, struct in6_pktinfo */
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	/* Linux's order: IPV6_PKTINFO (an IPv4 one mapped), then IP_PKTINFO
	 * (an IPv4 datagram's alone, even on an AF_INET6 socket) */
	if (s->family == UK_AF_INET6 && (s->opts & UK_SO_PKTINFO6)) {
		if (scm->dst_v6) {
			uk_memcpy(v6, scm->dst6, 16);
		} else {
			uk_memcpy(v6, mapped, 12);
			uk_memcpy(v6 + 12, &scm->dst4, 4);
		}
		uk_memcpy(v6 + 16, &scm->ifindex, 4);
		put_cmsg(m, room, &used, UK_IPPROTO_IPV6, UK_IPV6_PKTINFO, v6, sizeof(v6));
	}
	if (!scm->dst_v6 && (s->opts & UK_SO_PKTINFO)) {
		uint32_t spec = spec_dst(scm);
		uk_memcpy(v4, &scm->ifindex, 4);
		uk_memcpy(v4 + 4, &spec, 4);
		uk_memcpy(v4 + 8, &scm->dst4, 4);
		put_cmsg(m, room, &used, IPPROTO_IP, UK_IP_PKTINFO, v4, sizeof(v4));
	}
	m->msg_controllen = used;
}
