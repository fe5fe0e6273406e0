/*
 * The network an engine prepared: config.json names a network namespace
 * (podman's netavark, CNI) holding a veth with the container's address
 * and a default route. `create` enters it, makes a TAP there and joins TAP
 * and veth as Kata Containers does: a tc ingress qdisc on each, whose
 * filter redirects every frame to the other one's egress (`mirred`), so
 * what reaches the veth goes to the guest and what the guest sends leaves
 * by the veth, whatever its addresses. The guest takes the veth's address
 * and gateway (ukrun --ip/--gw); the namespace's own stack never sees a
 * frame. So the engine's port publishing (its DNAT to that address), its
 * bridge and its firewall work unchanged. The commands are iproute2's
 * (`ip -j`'s JSON read with jansson, `tc`), run as the engines' own
 * plugins run them.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"
#include "vmm.h"

#define OUT_MAX (256u << 10)

/* In a child: iproute2's argv[0] ("ip" or "tc") from /usr/sbin, /sbin or
 * PATH. */
static void exec_iproute(const char *const *argv)
{
	char path[64];

	snprintf(path, sizeof(path), "/usr/sbin/%s", argv[0]);
	execv(path, (char *const *)argv);
	snprintf(path, sizeof(path), "/sbin/%s", argv[0]);
	execv(path, (char *const *)argv);
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "%s: %s (iproute2 is needed for the container's network)", argv[0],
	        strerror(errno));
	_exit(127);
}

/* A clean-up command whose failure means only that there was nothing to
 * clean: its output is dropped. */
static void iproute_try(const char *const *argv)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), status;
	pid_t pid = fork();

	if (!pid) {
		dup2(null, 1);
		dup2(null, 2);
		exec_iproute(argv);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (null >= 0)
		close(null);
}

/* Both of a child's pipes read until they end, as they fill (a child
 * blocked writing a full stderr pipe while we wait for its stdout's end
 * would never end): stdout into buf (at most OUT_MAX), stderr's first
 * bytes into err. */
static void read_both(int fo, int fe, char *buf, char *err, size_t errlen)
{
	struct pollfd p[2] = { { .fd = fo, .events = POLLIN }, { .fd = fe, .events = POLLIN } };
	size_t n = 0, ne = 0;
	char drop[512];

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t k;
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (i == 0)
				k = n < OUT_MAX ? read(fo, buf + n, OUT_MAX - n)
				                : read(fo, drop, sizeof(drop));
			else
				k = ne + 1 < errlen ? read(fe, err + ne, errlen - 1 - ne)
				                    : read(fe, drop, sizeof(drop));
			if (k <= 0 && !(k < 0 && errno == EINTR))
				p[i].fd = -1;
			else if (k > 0 && i == 0 && n < OUT_MAX)
				n += (size_t)k;
			else if (k > 0 && i == 1 && ne + 1 < errlen)
				ne += (size_t)k;
		}
	}
	err[ne] = 0;
}

/* Run an iproute2 command; its stdout into *out (NULL: discarded). 0, or
 * -1 with its stderr logged. */
static int iproute(const struct oci_rt *rt, const char *const *argv, char **out)
{
	int po[2], pe[2], status;
	char *buf = calloc(1, OUT_MAX + 1), err[512] = "";
	pid_t pid;

	if (!buf || pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		free(buf);
		oci_err(rt, "%s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (!(pid = fork())) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		exec_iproute(argv);
	}
	close(po[1]);
	close(pe[1]);
	if (pid > 0)
		read_both(po[0], pe[0], buf, err, sizeof(err));
	close(po[0]);
	close(pe[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		err[strcspn(err, "\n")] = 0;
		oci_err(rt, "network: '%s %s %s ...' failed: %s", argv[0], argv[1] ? argv[1] : "",
		        argv[1] && argv[2] ? argv[2] : "", *err ? err : strerror(errno));
		free(buf);
		return -1;
	}
	if (out)
		*out = buf;
	else
		free(buf);
	return 0;
}

/* A link's first IPv4 address (an addr_info entry), or NULL. */
static json_t *ipv4_of(json_t *link)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(link, "addr_info"), i, v)
	{
		const char *family = json_string_value(json_object_get(v, "family"));
		if (family && !strcmp(family, "inet"))
			return v;
	}
	return NULL;
}

/* The first interface with an IPv4 address other than loopback: its
 * name, address/prefix, MTU and MAC address. */
