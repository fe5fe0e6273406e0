/*
 * The network options, checked: --net none|tap:IF[,vhost=on|off|auto][,mac=M]|
 * user[,hostfwd=PROTO:[HOSTADDR:]HOSTPORT-[GUESTADDR]:GUESTPORT...]
 * [,host-loopback=on|off][,mtu=N][,mac=M],
 * -p [HOSTADDR:]HOSTPORT:GUESTPORT[/udp] (implies --net user), --ip ADDR/LEN, --gw ADDR.
 * HOSTADDR is IPv4, or IPv6 in brackets ([::1], as docker and QEMU write
 * it).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static int parse_port(const char *s, size_t len, uint16_t *port)
{
	char buf[8];
	char *end;
	long v;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	v = strtol(buf, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_addr(const char *s, size_t len, struct in_addr *a)
{
	char buf[INET_ADDRSTRLEN];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	return inet_pton(AF_INET, buf, a) == 1 ? 0 : -1;
}

/* A forward's host address, "127.0.0.1" or "[::1]" (len bytes of s). */
static int parse_host(const char *s, size_t len, struct vmm_net_fwd *f)
{
	char buf[INET6_ADDRSTRLEN];

	if (len < 2 || s[0] != '[' || s[len - 1] != ']') {
		f->family = AF_INET;
		return parse_addr(s, len, &f->host_addr);
	}
	if (len - 2 >= sizeof(buf))
		return -1;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = 0;
	f->family = AF_INET6;
	return inet_pton(AF_INET6, buf, &f->host_addr6) == 1 ? 0 : -1;
}

/* The end of a HOSTADDR at s, before its ':' (an IPv6 one is bracketed),
 * or NULL when s has none before end. */
static const char *host_end(const char *s, const char *end)
{
	const char *close;

	if (*s == '[')
		return (close = memchr(s, ']', (size_t)(end - s))) && close + 1 < end &&
		               close[1] == ':'
		           ? close + 1
		           : NULL;
	return memchr(s, ':', (size_t)(end - s));
}

/* "tcp:8080-:80", "tcp::8080-:80", "udp:127.0.0.1:5353-:53",
 * "tcp:[::1]:8080-:80" (QEMU's: IPv4 unless the address is IPv6). */
static int parse_hostfwd(const char *s, struct vmm_net_fwd *f)
{
	const char *p = strchr(s, ':'), *dash, *hp, *gp;

	*f = (struct vmm_net_fwd){ .family = AF_INET, .host_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (!p || !(dash = strchr(p, '-')))
		return -1;
	if ((size_t)(p - s) == 3 && !strncmp(s, "udp", 3))
		f->udp = 1;
	else if ((size_t)(p - s) != 3 || strncmp(s, "tcp", 3))
		return -1;
	hp = p + 1;
	p = host_end(hp, dash);
	if (p) { /* HOSTADDR:HOSTPORT, HOSTADDR may be empty (all addresses) */
		if (p > hp && parse_host(hp, (size_t)(p - hp), f))
			return -1;
		if (p == hp)
			f->host_addr.s_addr = htonl(INADDR_ANY);
		hp = p + 1;
	}
	if (parse_port(hp, (size_t)(dash - hp), &f->host_port))
		return -1;
	gp = strrchr(dash, ':');
	if (!gp || gp != dash + 1) /* a guest address other than the guest's own */
		return -1;
	return parse_port(gp + 1, strlen(gp + 1), &f->guest_port);
}

static int add_fwd(struct vmm_net_conf *c, const struct vmm_net_fwd *f, const char *what)
{
	if (c->nfwd == VMM_NET_FWD_MAX) {
		vmm_err("%s: more than %d port forwards", what, VMM_NET_FWD_MAX);
		return -1;
	}
	c->fwd[c->nfwd++] = *f;
	return 0;
}

/* "mtu=N": the user network's MTU, as far as libslirp goes. */
static int parse_mtu(const char *s, struct vmm_net_conf *c)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < UK_VIRTIO_NET_MTU_MIN || v > UK_VIRTIO_NET_MTU_USER) {
		vmm_err("--net user,mtu=%s: expected %d to %d", s, UK_VIRTIO_NET_MTU_MIN,
		        UK_VIRTIO_NET_MTU_USER);
		return -1;
	}
	c->mtu = (uint16_t)v;
	return 0;
}

