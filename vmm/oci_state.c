/*
 * A container's state under the runtime's root: ROOT/ID/state.json (what
 * `create` learnt: the VM process's pid and start time, the bundle, the
 * annotations, whether `start` ran), beside the FIFO `start` opens. The
 * status is never stored: it is read off the process each time (alive and
 * not started: created; alive and started: running; else stopped), so a VM
 * that ended or was killed is stopped without anyone telling the root.
 * And the runtime's log, in the text or JSON lines conmon and containerd
 * read back when a command fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "vmm.h"

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static void log_line(const struct oci_rt *rt, const char *level, const char *msg)
{
	char t[40], *line = NULL;
	int fd;

	if (!rt->log)
		return;
	fd = open(rt->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	now_rfc3339(t, sizeof(t));
	if (rt->log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", t);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s && asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
		json_decref(o);
	} else if (asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", t, level, msg) < 0) {
		line = NULL;
	}
	if (line && write(fd, line, strlen(line)) < 0) {
		/* nowhere left to say it */
	}
	free(line);
	close(fd);
}

void oci_log(const struct oci_rt *rt, const char *level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!strcmp(level, "debug") && !rt->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* conmon reads the runtime's errors from the log; stderr is for a
	 * person running it by hand and for containerd's shim. */
	if (strcmp(level, "debug") && strcmp(level, "info"))
		fprintf(stderr, "ukrun: %s%s\n", strcmp(level, "error") ? "note: " : "", msg);
	log_line(rt, level, msg);
}

int oci_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > 255 || !strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	if (!strcmp(id, "images")) /* the image cache's directory */
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i && strchr("_.+-", c))))
			return 0;
	}
	return 1;
}

int oci_dir(const struct oci_rt *rt, const char *id, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", rt->root, id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int state_path(const struct oci_rt *rt, const char *id, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s/state.json", rt->root, id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int oci_state_write(const struct oci_rt *rt, const struct oci_state *st)
{
	char path[4200], tmp[4300];
	json_t *o, *ann = NULL;
	int r = -1;

	if (st->annotations)
		ann = json_loads(st->annotations, 0, NULL);
	o = json_pack("{s:s, s:s, s:I, s:I, s:b, s:s, s:o}", "id", st->id, "bundle", st->bundle,
	              "pid", (json_int_t)st->pid, "start_time", (json_int_t)st->start_time,
	              "started", st->started, "created", st->created, "annotations",
	              ann ? ann : json_object());
	if (!o || state_path(rt, st->id, path, sizeof(path)))
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* Written beside and renamed: `state` never reads half a file. */
	if (json_dump_file(o, tmp, JSON_COMPACT) || rename(tmp, path)) {
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	json_decref(o);
	return r;
}

int oci_state_read(const struct oci_rt *rt, const char *id, struct oci_state *st)
{
	char path[4200];
	const char *bundle, *created;
	json_int_t pid, start;
	json_t *o, *ann = NULL;
	int started = 0, r = -1;

	memset(st, 0, sizeof(*st));
	if (state_path(rt, id, path, sizeof(path)) || !(o = json_load_file(path, 0, NULL)))
		return -1;
	if (json_unpack(o, "{s:s, s:I, s:I, s:b, s:s, s?o}", "bundle", &bundle, "pid", &pid,
	                "start_time", &start, "started", &started, "created", &created,
	                "annotations", &ann) ||
	    strlen(bundle) >= sizeof(st->bundle) || strlen(created) >= sizeof(st->created))
		goto out;
	snprintf(st->id, sizeof(st->id), "%s", id);
	snprintf(st->bundle, sizeof(st->bundle), "%s", bundle);
	snprintf(st->created, sizeof(st->created), "%s", created);
	st->pid = (pid_t)pid;
	st->start_time = (unsigned long long)start;
	st->started = started;
	st->annotations = ann ? json_dumps(ann, JSON_COMPACT) : NULL;
	r = 0;
out:
	json_decref(o);
	return r;
}

unsigned long long oci_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p, state;
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The name (field 2) may hold spaces and ')': the last ')' ends it. */
	if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %c", &state) != 1)
		return 0;
	if (state == 'Z' || state == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++)
		if ((p = strchr(p, ' ')))
			p++;
	if (!p || sscanf(p, "%llu", &t) != 1)
		return 0;
	return t;
}

enum oci_status oci_state_status(const struct oci_state *st)
{
	if (!st->pid)
		return OCI_CREATING;
	if (oci_proc_start_time(st->pid) != st->start_time)
		return OCI_STOPPED;
	return st->started ? OCI_RUNNING : OCI_CREATED;
}

const char *oci_status_name(enum oci_status s)
{
	static const char *const names[] = { "creating", "created", "running", "stopped" };

	return names[s];
}

/* Tell the caller what time it is, in the state's format. */
void oci_state_now(char *buf, size_t len) { now_rfc3339(buf, len); }

int oci_vm_pid_write(const char *dir, pid_t pid, unsigned long long start_time)
{
	char path[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vm.pid", dir);
	if (!(f = fopen(path, "we")))
		return -1;
	if (fprintf(f, "%d %llu\n", (int)pid, start_time) < 0) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

int oci_vm_pid_read(const char *dir, struct oci_state *st)
{
	char path[PATH_MAX + 16];
	int pid, n;
	FILE *f;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/vm.pid", dir);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fscanf(f, "%d %llu", &pid, &st->start_time);
	fclose(f);
	if (n != 2 || pid <= 0 || !st->start_time)
		return -1;
	st->pid = pid;
	return 0;
}

int oci_dir_lock(const char *dir, int wait)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	struct stat held, now;

	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* The directory may have gone between the open and the lock (a
	 * delete --force that held it), and another taken its name: the lock
	 * is good only if the path still names the directory locked. */
	if (fstat(fd, &held) || stat(dir, &now) || held.st_dev != now.st_dev ||
	    held.st_ino != now.st_ino) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}
