/*
 * Sockets and name resolution for newlib programs (newlib has neither).
 * The socket calls pass straight through: our <sys/socket.h> and
 * <netinet/in.h> use Linux's values and layouts, so only errno needs
 * setting (uk_ret). Names resolve as glibc's do, for IPv4 and IPv6: numbers
 * (an IPv6 one with its scope, "fe80::1%eth0"), /etc/hosts (both families),
 * then the library OS's DNS resolver (AAAA and A records).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uk/net.h>
#include <uk/print.h>
#include <uk/syscall.h>

#include "glue.h"

int uk_net_resolve(const char *name, int v6, void *addr);

/* ---- sockets ---- */

#define SC(name, ...) uk_ret(UK_CALL(name, __VA_ARGS__))

int socket(int d, int t, int p) { return (int)SC(socket, d, t, p, 0, 0, 0); }
int socketpair(int d, int t, int p, int sv[2]) { return (int)SC(socketpair, d, t, p, sv, 0, 0); }
int bind(int fd, const struct sockaddr *a, socklen_t l) { return (int)SC(bind, fd, a, l, 0, 0, 0); }
int listen(int fd, int backlog) { return (int)SC(listen, fd, backlog, 0, 0, 0, 0); }
int accept(int fd, struct sockaddr *a, socklen_t *l) { return (int)SC(accept, fd, a, l, 0, 0, 0); }
int accept4(int fd, struct sockaddr *a, socklen_t *l, int fl)
{
	return (int)SC(accept4, fd, a, l, fl, 0, 0);
}
int connect(int fd, const struct sockaddr *a, socklen_t l)
{
	return (int)SC(connect, fd, a, l, 0, 0, 0);
}
ssize_t send(int fd, const void *b, size_t n, int fl) { return SC(sendto, fd, b, n, fl, 0, 0); }
ssize_t sendto(int fd, const void *b, size_t n, int fl, const struct sockaddr *to, socklen_t tl)
{
	return SC(sendto, fd, b, n, fl, to, tl);
}
ssize_t sendmsg(int fd, const struct msghdr *m, int fl) { return SC(sendmsg, fd, m, fl, 0, 0, 0); }
int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int fl)
{
	return (int)SC(sendmmsg, fd, v, n, fl, 0, 0);
}
ssize_t recv(int fd, void *b, size_t n, int fl) { return SC(recvfrom, fd, b, n, fl, 0, 0); }
ssize_t recvfrom(int fd, void *b, size_t n, int fl, struct sockaddr *from, socklen_t *fl_)
{
	return SC(recvfrom, fd, b, n, fl, from, fl_);
}
ssize_t recvmsg(int fd, struct msghdr *m, int fl) { return SC(recvmsg, fd, m, fl, 0, 0, 0); }
int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int fl, struct timespec *t)
{
	return (int)SC(recvmmsg, fd, v, n, fl, t, 0);
}
int shutdown(int fd, int how) { return (int)SC(shutdown, fd, how, 0, 0, 0, 0); }
int getsockopt(int fd, int lv, int nm, void *v, socklen_t *l)
{
	return (int)SC(getsockopt, fd, lv, nm, v, l, 0);
}
int setsockopt(int fd, int lv, int nm, const void *v, socklen_t l)
{
	return (int)SC(setsockopt, fd, lv, nm, v, l, 0);
}
int getsockname(int fd, struct sockaddr *a, socklen_t *l)
{
	return (int)SC(getsockname, fd, a, l, 0, 0, 0);
}
int getpeername(int fd, struct sockaddr *a, socklen_t *l)
{
	return (int)SC(getpeername, fd, a, l, 0, 0, 0);
}

/* ---- addresses ---- */

const struct in6_addr in6addr_any = IN6ADDR_ANY_INIT;
const struct in6_addr in6addr_loopback = IN6ADDR_LOOPBACK_INIT;