static int find_veth(const struct oci_rt *rt, struct oci_net *net)
{
	/* (not -4, which leaves the link's MAC address out) */
	static const char *const cmd[] = { "ip", "-j", "addr", "show", NULL };
	char *out;
	json_t *a, *l, *ai;
	size_t i;
	int r = -1;

	if (iproute(rt, cmd, &out))
		return -1;
	a = json_loads(out, 0, NULL);
	free(out);
	json_array_foreach(a, i, l)
	{
		const char *name = json_string_value(json_object_get(l, "ifname"));
		const char *addr, *mac = json_string_value(json_object_get(l, "address"));
		json_int_t len, mtu = json_integer_value(json_object_get(l, "mtu"));
		ai = ipv4_of(l);
		addr = json_string_value(json_object_get(ai, "local"));
		len = json_integer_value(json_object_get(ai, "prefixlen"));
		if (!name || !addr || !strcmp(name, "lo") || strlen(name) >= sizeof(net->veth))
			continue;
		snprintf(net->veth, sizeof(net->veth), "%s", name);
		snprintf(net->ip, sizeof(net->ip), "%s/%d", addr, (int)len);
		net->mtu = mtu > 0 ? (int)mtu : 1500;
		if (mac && strlen(mac) == 17) /* ukrun checks it */
			snprintf(net->mac, sizeof(net->mac), "%s", mac);
		r = 0;
		break;
	}
	json_decref(a);
	if (r)
		oci_err(rt, "network namespace: no interface with an IPv4 address (the engine "
		            "sets up a veth there; use --network none for none)");
	return r;
}

static void find_gateway(const struct oci_rt *rt, struct oci_net *net)
{
	static const char *const cmd[] = { "ip", "-j", "-4", "route", "show", "default", NULL };
	const char *gw;
	char *out;
	json_t *a;

	net->gw[0] = 0;
	if (iproute(rt, cmd, &out))
		return;
	a = json_loads(out, 0, NULL);
	free(out);
	gw = json_string_value(json_object_get(json_array_get(a, 0), "gateway"));
	if (gw && strlen(gw) < sizeof(net->gw))
		snprintf(net->gw, sizeof(net->gw), "%s", gw);
	json_decref(a);
}

/* Every frame arriving on from leaves by to. */
static int redirect(const struct oci_rt *rt, const char *from, const char *to)
{
	const char *const qdisc[] = { "tc", "qdisc", "add", "dev", from, "ingress", NULL };
	const char *const filter[] = { "tc",     "filter", "add",      "dev", from,
		                       "parent", "ffff:",  "protocol", "all", "u32",
		                       "match",  "u32",    "0",        "0",   "action",
		                       "mirred", "egress", "redirect", "dev", to,
		                       NULL };

	return iproute(rt, qdisc, NULL) || iproute(rt, filter, NULL) ? -1 : 0;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int oci_net_join(const struct oci_rt *rt, const char *id, const char *netns, struct oci_net *net)
{
	char mtu[16];
	int fd;

	memset(net, 0, sizeof(*net));
	if ((fd = open(netns, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNET)) {
		oci_err(rt, "network namespace %s: %s", netns, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (find_veth(rt, net))
		return -1;
	find_gateway(rt, net);
	/* Named after the container (two in one namespace, a restart, must
	 * not meet). The guest takes the veth's MAC address, as Kata's do:
	 * what the engine reports (podman inspect's MacAddress) and what
	 * peers learn are the same. */
	snprintf(net->tap, sizeof(net->tap), "uk%08x", name_hash(id));
	snprintf(mtu, sizeof(mtu), "%d", net->mtu);
	{
		/* What an earlier container of this name left in the namespace
		 * (a persistent TAP, the veth's ingress redirect: a restart in
		 * a pod's namespace) goes first; the namespace's end takes the
		 * last container's. */
		const char *const del_tap[] = { "ip", "link", "del", "dev", net->tap, NULL };
		const char *const del_qdisc[] = { "tc",      "qdisc",   "del", "dev",
			                          net->veth, "ingress", NULL };
		iproute_try(del_tap);
		iproute_try(del_qdisc);
	}
	{
		const char *const add[] = { "ip",   "tuntap", "add",      "dev", net->tap,
			                    "mode", "tap",    "vnet_hdr", NULL };
		const char *const up[] = { "ip",  "link", "set", "dev", net->tap,
			                   "mtu", mtu,    "up",  NULL };
		if (iproute(rt, add, NULL) || iproute(rt, up, NULL) ||
		    redirect(rt, net->veth, net->tap) || redirect(rt, net->tap, net->veth))
			return -1;
	}
	oci_log(rt, "debug", "network: %s (%s, %s, gateway %s) joined to %s by tc mirred",
	        net->veth, net->ip, *net->mac ? net->mac : "no MAC address",
	        *net->gw ? net->gw : "none", net->tap);
	return 0;
}