/* "mac=02:42:0a:58:00:05": the guest's address, unicast (the engine's
 * veth's, as Kata gives its guests). */
static int parse_mac(const char *opt, const char *s, struct vmm_net_conf *c)
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
	           &end) != 6 ||
	    strlen(s) != 17 || (b[0] & 1) || !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5])) {
		vmm_err("--net %s,mac=%s: expected a unicast MAC address like 02:42:0a:58:00:05",
		        opt, s);
		return -1;
	}
	for (int i = 0; i < 6; i++)
		c->mac[i] = (uint8_t)b[i];
	c->has_mac = 1;
	return 0;
}

static int parse_user(const char *opts, struct vmm_net_conf *c)
{
	const char *kind = c->passt ? "passt" : "user";
	char *dup = strdup(opts), *save = NULL, *tok;
	struct vmm_net_fwd f;
	int r = 0;

	for (tok = strtok_r(dup, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "hostfwd=", 8) && !parse_hostfwd(tok + 8, &f)) {
			r = add_fwd(c, &f, c->passt ? "--net passt" : "--net user");
			continue;
		}
		if (!strncmp(tok, "mtu=", 4)) {
			r = parse_mtu(tok + 4, c);
			continue;
		}
		if (!strncmp(tok, "mac=", 4)) {
			r = parse_mac(kind, tok + 4, c);
			continue;
		}
		if (!strcmp(tok, "host-loopback=on") || !strcmp(tok, "host-loopback=off")) {
			c->host_loopback = !strcmp(tok, "host-loopback=on");
			continue;
		}
		if (!strncmp(tok, "hostfwd=", 8))
			vmm_err("--net %s: '%s' is not hostfwd=tcp:HOSTPORT-:GUESTPORT "
			        "(or udp:, or tcp:HOSTADDR:HOSTPORT-:GUESTPORT)",
			        kind, tok);
		else
			vmm_err("--net %s: unknown option '%s' (hostfwd=..., "
			        "host-loopback=on|off, mtu=N, mac=M)",
			        kind, tok);
		r = -1;
	}
	free(dup);
	return r;
}

static int parse_tap(const char *spec, struct vmm_net_conf *c)
{
	const char *comma = strchr(spec, ',');
	size_t len = comma ? (size_t)(comma - spec) : strlen(spec);
	char *dup, *save = NULL, *tok, opt[24];
	int r;

	if (!len || len >= sizeof(c->ifname)) {
		vmm_err("--net tap:IFNAME: the interface name must have 1 to %zu characters",
		        sizeof(c->ifname) - 1);
		return -1;
	}
	memcpy(c->ifname, spec, len);
	c->kind = VMM_NET_TAP;
	if (!comma)
		return 0;
	dup = strdup(comma + 1);
	r = dup ? 0 : -1;

	snprintf(opt, sizeof(opt), "tap:%s", c->ifname);
	for (tok = strtok_r(dup, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "vhost=on"))
			c->vhost = VMM_VHOST_ON;
		else if (!strcmp(tok, "vhost=off"))
			c->vhost = VMM_VHOST_OFF;
		else if (!strcmp(tok, "vhost=auto"))
			c->vhost = VMM_VHOST_AUTO;
		else if (!strncmp(tok, "mac=", 4))
			r = parse_mac(opt, tok + 4, c);
		else {
			vmm_err("--net %s: unknown option '%s' (vhost=on|off|auto, mac=M)", opt,
			        tok);
			r = -1;
		}
	}
	free(dup);
	return r;
}

static int parse_net(const char *spec, struct vmm_net_conf *c)
{
	if (!spec || !strcmp(spec, "none"))
		return 0;
	if (!strncmp(spec, "tap:", 4))
		return parse_tap(spec + 4, c);
	if (!strcmp(spec, "user") || !strncmp(spec, "user,", 5)) {
		c->kind = VMM_NET_USER;
		return spec[4] ? parse_user(spec + 5, c) : 0;
	}
	if (!strcmp(spec, "passt") || !strncmp(spec, "passt,", 6)) {
		c->kind = VMM_NET_USER; /* the same network, -p and options */
		c->passt = 1;
		return spec[5] ? parse_user(spec + 6, c) : 0;
	}
	vmm_err("--net '%s': expected none, tap:IFNAME[,vhost=on|off|auto][,mac=M] or "
	        "user|passt[,hostfwd=tcp:HOSTPORT-:GUESTPORT...][,host-loopback=on][,mtu=N]"
	        "[,mac=M]",
	        spec);
	return -1;
}

