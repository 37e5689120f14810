/* running.h: whether a Bucardo daemon is running, and since when. */
#ifndef RUNNING_H
#define RUNNING_H

#include <sys/types.h>
#include <time.h>

#include "base/base.h"
#include "fsroot.h"

struct bucardo_daemon {
	pid_t	pid;		/* of the MCP process (bucardo.mcp.pid) */
	time_t	started;	/* process start time, from /proc */
};

/*
 * Read PIDDIR/bucardo.mcp.pid (piddir a path inside root; the file a
 * regular one, read without following a link or blocking: fsroot_read with
 * FS_ANY_OWNER) and check the process is alive and is Bucardo (its
 * /proc/PID/cmdline). Returns 1 when running (d filled), 0 when not (no
 * pid file, stale pid), -1 on error.
 */
int	running_bucardo(struct fsroot *root, const char *piddir, struct bucardo_daemon *d,
	    struct err *e);

#endif