/* Dotted quad only (the forms inet_pton accepts); 1 or 0. */
static int parse_quad(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int part = 0; part < 4; part++) {
		unsigned n = 0, digits = 0;
		while (isdigit((unsigned char)*s) && digits < 4)
			n = n * 10 + (unsigned)(*s++ - '0'), digits++;
		if (!digits || n > 255 || (digits > 1 && s[-(int)digits] == '0'))
			return 0;
		v = v << 8 | n;
		if (part < 3 && *s++ != '.')
			return 0;
	}
	if (*s)
		return 0;
	*out = htonl(v);
	return 1;
}

/* inet_aton also takes a, a.b, a.b.c and hex/octal parts, as glibc does. */
int inet_aton(const char *s, struct in_addr *a)
{
	unsigned long part[4];
	int n = 0;
	char *end;

	for (;;) {
		if (!isdigit((unsigned char)*s))
			return 0;
		errno = 0;
		part[n++] = strtoul(s, &end, 0);
		if (errno)
			return 0;
		s = end;
		if (*s != '.' || n == 4)
			break;
		s++;
	}
	if (*s && !isspace((unsigned char)*s))
		return 0;
	unsigned long v = part[n - 1], max = n == 1 ? 0xffffffffu : 0xffffffu >> (8 * (n - 2));
	if (v > max)
		return 0;
	for (int i = 0; i < n - 1; i++) {
		if (part[i] > 255)
			return 0;
		v |= part[i] << (24 - 8 * i);
	}
	a->s_addr = htonl((uint32_t)v);
	return 1;
}

in_addr_t inet_addr(const char *s)
{
	struct in_addr a;

	return inet_aton(s, &a) ? a.s_addr : INADDR_NONE;
}

in_addr_t inet_network(const char *s)
{
	struct in_addr a;

	return inet_aton(s, &a) ? ntohl(a.s_addr) : INADDR_NONE;
}

char *inet_ntoa(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return (char *)inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static int hex_digit(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* IPv6 text (RFC 4291 2.2): up to eight groups of 1-4 hex digits, one
 * "::" standing for at least one zero group, the last 32 bits possibly
 * a dotted quad; 1 or 0, as glibc's inet_pton. */
static int parse_v6(const char *s, uint8_t out[16])
{
	uint8_t b[16];
	int n = 0, gap = -1; /* bytes so far; where "::" stands */

	if (*s == ':' && *++s != ':')
		return 0;
	while (*s) {
		const char *group = s;
		unsigned v = 0, digits = 0;
		uint32_t quad;

		if (*s == ':') { /* the second colon of "::" */
			if (gap >= 0)
				return 0;
			gap = n;
			if (!*++s)
				break;
			continue;
		}
		while (hex_digit((unsigned char)*s) >= 0 && digits < 5)
			v = v << 4 | (unsigned)hex_digit((unsigned char)*s++), digits++;
		if (*s == '.') {
			if (n > 12 || !parse_quad(group, &quad))
				return 0;
			memcpy(b + n, &quad, 4);
			n += 4;
			break;
		}
		if (!digits || digits > 4 || n > 14)
			return 0;
		b[n++] = (uint8_t)(v >> 8);
		b[n++] = (uint8_t)v;
		if (*s == ':') {
			if (!*++s)
				return 0; /* a lone colon at the end */
		} else if (*s) {
			return 0;
		}
	}
	if (gap < 0 ? n != 16 : n == 16)
		return 0;
	if (gap >= 0) {
		memmove(b + 16 - (n - gap), b + gap, (size_t)(n - gap));
		memset(b + gap, 0, (size_t)(16 - n));
	}
	memcpy(out, b, 16);
	return 1;
}

int inet_pton(int af, const char *s, void *dst)
{
	uint32_t v;

	if (af == AF_INET6)
		return parse_v6(s, dst);
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (!parse_quad(s, &v))
		return 0;
	memcpy(dst, &v, 4);
	return 1;
}

/* RFC 5952's form, as glibc writes it: lower case, the longest run of two
 * or more zero groups (the first of equals) as "::", and an IPv4-mapped
 * or IPv4-compatible address's last 32 bits as a dotted quad. */
static void format_v6(const uint8_t *a, char *out, size_t size)
{
	unsigned w[8];
	int best = -1, blen = 1, n = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0, j; i < 8; i = j + 1) {
		for (j = i; j < 8 && !w[j]; j++)
			;
		if (j - i > blen)
			best = i, blen = j - i;
	}
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + blen) {
			if (i == best)
				n += uk_snprintf(out + n, size - (size_t)n, ":");
			continue;
		}
		if (i)
			n += uk_snprintf(out + n, size - (size_t)n, ":");
		if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && w[5] == 0xffff))) {
			uk_snprintf(out + n, size - (size_t)n, "%u.%u.%u.%u", a[12], a[13], a[14],
			            a[15]);
			return;
		}
		n += uk_snprintf(out + n, size - (size_t)n, "%x", w[i]);
	}
	if (best >= 0 && best + blen == 8)
		uk_snprintf(out + n, size - (size_t)n, ":");
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	const unsigned char *b = src;
	char tmp[INET6_ADDRSTRLEN];

	if (af == AF_INET6)
		format_v6(b, tmp, sizeof(tmp));
	else if (af == AF_INET)
		uk_snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	else {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	if (strlen(tmp) >= size) {
		errno = ENOSPC;
		return NULL;
	}
	return strcpy(dst, tmp);
}

