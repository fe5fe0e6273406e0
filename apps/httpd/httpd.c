/*
 * A small HTTP/1.1 static-file server: GET and HEAD, keep-alive (and
 * pipelined requests), Content-Length, 404/403/400/405/413, one thread per
 * connection. Files are read and written with read()/write() (no sendfile).
 * The same source builds as a uk image and as a Linux program (the
 * benchmark compares the two).
 *
 *   httpd [-p PORT] [-r ROOT] [-v]     defaults: port 80, root "/"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define REQ_MAX 8192
#define FILE_CHUNK 65536

static const char *root = "/";
static int verbose;

struct conn {
	int fd;
	char req[REQ_MAX + 1];
	size_t have; /* bytes of req filled (pipelined requests included) */
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w, n -= (size_t)w;
	}
	return 0;
}

static const char *mime(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".htm", "text/html; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".css", "text/css" },
		{ ".js", "application/javascript" },
		{ ".json", "application/json" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".gif", "image/gif" },
		{ ".svg", "image/svg+xml" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* A status line with a short text body (or none for HEAD). */
static int reply_error(int fd, int code, const char *text, int head, int keep)
{
	char buf[512];
	int n =
	    snprintf(buf, sizeof(buf),
	             "HTTP/1.1 %d %s\r\nServer: uk-httpd\r\nContent-Type: text/plain\r\n"
	             "Content-Length: %zu\r\nConnection: %s\r\n\r\n%s\n",
	             code, text, strlen(text) + 1, keep ? "keep-alive" : "close", head ? "" : text);

	if (head)
		n -= (int)strlen(text) + 1;
	return write_all(fd, buf, (size_t)n);
}

/* "%41" and friends; 0, or -1 for a malformed escape or a NUL. */
static int url_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			unsigned v;
			if (!s[1] || !s[2] || sscanf(s + 1, "%2x", &v) != 1 || !v)
				return -1;
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return 0;
}

/* The file a request path names under root, refusing ".." components. */
static int map_path(const char *target, char *out, size_t size)
{
	char path[1024];
	const char *q = strchr(target, '?');
	size_t len = q ? (size_t)(q - target) : strlen(target);

	if (target[0] != '/' || len >= sizeof(path))
		return -1;
	memcpy(path, target, len);
	path[len] = 0;
	if (url_decode(path))
		return -1;
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return -1;
	if (snprintf(out, size, "%s%s%s", root, root[strlen(root) - 1] == '/' ? path + 1 : path,
	             path[len - 1] == '/' ? "index.html" : "") >= (int)size)
		return -1;
	return 0;
}

static int send_file(int fd, const char *path, int head, int keep)
{
	char hdr[512], *buf;
	struct stat st;
	int f = open(path, O_RDONLY), n, r = 0;

	if (f < 0 || fstat(f, &st) || !S_ISREG(st.st_mode)) {
		if (f >= 0)
			close(f);
		return reply_error(fd, 404, "Not Found", head, keep);
	}
	n = snprintf(hdr, sizeof(hdr),
	             "HTTP/1.1 200 OK\r\nServer: uk-httpd\r\nContent-Type: %s\r\n"
	             "Content-Length: %lld\r\nConnection: %s\r\n\r\n",
	             mime(path), (long long)st.st_size, keep ? "keep-alive" : "close");
	buf = malloc(FILE_CHUNK);
	if (!buf) {
		close(f);
		return -1;
	}
	/* The header and the first chunk leave in one write. */
	ssize_t got = head ? 0 : read(f, buf, FILE_CHUNK);
	struct iovec iov[2] = { { hdr, (size_t)n }, { buf, got > 0 ? (size_t)got : 0 } };
	if (writev(fd, iov, 2) != (ssize_t)(iov[0].iov_len + iov[1].iov_len))
		r = -1; /* a short write on a socket: the peer went away */
	while (!r && !head && got == FILE_CHUNK && (got = read(f, buf, FILE_CHUNK)) > 0)
		r = write_all(fd, buf, (size_t)got);
	free(buf);
	close(f);
	return r;
}

static const char *header(const char *hdrs, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = hdrs; p && *p; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL)
		if (!strncasecmp(p, name, len) && p[len] == ':')
			return p + len + 1;
	return NULL;
}

/* HTTP/1.1 keeps connections unless told "close"; 1.0 closes them unless
 * told "keep-alive". */
static int keep_alive(const char *version, const char *conn)
{
	int v11 = strcmp(version, "HTTP/1.0") != 0;

	if (!conn)
		return v11;
	conn += strspn(conn, " \t");
	if (!strncasecmp(conn, "close", 5))
		return 0;
	if (!strncasecmp(conn, "keep-alive", 10))
		return 1;
	return v11;
}

/* Serve the request at the start of c->req (its end at hdr_end). Returns
 * 1 to keep the connection, 0 to close it. */
static int serve(struct conn *c, char *end)
{
	char method[16], target[2048], version[16], file[1400];
	const char *hdrs;
	int keep, head;

	end[2] = 0; /* keep the last header's CRLF for header() */
	if (sscanf(c->req, "%15s %2047s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		reply_error(c->fd, 400, "Bad Request", 0, 0);
		return 0;
	}
	hdrs = strstr(c->req, "\r\n") + 2;
	keep = keep_alive(version, header(hdrs, "Connection"));
	head = !strcmp(method, "HEAD");
	if (verbose)
		fprintf(stderr, "httpd: %s %s\n", method, target);
	if (!head && strcmp(method, "GET"))
		return !reply_error(c->fd, 405, "Method Not Allowed", 0, keep) && keep;
	if (header(hdrs, "Content-Length") || header(hdrs, "Transfer-Encoding")) {
		reply_error(c->fd, 400, "Bad Request", head, 0); /* GET with a body */
		return 0;
	}
	if (map_path(target, file, sizeof(file)))
		return !reply_error(c->fd, 403, "Forbidden", head, keep) && keep;
	return !send_file(c->fd, file, head, keep) && keep;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	char *end;
	ssize_t r;

	for (;;) {
		c->req[c->have] = 0;
		end = strstr(c->req, "\r\n\r\n");
		if (end) {
			size_t used = (size_t)(end + 4 - c->req);
			if (!serve(c, end))
				break;
			memmove(c->req, c->req + used, c->have - used); /* pipelined */
			c->have -= used;
			continue;
		}
		if (c->have == REQ_MAX) {
			reply_error(c->fd, 431, "Request Header Fields Too Large", 0, 0);
			break;
		}
		r = read(c->fd, c->req + c->have, REQ_MAX - c->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		c->have += (size_t)r;
	}
	close(c->fd);
	free(c);
	return NULL;
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0) {
		perror("httpd: socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024)) {
		fprintf(stderr, "httpd: port %d: %s\n", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	int port = 80, opt, lfd, one = 1;
	pthread_attr_t attr;

	while ((opt = getopt(argc, argv, "p:r:v")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'r': root = optarg; break;
		case 'v': verbose = 1; break;
		default: fprintf(stderr, "usage: httpd [-p PORT] [-r ROOT] [-v]\n"); return 2;
		}
	}
	if ((lfd = listen_on(port)) < 0)
		return 1;
	printf("httpd: serving %s on port %d\n", root, port);
	fflush(stdout);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (;;) {
		struct conn *c;
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				perror("httpd: accept");
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!(c = calloc(1, sizeof(*c))) ||
		    (c->fd = fd, pthread_create(&t, &attr, conn_main, c))) {
			free(c);
			close(fd);
		}
	}
}
