/* atomic.h: reading a file safely and replacing it whole, through its directory's descriptor. */
#ifndef ATOMIC_H
#define ATOMIC_H

#include <sys/stat.h>
#include <sys/uio.h>

#include "base/base.h"
#include "fsroot.h"

/* Larger than any real Bucardo.pm (5.6.0 is 390 KiB) by a wide margin. */
#define ATOMIC_SIZE_LIMIT	(8u * 1024 * 1024)

/*
 * Every file the tool writes is replaced the same way (STYLE.md point 7,
 * git's lockfile, libgit2's filebuf): a new file created beside it with
 * O_EXCL|O_NOFOLLOW in the directory's descriptor, written whole, given
 * its metadata through its own descriptor, fsynced, renamed within that
 * same directory descriptor, and the directory fsynced. A directory that
 * is renamed or swapped meanwhile changes nothing: the descriptor still
 * names the directory that was checked.
 */

struct target {
	char		*path;		/* as named by the user or by discovery (for messages) */
	char		*asked;		/* the path inside the root that was asked for */
	char		*inner;		/* the file inside the root, links resolved: the name
					   the store and the watch list keep */
	char		*real;		/* the same, as the host sees it */
	struct fsroot	*root;		/* borrowed: where asked is resolved again on commit */
	int		 dirfd;		/* the directory holding the file */
	char		*name;		/* the file's name in dirfd */
	int		 fd;		/* O_RDONLY|O_NOFOLLOW on the file, kept open */
	struct stat	 st;		/* fstat of fd when it was read */
	struct buf	 content;	/* the bytes read */
};

#define TARGET_INIT { NULL, NULL, NULL, NULL, NULL, -1, NULL, -1, { 0 }, BUF_INIT }

/*
 * Find asked (a path inside root) with fsroot_locate: links followed inside
 * the root, every directory and the file itself judged by the trust rule
 * (trust.h), a non-regular file refused before it is opened. Read it whole
 * (refusing more than ATOMIC_SIZE_LIMIT). path names it in messages.
 * Returns 0; FSROOT_UNTRUSTED when it fails the trust rule (tr says where,
 * e says it in words; nothing was read); -1 otherwise. t is the caller's
 * to release with atomic_release in every case.
 */
int	atomic_open(struct target *t, struct fsroot *root, const char *path, const char *asked,
	    struct trust_report *tr, struct err *e);
void	atomic_release(struct target *t);

struct staged {
	char	*tmp;		/* name of the new file in t->dirfd; NULL once renamed or removed */
	char	*tmp_host;	/* its path as the host sees it, for perl -c */
	int	 dirfd;		/* borrowed from the target */
	int	 fd;		/* open on tmp until commit or abort, -1 after */
};

#define STAGED_INIT { NULL, NULL, -1, -1 }

/*
 * Remove the temporary files a killed run left beside the file (ours by
 * name, and not locked by a live run); write data to a new temporary file
 * .NAME.bucardo-aiven.XXXXXX in the file's directory (O_EXCL|O_NOFOLLOW,
 * mode 0600, flock'd while it lives), every byte; give it the original's
 * owner, group, mode and extended attributes (the SELinux label included;
 * security.ima and security.evm, which hash the old content, excepted);
 * fsync. A file with more than one hard link is refused: the other names
 * would keep the old content. The file stays for checks (perl -c) until
 * commit or abort. On failure nothing is left behind.
 */
int	atomic_stage(struct staged *s, const struct target *t, const void *data, size_t len,
	    struct err *e);

/*
 * A new descriptor, read-only at offset 0, on the file fd is open on (the
 * target's t->fd, or a staged s->fd), opened as name in dirfd (t->dirfd
 * and t->name, or s->dirfd and s->tmp) without following a link, and
 * refused unless it is that same regular file: for another process (perl
 * -c) to read what was judged, whatever the path names by then. The
 * caller closes it. -1 with e set on failure.
 */
int	atomic_reopen(int dirfd, const char *name, int fd, const char *display, struct err *e);

/*
 * Replace the file by the staged one: refuse when the original changed
 * since it was read (device, inode, size, mtime, ctime), became a link, or
 * t->asked now leads elsewhere; renameat within t->dirfd; fsync it. On
 * failure the original is untouched and the staged file removed, except
 * when only the final directory fsync fails: then the new file is in place,
 * -1 is returned and the message says so.
 */
int	atomic_commit(struct staged *s, const struct target *t, struct err *e);

/* Remove the staged file, if any. Safe to call twice. */
void	atomic_abort(struct staged *s);

/* atomic_write_at flags. */
enum {
	ATOMIC_NOREPLACE = 1 << 0,	/* fail with EEXIST rather than replace name */
	/*
	 * The caller makes the new name durable with a barrier of its own
	 * (syncfs, for many files at once): dirfd is not fsynced. The
	 * content still is, before the name appears.
	 */
	ATOMIC_DEFER_DIRSYNC = 1 << 1,
	/*
	 * Nothing is fsynced: content and name become durable only at the
	 * caller's next barrier, and until then a power failure may leave
	 * the name with part of the content. Only for files whose name says
	 * what they must hold (git objects), checked when found again.
	 */
	ATOMIC_DEFER_SYNC = 1 << 2
};

/*
 * Make name in the directory dirfd hold exactly data, or leave it as it
 * was: a temporary file as atomic_stage makes it (owned by the caller, the
 * given mode), fsynced, renamed over name (with ATOMIC_NOREPLACE: linked
 * to it, so an existing file stays and EEXIST is returned), then dirfd
 * fsynced (see ATOMIC_DEFER_*). Temporary files a killed run left for name
 * are removed first. dir names the directory in messages. Returns 0, or -1
 * with e set and errno kept.
 */
int	atomic_write_at(int dirfd, const char *dir, const char *name, const void *data,
	    size_t len, mode_t mode, unsigned flags, struct err *e);

/* atomic_write_at of content given in pieces (written with writev), never copied together. */
int	atomic_writev_at(int dirfd, const char *dir, const char *name, const struct iovec *iov,
	    int iovcnt, mode_t mode, unsigned flags, struct err *e);

/*
 * Remove the stale temporary files of ours for name in dirfd (those whose
 * name starts with "." name, when prefix is set, else ".name."), leaving
 * alone any a live run holds locked. Never opens anything but a regular file.
 */
void	atomic_sweep(int dirfd, const char *name, int prefix);

#endif