/* ---- names ---- */

int h_errno;

/* A lookup's answers: addresses of the family asked for (AF_UNSPEC: either),
 * in the order found. */
#define ANSWERS_MAX 16
struct answer {
	int family;
	uint8_t a[16]; /* AF_INET's in the first 4 bytes */
	uint32_t scope;
};
struct answers {
	int family, n;
	struct answer v[ANSWERS_MAX];
};

static void add(struct answers *l, int family, const void *a, uint32_t scope)
{
	struct answer *x = &l->v[l->n];

	if (l->n == ANSWERS_MAX || (l->family != AF_UNSPEC && l->family != family))
		return;
	*x = (struct answer){ .family = family, .scope = scope };
	memcpy(x->a, a, family == AF_INET6 ? 16 : 4);
	l->n++;
}

/* A number of either family into l; an IPv6 one may end in %SCOPE (an
 * interface's name or index, as glibc takes it). 1 when s is a number, 0
 * when not, -1 for an IPv6 number with a scope that is none. */
static int numeric(const char *s, struct answers *l)
{
	char buf[INET6_ADDRSTRLEN], *pct;
	uint8_t a[16];
	unsigned scope = 0;

	if (parse_quad(s, (uint32_t *)a) || inet_aton(s, (struct in_addr *)a)) {
		add(l, AF_INET, a, 0);
		return 1;
	}
	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	if ((pct = strchr(buf, '%')))
		*pct++ = 0;
	if (!parse_v6(buf, a))
		return 0;
	if (pct) {
		char *end;
		if (!IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)a) || !(scope = if_nametoindex(pct)))
			scope = (unsigned)strtoul(pct, &end, 10);
		if (!*pct || (!scope && *end))
			return -1;
	}
	add(l, AF_INET6, a, scope);
	return 1;
}

/* /etc/hosts: every entry naming name, of either family, in its order
 * (glibc's files backend). */
static void hosts_lookup(const char *name, struct answers *l)
{
	FILE *f = fopen("/etc/hosts", "r");
	char line[512], *tok, *save;
	uint8_t a[16];
	int family;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok)
			continue;
		family = parse_quad(tok, (uint32_t *)a) ? AF_INET : parse_v6(tok, a) ? AF_INET6 : 0;
		while (family && (tok = strtok_r(NULL, " \t\r\n", &save)))
			if (!strcasecmp(tok, name)) {
				add(l, family, a, 0);
				break;
			}
	}
	fclose(f);
}

