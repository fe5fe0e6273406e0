/*
 * Sockets and name resolution for newlib programs (newlib has neither).
 * The socket calls pass straight through: our <sys/socket.h> and
 * <netinet/in.h> use Linux's values and layouts, so only errno needs
 * setting (uk_ret). Names resolve through /etc/hosts, then the library OS's
 * DNS resolver (IPv4 only).
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
#include <uk/print.h>
#include <uk/syscall.h>

#include "glue.h"

int uk_net_resolve(const char *name, uint32_t *addr);

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

int inet_pton(int af, const char *s, void *dst)
{
	uint32_t v;

	if (af != AF_INET) {
		errno = EAFNOSUPPORT; /* IPv6 is not supported */
		return -1;
	}
	if (!parse_quad(s, &v))
		return 0;
	memcpy(dst, &v, 4);
	return 1;
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	const unsigned char *b = src;
	char tmp[INET_ADDRSTRLEN];
	int n;

	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	n = uk_snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	if (n < 0 || (socklen_t)n >= size) {
		errno = ENOSPC;
		return NULL;
	}
	memcpy(dst, tmp, (size_t)n + 1);
	return dst;
}

/* ---- names ---- */

int h_errno;

/* /etc/hosts: the first IPv4 entry naming name. */
static int hosts_lookup(const char *name, uint32_t *addr)
{
	FILE *f = fopen("/etc/hosts", "r");
	char line[512], *tok, *save;
	uint32_t a;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok || !parse_quad(tok, &a))
			continue;
		while (!found && (tok = strtok_r(NULL, " \t\r\n", &save)))
			found = !strcasecmp(tok, name);
	}
	fclose(f);
	if (found)
		*addr = a;
	return found;
}

/* 0, or an EAI_* code. */
static int resolve(const char *name, uint32_t *addr)
{
	int r;

	if (parse_quad(name, addr) || inet_aton(name, (struct in_addr *)addr))
		return 0;
	if (hosts_lookup(name, addr))
		return 0;
	if (!strcasecmp(name, "localhost")) {
		*addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	r = (int)uk_net_resolve(name, addr);
	if (!r)
		return 0;
	if (r == -ENOENT)
		return EAI_NONAME;
	if (r == -ENETDOWN || r == -EAGAIN)
		return EAI_AGAIN;
	return EAI_FAIL;
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

static struct addrinfo *ai_new(int socktype, uint32_t addr, int port, const char *canon)
{
	struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in));
	struct sockaddr_in *sin;

	if (!ai)
		return NULL;
	sin = (struct sockaddr_in *)(ai + 1);
	sin->sin_family = AF_INET;
	sin->sin_port = (in_port_t)port;
	sin->sin_addr.s_addr = addr;
	ai->ai_family = AF_INET;
	ai->ai_socktype = socktype;
	ai->ai_protocol = socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	ai->ai_addrlen = sizeof(*sin);
	ai->ai_addr = (struct sockaddr *)sin;
	if (canon && !(ai->ai_canonname = strdup(canon))) {
		free(ai);
		return NULL;
	}
	return ai;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 }, *head = NULL, **tail = &head;
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	uint32_t addr;
	int port = 0, r;

	if (!node && !service)
		return EAI_NONAME;
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET)
		return EAI_FAMILY;
	if (h.ai_socktype && h.ai_socktype != SOCK_STREAM && h.ai_socktype != SOCK_DGRAM)
		return EAI_SOCKTYPE;
	if (service && (port = service_port(service, h.ai_flags & AI_NUMERICSERV)) < 0)
		return EAI_SERVICE;
	if (!node) {
		addr = htonl(h.ai_flags & AI_PASSIVE ? INADDR_ANY : INADDR_LOOPBACK);
	} else if (h.ai_flags & AI_NUMERICHOST) {
		if (!parse_quad(node, &addr))
			return EAI_NONAME;
	} else if ((r = resolve(node, &addr))) {
		return r;
	}
	for (size_t i = 0; i < 2; i++) {
		if (h.ai_socktype && h.ai_socktype != types[i])
			continue;
		*tail = ai_new(types[i], addr, port,
		               !head && (h.ai_flags & AI_CANONNAME) ? (node ? node : "localhost")
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

/* Numeric answers only: there is no reverse DNS. */
int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	if (!sa || sa->sa_family != AF_INET || salen < sizeof(*sin))
		return EAI_FAMILY;
	if (host && hostlen) {
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		if (!inet_ntop(AF_INET, &sin->sin_addr, host, hostlen))
			return EAI_OVERFLOW;
	}
	if (serv && servlen &&
	    uk_snprintf(serv, servlen, "%u", ntohs(sin->sin_port)) >= (int)servlen)
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
	uint32_t addr;
	int r = resolve(name, &addr);

	if (r) {
		h_errno = r == EAI_AGAIN    ? TRY_AGAIN
		          : r == EAI_NONAME ? HOST_NOT_FOUND
		                            : NO_RECOVERY;
		return NULL;
	}
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

/* ---- interfaces: "lo" is 1, the virtio-net devices follow ---- */

unsigned int if_nametoindex(const char *name)
{
	if (!strcmp(name, "lo"))
		return 1;
	if (!strncmp(name, "en", 2) && isdigit((unsigned char)name[2]) && !name[3])
		return 2 + (unsigned)(name[2] - '0');
	errno = ENODEV;
	return 0;
}

char *if_indextoname(unsigned int index, char *name)
{
	if (index == 1)
		return strcpy(name, "lo");
	if (index >= 2 && index < 12) {
		uk_snprintf(name, IF_NAMESIZE, "en%u", index - 2);
		return name;
	}
	errno = ENXIO;
	return NULL;
}

struct if_nameindex *if_nameindex(void)
{
	struct if_nameindex *v = calloc(3, sizeof(*v));

	if (!v)
		return NULL;
	v[0] = (struct if_nameindex){ 1, strdup("lo") };
	v[1] = (struct if_nameindex){ 2, strdup("en0") };
	return v;
}

void if_freenameindex(struct if_nameindex *v)
{
	for (struct if_nameindex *p = v; p && p->if_index; p++)
		free(p->if_name);
	free(v);
}