/* -p [HOSTADDR:]HOSTPORT:GUESTPORT[/udp], docker's form. Without HOSTADDR
 * the port is published on the host's IPv4 loopback only (docker
 * publishes on every address: here a VM's port reaches the network only
 * when asked); an empty one is 0.0.0.0. IPv6 only when named, [::1] or
 * [::], to the guest's IPv6 address: docker's [::] reaches a container's
 * IPv4 through its proxy, libslirp cannot, and a guest server on 0.0.0.0
 * alone would reset `curl localhost` (::1 first) instead of letting it
 * fall back to 127.0.0.1. */
static int parse_publish(const char *s, struct vmm_net_conf *c)
{
	const char *colon = host_end(s, s + strlen(s)), *port = s, *slash;
	struct vmm_net_fwd f = { .family = AF_INET, .host_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (!colon)
		goto bad;
	if (strchr(colon + 1, ':')) { /* HOSTADDR:, empty for every address */
		if (colon == s)
			f.host_addr.s_addr = htonl(INADDR_ANY);
		else if (parse_host(s, (size_t)(colon - s), &f))
			goto bad;
		port = colon + 1;
		colon = strchr(port, ':');
	}
	slash = strchr(colon, '/');
	if (slash && !strcmp(slash, "/udp"))
		f.udp = 1;
	else if (slash && strcmp(slash, "/tcp"))
		goto bad;
	if (parse_port(port, (size_t)(colon - port), &f.host_port) ||
	    parse_port(colon + 1, slash ? (size_t)(slash - colon - 1) : strlen(colon + 1),
	               &f.guest_port))
		goto bad;
	return add_fwd(c, &f, "-p");
bad:
	vmm_err("-p '%s': expected [HOSTADDR:]HOSTPORT:GUESTPORT[/udp], ports 1-65535, "
	        "HOSTADDR IPv4 or IPv6 in brackets ([::1])",
	        s);
	return -1;
}

static int parse_ip(const char *ip, const char *gw, struct vmm_net_conf *c)
{
	const char *slash = ip ? strchr(ip, '/') : NULL;
	char *end;

	if (ip) {
		c->prefix = slash ? (int)strtol(slash + 1, &end, 10) : 24;
		if (parse_addr(ip, slash ? (size_t)(slash - ip) : strlen(ip), &c->ip) ||
		    (slash && (*end || end == slash + 1 || c->prefix < 1 || c->prefix > 32))) {
			vmm_err("--ip '%s': expected an IPv4 address with a prefix length, "
			        "like 10.0.0.2/24",
			        ip);
			return -1;
		}
	}
	if (gw && parse_addr(gw, strlen(gw), &c->gw)) {
		vmm_err("--gw '%s': expected an IPv4 address, like 10.0.0.1", gw);
		return -1;
	}
	if (gw && !ip) {
		vmm_err("--gw needs --ip (without --ip the guest asks DHCP)");
		return -1;
	}
	return 0;
}

int vmm_net_conf_parse(const struct vmm_opts *o, struct vmm_net_conf *c)
{
	memset(c, 0, sizeof(*c));
	if (parse_net(o->net, c) || parse_ip(o->ip, o->gw, c))
		return -1;
	for (int i = 0; i < o->nports; i++)
		if (parse_publish(o->ports[i], c))
			return -1;
	if (o->nports && c->kind == VMM_NET_NONE && !o->net)
		c->kind = VMM_NET_USER; /* -p alone: rootless networking, as docker */
	if (!c->mtu)
		c->mtu = c->kind == VMM_NET_USER ? UK_VIRTIO_NET_MTU_USER : UK_VIRTIO_NET_MTU;
	if (c->nfwd && c->kind != VMM_NET_USER) {
		vmm_err("-p/hostfwd forward host ports with --net user only; with a TAP "
		        "device reach the guest at its address");
		return -1;
	}
	if ((o->ip || o->gw) && c->kind == VMM_NET_NONE) {
		vmm_err("--ip/--gw need a network (--net tap:IF or --net user)");
		return -1;
	}
	for (int i = 0; c->passt && i < c->nfwd; i++) {
		if (c->fwd[i].family == AF_INET6) {
			vmm_err("--net passt: IPv6 forwards ([::1]:...) need --net user (passt "
			        "runs IPv4 only here)");
			return -1;
		}
	}
	return 0;
}