/* RFC 6724's default policy: an address's precedence. */
static int precedence(const struct answer *x)
{
	static const struct {
		uint8_t prefix[16];
		int bits, prec;
	} policy[] = {
		{ { [15] = 1 }, 128, 50 },                /* ::1 */
		{ { [10] = 0xff, [11] = 0xff }, 96, 35 }, /* IPv4 (mapped) */
		{ { 0x20, 0x02 }, 16, 30 },               /* 6to4 */
		{ { 0x20, 0x01 }, 32, 5 },                /* Teredo */
		{ { 0xfc }, 7, 3 },                       /* ULA */
		{ { 0 }, 96, 1 },                         /* IPv4-compatible */
		{ { 0xfe, 0xc0 }, 10, 1 },                /* site-local */
		{ { 0x3f, 0xfe }, 16, 1 },                /* 6bone */
	};

	if (x->family == AF_INET)
		return 35;
	for (size_t i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		int bits = policy[i].bits, bytes = bits / 8, rest = bits % 8;
		if (!memcmp(x->a, policy[i].prefix, (size_t)bytes) &&
		    (!rest || !((x->a[bytes] ^ policy[i].prefix[bytes]) & (0xff00 >> rest))))
			return policy[i].prec;
	}
	return 40;
}

/* Whether a datagram socket can be connected to x: glibc's test of a
 * destination it can reach (RFC 6724's rule 1). */
static int usable(const struct answer *x)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
		                    .sin6_port = htons(9),
		                    .sin6_scope_id = x->scope };
	int fd = socket(x->family, SOCK_DGRAM, 0), ok;

	memcpy(&in.sin_addr, x->a, 4);
	memcpy(&in6.sin6_addr, x->a, 16);
	ok = fd >= 0 && !(x->family == AF_INET ? connect(fd, (struct sockaddr *)&in, sizeof(in))
	                                       : connect(fd, (struct sockaddr *)&in6, sizeof(in6)));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The answers of both families in the order glibc's getaddrinfo sorts
 * them (RFC 6724): reachable ones first, then by precedence (::1, other
 * IPv6, IPv4, ...); stable otherwise. */
static void sort_answers(struct answers *l)
{
	int key[ANSWERS_MAX];

	for (int i = 0; i < l->n; i++)
		key[i] = usable(&l->v[i]) * 100 + precedence(&l->v[i]);
	for (int i = 1; i < l->n; i++)
		for (int j = i; j > 0 && key[j] > key[j - 1]; j--) {
			struct answer t = l->v[j];
			int k = key[j];
			l->v[j] = l->v[j - 1], key[j] = key[j - 1];
			l->v[j - 1] = t, key[j - 1] = k;
		}
}

/* The resolver's AAAA and A answers (one each: lwIP keeps the first) for
 * the families l takes: 0 when there is one, or an EAI_* code. */
static int dns_lookup(const char *name, struct answers *l)
{
	static const int family[2] = { AF_INET6, AF_INET };
	uint8_t a[16];
	int r = -ENOENT;

	for (int i = 0; i < 2; i++) {
		if (l->family != AF_UNSPEC && l->family != family[i])
			continue;
		r = (int)uk_net_resolve(name, family[i] == AF_INET6, a);
		if (!r)
			add(l, family[i], a, 0);
		else if (r != -ENOENT)
			break; /* no server or no answer: the other asks in vain too */
	}
	if (l->n)
		return 0;
	if (r == -ENOENT)
		return EAI_NONAME;
	return r == -ENETDOWN || r == -EAGAIN ? EAI_AGAIN : EAI_FAIL;
}

/* A name's addresses into l: 0, or an EAI_* code. */
static int resolve(const char *name, struct answers *l, int flags)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	uint32_t lo4 = htonl(INADDR_LOOPBACK);
	int r = numeric(name, l);

	if (r)
		return r < 0 ? EAI_NONAME : l->n ? 0 : EAI_ADDRFAMILY;
	if (flags & AI_NUMERICHOST)
		return EAI_NONAME;
	hosts_lookup(name, l);
	if (!l->n && !strcasecmp(name, "localhost")) {
		add(l, AF_INET6, lo6, 0);
		add(l, AF_INET, &lo4, 0);
	}
	if (l->n)
		return 0;
	return dns_lookup(name, l);
}

