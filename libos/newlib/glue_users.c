/*
 * newlib glue: the user and group databases, read from /etc/passwd and
 * /etc/group of the image's root filesystem as glibc's "files" service
 * does. Without those files the application still learns who it is: uid
 * and gid 0 are "root", as in a container without /etc/passwd.
 *
 * Also popen/pclose, which need a second process: they fail with ENOSYS and
 * say so on stderr, like fork and execve.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uk/print.h>

#define LINE_MAX_LEN 1024
#define MAX_MEMBERS 64

/* Split a colon-separated line into at most n fields, in place. */
static int split(char *line, char **f, int n)
{
	int k = 0;

	line[strcspn(line, "\n")] = 0;
	f[k++] = line;
	for (char *p = line; *p && k < n; p++) {
		if (*p == ':') {
			*p = 0;
			f[k++] = p + 1;
		}
	}
	return k;
}

/* The line of path whose field key (0 = name, 2 = id) matches. */
static int find_line(const char *path, int key, const char *name, long id, char *buf, size_t len,
                     char **f, int nf)
{
	FILE *fp = fopen(path, "r");
	int found = 0;

	if (!fp)
		return 0;
	while (!found && fgets(buf, (int)len, fp)) {
		if (buf[0] == '#' || split(buf, f, nf) < nf)
			continue;
		found = key == 0 ? !strcmp(f[0], name) : strtol(f[2], NULL, 10) == id;
	}
	fclose(fp);
	return found;
}

static int fill_pw(struct passwd *pw, char **f)
{
	pw->pw_name = f[0];
	pw->pw_passwd = f[1];
	pw->pw_uid = (uid_t)strtoul(f[2], NULL, 10);
	pw->pw_gid = (gid_t)strtoul(f[3], NULL, 10);
	pw->pw_gecos = pw->pw_comment = f[4];
	pw->pw_dir = f[5];
	pw->pw_shell = f[6];
	return 0;
}

static int lookup_pw(const char *name, long uid, struct passwd *pw, char *buf, size_t len)
{
	char *f[7];

	if (find_line("/etc/passwd", name ? 0 : 2, name, uid, buf, len, f, 7))
		return fill_pw(pw, f);
	if ((name && !strcmp(name, "root")) || (!name && uid == 0)) {
		uk_snprintf(buf, len, "root:x:0:0:root:/root:/bin/sh");
		split(buf, f, 7);
		return fill_pw(pw, f);
	}
	return -1;
}

static struct passwd *pw_static(const char *name, long uid)
{
	static struct passwd pw;
	static char buf[LINE_MAX_LEN];

	return lookup_pw(name, uid, &pw, buf, sizeof(buf)) ? NULL : &pw;
}

struct passwd *getpwnam(const char *name) { return pw_static(name, -1); }

struct passwd *getpwuid(uid_t uid) { return pw_static(NULL, uid); }

static int pw_r(const char *name, long uid, struct passwd *pw, char *buf, size_t len,
                struct passwd **res)
{
	*res = lookup_pw(name, uid, pw, buf, len) ? NULL : pw;
	return 0; /* not found is not an error (POSIX) */
}

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	return pw_r(name, -1, pw, buf, len, res);
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	return pw_r(NULL, uid, pw, buf, len, res);
}

static int fill_gr(struct group *gr, char **f, char **mem)
{
	int n = 0;

	gr->gr_name = f[0];
	gr->gr_passwd = f[1];
	gr->gr_gid = (gid_t)strtoul(f[2], NULL, 10);
	for (char *m = strtok(f[3], ","); m && n < MAX_MEMBERS; m = strtok(NULL, ","))
		mem[n++] = m;
	mem[n] = NULL;
	gr->gr_mem = mem;
	return 0;
}

static struct group *gr_static(const char *name, long gid)
{
	static struct group gr;
	static char buf[LINE_MAX_LEN];
	static char *mem[MAX_MEMBERS + 1];
	char *f[4];

	if (find_line("/etc/group", name ? 0 : 2, name, gid, buf, sizeof(buf), f, 4))
		return fill_gr(&gr, f, mem), &gr;
	if ((name && !strcmp(name, "root")) || (!name && gid == 0)) {
		uk_snprintf(buf, sizeof(buf), "root:x:0:");
		split(buf, f, 4);
		return fill_gr(&gr, f, mem), &gr;
	}
	return NULL;
}

struct group *getgrnam(const char *name) { return gr_static(name, -1); }

struct group *getgrgid(gid_t gid) { return gr_static(NULL, gid); }

FILE *popen(const char *cmd, const char *mode)
{
	(void)mode;
	uk_pr("popen(\"%s\"): a unikernel runs one program; there is no shell to start another",
	      cmd ? cmd : "");
	errno = ENOSYS;
	return NULL;
}

int pclose(FILE *f)
{
	(void)f;
	errno = ECHILD;
	return -1;
}
