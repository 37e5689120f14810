/* running.c: whether a Bucardo daemon is running, and since when. */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "fsroot.h"
#include "running.h"

#define RUNNING_PIDFILE		"bucardo.mcp.pid"
#define RUNNING_READ_LIMIT	65536
#define RUNNING_STARTTIME_FIELD	22	/* of /proc/PID/stat: proc(5) */

static int
running_read(struct buf *b, const char *path)
{
	int fd, rv, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	rv = buf_read_fd(b, fd, RUNNING_READ_LIMIT);
	saved = errno;
	close(fd);
	errno = saved;
	return rv;
}

/*
 * Bucardo writes "PID\nhow it was started\nwhen\n" (create_mcp_pid_file);
 * only the first line matters. Blanks around the number are allowed,
 * anything else is not a process id.
 */
static int
running_parse_pid(pid_t *pid, const char *text)
{
	const char *p = text;
	long long v = 0;

	p += strspn(p, " \t");
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -1;
	}
	p += strspn(p, " \t\r");
	if ((*p != '\n' && *p != '\0') || v == 0)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/*
 * The MCP retitles itself "Bucardo Master Control Program v5.6.0." (its
 * $0, so argv[0]); before that it is "perl /usr/bin/bucardo start".
 * Matching "bucardo" anywhere would also match any program that merely
 * lives below a directory of that name (this tool's own build tree), so a
 * pid reused by it would pass for the daemon.
 */
static int
running_is_bucardo(const struct buf *cmdline)
{
	const char *arg, *end, *base;

	if (cmdline->len == 0)
		return 0;
	if (strncmp(cmdline->data, "Bucardo", 7) == 0 &&
	    (cmdline->data[7] == '\0' || cmdline->data[7] == ' '))
		return 1;
	end = cmdline->data + cmdline->len;
	for (arg = cmdline->data; arg < end; arg += strlen(arg) + 1) {
		base = strrchr(arg, '/');
		base = base != NULL ? base + 1 : arg;
		if (strcmp(base, "bucardo") == 0)
			return 1;
	}
	return 0;
}

/* Boot time in seconds since the epoch, from the btime line of /proc/stat. */
static int
running_boot_time(time_t *btime, struct err *e)
{
	struct buf b = BUF_INIT;
	const char *p;
	char *end;
	long long v;
	int rv = -1;

	if (running_read(&b, "/proc/stat") == -1) {
		err_sys(e, "/proc/stat", "cannot read");
		goto cleanup;
	}
	p = b.data;
	while (p != NULL && strncmp(p, "btime ", 6) != 0)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	if (p == NULL || (v = strtoll(p + 6, &end, 10)) <= 0 || end == p + 6) {
		err_set(e, "/proc/stat", "no boot time (btime)");
		goto cleanup;
	}
	*btime = (time_t)v;
	rv = 0;
cleanup:
	buf_release(&b);
	return rv;
}

/*
 * Start time from field 22 of /proc/PID/stat (clock ticks after boot).
 * The command name in field 2 may hold spaces and parentheses, so fields
 * are counted from its last ')'. Returns 0 when the process is gone.
 */
static int
running_start_time(time_t *started, pid_t pid, struct err *e)
{
	struct buf b = BUF_INIT;
	char path[64], *p, *end;
	unsigned long long ticks;
	long hz;
	time_t btime;
	int field, rv = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (running_read(&b, path) == -1) {
		if (errno == ENOENT || errno == ESRCH)
			rv = 0;
		else
			err_sys(e, path, "cannot read");
		goto cleanup;
	}
	if ((p = strrchr(b.data, ')')) == NULL)
		goto garbled;
	p++;
	for (field = 3; field <= RUNNING_STARTTIME_FIELD; field++) {
		p += strspn(p, " ");
		if (field == RUNNING_STARTTIME_FIELD)
			break;
		p += strcspn(p, " ");
	}
	errno = 0;
	ticks = strtoull(p, &end, 10);
	if (end == p || errno != 0)
		goto garbled;
	if ((hz = sysconf(_SC_CLK_TCK)) <= 0) {
		err_set(e, NULL, "unknown clock tick rate");
		goto cleanup;
	}
	if (running_boot_time(&btime, e) == -1)
		goto cleanup;
	*started = btime + (time_t)(ticks / (unsigned long long)hz);
	rv = 1;
	goto cleanup;
garbled:
	err_set(e, path, "no start time in it");
cleanup:
	buf_release(&b);
	return rv;
}

int
running_bucardo(struct fsroot *root, const char *piddir, struct bucardo_daemon *d, struct err *e)
{
	struct buf pidpath = BUF_INIT, text = BUF_INIT, cmdline = BUF_INIT;
	char procpath[64];
	time_t started;
	pid_t pid;
	int rv = -1;

	d->pid = 0;
	d->started = 0;
	if (buf_printf(&pidpath, "%s/%s", piddir, RUNNING_PIDFILE) == -1) {
		err_sys(e, piddir, "cannot build the pid file's path");
		goto cleanup;
	}
	/*
	 * Bucardo's pid directory belongs to the bucardo user on Debian, who
	 * can put anything there: it is read without judging its owner, but
	 * only as a regular file, never through a link, never blocking.
	 */
	if (fsroot_read(root, pidpath.data, FS_ANY_OWNER, RUNNING_READ_LIMIT, &text, NULL,
	    e) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			rv = 0;
		goto cleanup;
	}

	/*
	 * A file that names no process says nothing either way; saying "not
	 * running" would let the caller skip telling the user to restart.
	 */
	if (text.len == 0 || running_parse_pid(&pid, text.data) == -1) {
		err_set(e, pidpath.data, "first line is not a process id");
		goto cleanup;
	}

	snprintf(procpath, sizeof(procpath), "/proc/%d/cmdline", (int)pid);
	if (running_read(&cmdline, procpath) == -1) {
		if (errno != ENOENT && errno != ESRCH)
			err_sys(e, procpath, "cannot read");
		else if (access("/proc/self/stat", F_OK) == -1)
			err_sys(e, "/proc", "not usable");
		else
			rv = 0;
		goto cleanup;
	}
	if (!running_is_bucardo(&cmdline)) {
		rv = 0;
		goto cleanup;
	}
	if ((rv = running_start_time(&started, pid, e)) == 1) {
		d->pid = pid;
		d->started = started;
	}
cleanup:
	buf_release(&cmdline);
	buf_release(&text);
	buf_release(&pidpath);
	return rv;
}