static const struct {
	const char *name;
	int port;
} services[] = {
	{ "ftp", 21 },    { "ssh", 22 },    { "telnet", 23 },  { "smtp", 25 },
	{ "domain", 53 }, { "http", 80 },   { "pop3", 110 },   { "ntp", 123 },
	{ "imap", 143 },  { "https", 443 }, { "redis", 6379 }, { "http-alt", 8080 },
};

/* Port in network order, or -1. */
static int service_port(const char *serv, int numeric_only)
{
	char *end;
	long v = strtol(serv, &end, 10);

	if (*serv && !*end)
		return v >= 0 && v <= 65535 ? htons((uint16_t)v) : -1;
	if (numeric_only)
		return -1;
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (!strcmp(serv, services[i].name))
			return htons((uint16_t)services[i].port);
	return -1;
}

static struct addrinfo *ai_new(int socktype, const struct answer *x, int port, const char *canon)
{
	struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in6));
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(ai + 1);
	struct sockaddr_in *sin = (struct sockaddr_in *)(ai + 1);

	if (!ai)
		return NULL;
	if (x->family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = (in_port_t)port;
		memcpy(&sin6->sin6_addr, x->a, 16);
		sin6->sin6_scope_id = x->scope;
		ai->ai_addrlen = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = (in_port_t)port;
		memcpy(&sin->sin_addr, x->a, 4);
		ai->ai_addrlen = sizeof(*sin);
	}
	ai->ai_family = x->family;
	ai->ai_socktype = socktype;
	ai->ai_protocol = socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	if (canon && !(ai->ai_canonname = strdup(canon))) {
		free(ai);
		return NULL;
	}
	return ai;
}

/* AF_INET6 with AI_V4MAPPED: the IPv4 answers as ::ffff:a.b.c.d when there
 * is no IPv6 one (or with AI_ALL), else dropped. */
static void map_v4(struct answers *l, int all)
{
	int has6 = 0, n = 0;

	for (int i = 0; i < l->n; i++)
		has6 |= l->v[i].family == AF_INET6;
	for (int i = 0; i < l->n; i++) {
		struct answer x = l->v[i];
		if (x.family == AF_INET) {
			if (has6 && !all)
				continue;
			memmove(x.a + 12, x.a, 4);
			memset(x.a, 0, 10);
			x.a[10] = x.a[11] = 0xff;
			x.family = AF_INET6;
		}
		l->v[n++] = x;
	}
	l->n = n;
}

/* No node: the wildcard addresses (AI_PASSIVE) or the loopback ones. */
static void no_node(struct answers *l, int passive)
{
	static const uint8_t lo6[16] = { [15] = 1 }, any6[16];
	uint32_t v4 = htonl(passive ? INADDR_ANY : INADDR_LOOPBACK);

	add(l, AF_INET6, passive ? any6 : lo6, 0);
	add(l, AF_INET, &v4, 0);
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 }, *head = NULL, **tail = &head;
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	int port = 0, r, mapped;
	struct answers l = { .family = h.ai_family };

	if (!node && !service)
		return EAI_NONAME;
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET && h.ai_family != AF_INET6)
		return EAI_FAMILY;
	if (h.ai_socktype && h.ai_socktype != SOCK_STREAM && h.ai_socktype != SOCK_DGRAM)
		return EAI_SOCKTYPE;
	if (service && (port = service_port(service, h.ai_flags & AI_NUMERICSERV)) < 0)
		return EAI_SERVICE;
	if ((mapped = h.ai_family == AF_INET6 && (h.ai_flags & AI_V4MAPPED)))
		l.family = AF_UNSPEC;
	if (!node)
		no_node(&l, h.ai_flags & AI_PASSIVE);
	else if ((r = resolve(node, &l, h.ai_flags)))
		return r;
	if (mapped)
		map_v4(&l, h.ai_flags & AI_ALL);
	if (!l.n)
		return EAI_ADDRFAMILY;
	if (l.n > 1)
		sort_answers(&l);
	for (int a = 0; a < l.n; a++)
		for (size_t i = 0; i < 2; i++) {
			if (h.ai_socktype && h.ai_socktype != types[i])
				continue;
			*tail = ai_new(types[i], &l.v[a], port,
			               !head && (h.ai_flags & AI_CANONNAME)
			                   ? (node ? node : "localhost")
			                   : NULL);
			if (!*tail) {
				freeaddrinfo(head);
				return EAI_MEMORY;
			}
			tail = &(*tail)->ai_next;
		}
	*res = head;
	return 0;
}

