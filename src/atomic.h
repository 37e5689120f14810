/* atomic.h: reading a module safely and replacing it all at once, or not at all. */
#ifndef ATOMIC_H
#define ATOMIC_H

#include <sys/stat.h>

#include "buf.h"
#include "errmsg.h"

/* Larger than any real Bucardo.pm (5.6.0 is 390 KiB) by a wide margin. */
#define ATOMIC_SIZE_LIMIT	(8u * 1024 * 1024)

struct target {
	char		*path;		/* as named by the user or by discovery */
	char		*real;		/* symlinks resolved: the file that is replaced */
	int		 fd;		/* O_RDONLY|O_NOFOLLOW on real, kept open */
	struct stat	 st;		/* fstat of fd when it was read */
	struct buf	 content;	/* the bytes read */
};

#define TARGET_INIT { NULL, NULL, -1, { 0 }, BUF_INIT }

/*
 * Resolve path (following symlinks, so the link itself is kept), open the
 * real file without following links, refuse anything but a regular file or a
 * file over ATOMIC_SIZE_LIMIT, and read it whole. On failure t is left as
 * TARGET_INIT; atomic_release may be called either way, and twice.
 */
int	atomic_open(struct target *t, const char *path, struct err *e);
void	atomic_release(struct target *t);

struct staged {
	char	*tmp;	/* temporary file beside t->real, NULL once renamed or removed */
	int	 fd;	/* open on tmp until commit or abort, -1 after */
};

#define STAGED_INIT { NULL, -1 }

/*
 * Remove the temporary files a killed run left beside the real file (ours by
 * name, and not locked by a live run). Write data to a new temporary file
 * (O_EXCL, mode 0600 under a tight umask, flock'd while it lives) named
 * .BASENAME.bucardo-aiven.XXXXXX in the real file's directory; write
 * every byte, then give it the original's owner, group, mode and extended
 * attributes (the SELinux label included; security.ima and security.evm,
 * which hash the old content, excepted); fsync. The file is left in place for
 * checks (perl -c) until commit or abort. On failure nothing is left behind.
 */
int	atomic_stage(struct staged *s, const struct target *t,
	    const void *data, size_t len, struct err *e);

/*
 * Replace t->real by the staged file: refuse when the original changed since
 * it was read (device, inode, size, mtime, ctime), became a symlink, or
 * t->path now resolves elsewhere; rename over it, fsync the directory. On
 * failure the original is untouched and the staged file removed, except when
 * only the final directory fsync fails: then the new file is in place, -1 is
 * returned and the message says so.
 */
int	atomic_commit(struct staged *s, const struct target *t, struct err *e);

/* Remove the staged file, if any. Safe to call twice. */
void	atomic_abort(struct staged *s);

#endif