void freeaddrinfo(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;
		free(ai->ai_canonname);
		free(ai);
		ai = next;
	}
}

const char *gai_strerror(int e)
{
	switch (e) {
	case 0: return "Success";
	case EAI_BADFLAGS: return "Bad value for ai_flags";
	case EAI_NONAME: return "Name or service not known";
	case EAI_AGAIN: return "Temporary failure in name resolution";
	case EAI_FAIL: return "Non-recoverable failure in name resolution";
	case EAI_FAMILY: return "ai_family not supported";
	case EAI_SOCKTYPE: return "ai_socktype not supported";
	case EAI_SERVICE: return "Servname not supported for ai_socktype";
	case EAI_MEMORY: return "Memory allocation failure";
	case EAI_SYSTEM: return "System error";
	case EAI_OVERFLOW: return "Argument buffer overflow";
	}
	return "Unknown error";
}

/* Numeric answers only: there is no reverse DNS. An IPv6 address's scope
 * follows as %INTERFACE for a link-local one, else as %INDEX (glibc's). */
int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	int v6 = sa && sa->sa_family == AF_INET6;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1], name[IF_NAMESIZE];

	if (!sa || (sa->sa_family != AF_INET && !v6) || salen < (v6 ? sizeof(*sin6) : sizeof(*sin)))
		return EAI_FAMILY;
	if (host && hostlen) {
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		inet_ntop(sa->sa_family, v6 ? (const void *)&sin6->sin6_addr : &sin->sin_addr, buf,
		          sizeof(buf));
		if (v6 && sin6->sin6_scope_id && IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) &&
		    if_indextoname(sin6->sin6_scope_id, name))
			uk_snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%%%s", name);
		else if (v6 && sin6->sin6_scope_id)
			uk_snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%%%u",
			            (unsigned)sin6->sin6_scope_id);
		if (strlen(buf) >= hostlen)
			return EAI_OVERFLOW;
		strcpy(host, buf);
	}
	if (serv && servlen &&
	    uk_snprintf(serv, servlen, "%u", ntohs(v6 ? sin6->sin6_port : sin->sin_port)) >=
	        (int)servlen)
		return EAI_OVERFLOW;
	return 0;
}

static struct hostent *hostent_of(const char *name, uint32_t addr)
{
	static struct hostent he;
	static char hname[256];
	static uint32_t a;
	static char *addrs[2], *aliases[1];

	uk_snprintf(hname, sizeof(hname), "%s", name);
	a = addr;
	addrs[0] = (char *)&a;
	he = (struct hostent){ hname, aliases, AF_INET, 4, addrs };
	return &he;
}

struct hostent *gethostbyname(const char *name)
{
	struct answers l = { .family = AF_INET };
	uint32_t addr;
	int r = resolve(name, &l, 0);

	if (r) {
		h_errno = r == EAI_AGAIN    ? TRY_AGAIN
		          : r == EAI_NONAME ? HOST_NOT_FOUND
		                            : NO_RECOVERY;
		return NULL;
	}
	memcpy(&addr, l.v[0].a, 4);
	return hostent_of(name, addr);
}

struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	char buf[INET_ADDRSTRLEN];
	uint32_t a;

	if (type != AF_INET || len != 4) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	memcpy(&a, addr, 4);
	inet_ntop(AF_INET, &a, buf, sizeof(buf)); /* no reverse DNS: the number */
	return hostent_of(buf, a);
}

const char *hstrerror(int e)
{
	switch (e) {
	case HOST_NOT_FOUND: return "Unknown host";
	case TRY_AGAIN: return "Host name lookup failure";
	case NO_RECOVERY: return "Unknown server error";
	case NO_DATA: return "No address associated with name";
	}
	return "Resolver internal error";
}

struct servent *getservbyname(const char *name, const char *proto)
{
	static struct servent se;
	static char *aliases[1];
	int port = service_port(name, 0);

	if (port < 0)
		return NULL;
	se = (struct servent){ (char *)name, aliases, port, (char *)(proto ? proto : "tcp") };
	return &se;
}

struct servent *getservbyport(int port, const char *proto)
{
	static struct servent se;
	static char *aliases[1];

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		if (htons((uint16_t)services[i].port) == port) {
			se = (struct servent){ (char *)services[i].name, aliases, port,
				               (char *)(proto ? proto : "tcp") };
			return &se;
		}
	}
	return NULL;
}

static struct protoent *proto_of(const char *name, int num)
{
	static struct protoent pe;
	static char *aliases[1];

	pe = (struct protoent){ (char *)name, aliases, num };
	return &pe;
}

struct protoent *getprotobyname(const char *name)
{
	if (!strcmp(name, "tcp"))
		return proto_of("tcp", IPPROTO_TCP);
	if (!strcmp(name, "udp"))
		return proto_of("udp", IPPROTO_UDP);
	if (!strcmp(name, "ip"))
		return proto_of("ip", IPPROTO_IP);
	return NULL;
}

struct protoent *getprotobynumber(int num)
{
	switch (num) {
	case IPPROTO_TCP: return proto_of("tcp", num);
	case IPPROTO_UDP: return proto_of("udp", num);
	case IPPROTO_IP: return proto_of("ip", num);
	}
	return NULL;
}

/* ---- interfaces: lwIP's, named as netlink and the ioctls name them ---- */

unsigned int if_nametoindex(const char *name)
{
	int i = uk_net_up() ? -ENODEV : uk_net_ifindex(name);

	if (i < 0) {
		errno = ENODEV;
		return 0;
	}
	return (unsigned)i;
}

char *if_indextoname(unsigned int index, char *name)
{
	if (index > 255 || uk_net_up() || uk_net_ifname_of((int)index, name, IF_NAMESIZE)) {
		errno = ENXIO;
		return NULL;
	}
	return name;
}

struct if_nameindex *if_nameindex(void)
{
	struct if_nameindex *v = NULL, *w;
	char name[IF_NAMESIZE];
	int n = 0;

	if (uk_net_up()) {
		errno = ENOBUFS;
		return NULL;
	}
	for (int i = 1; i < 256; i++) { /* (lwIP's indexes are a byte) */
		if (uk_net_ifname_of(i, name, sizeof(name)))
			continue;
		if (!(w = realloc(v, (n + 2) * sizeof(*v)))) {
			if_freenameindex(v);
			errno = ENOBUFS;
			return NULL;
		}
		v = w;
		v[n] = (struct if_nameindex){ (unsigned)i, strdup(name) };
		v[++n] = (struct if_nameindex){ 0, NULL };
		if (!v[n - 1].if_name) {
			if_freenameindex(v);
			errno = ENOBUFS;
			return NULL;
		}
	}
	if (!v && (v = calloc(1, sizeof(*v))) == NULL)
		errno = ENOBUFS;
	return v;
}

void if_freenameindex(struct if_nameindex *v)
{
	for (struct if_nameindex *p = v; p && p->if_index; p++)
		free(p->if_name);
	free(v);
}
