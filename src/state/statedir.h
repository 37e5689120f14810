/* statedir.h: the state directory: reached through the root, created 0700, ours alone, held open. */
#ifndef STATEDIR_H
#define STATEDIR_H

#include "base/base.h"
#include "host/host.h"

/*
 * Anyone who could write to the state directory could plant a "backup"
 * that revert would install, or a watch-list entry that --reapply would
 * patch; so the directory must be ours alone, and so must the way to it.
 * Once open, everything inside is reached from its descriptor without
 * following links; only libgit2 takes a path (STATE/store.git), which the
 * checks make safe: nobody else can change a component of it.
 */
struct statedir {
	int	 fd;	/* O_RDONLY|O_DIRECTORY; -1 when it does not exist (read mode) */
	char	*path;	/* its canonical path as the host sees it */
};

#define STATEDIR_INIT { -1, NULL }

enum statedir_mode {
	STATEDIR_READ,		/* a missing directory is no error: fd stays -1 */
	STATEDIR_CREATE		/* make it (0700) and its missing parents (0755) */
};

/*
 * Open the state directory inner, found in root (fsroot_locate: every
 * directory on the way passes the trust rule). It must be a directory, not
 * a symbolic link, owned by the effective user and writable by nobody else.
 * Returns 0, or -1 with e saying what is wrong and what to do.
 * Release with statedir_close in every case.
 */
int	statedir_open(struct statedir *sd, struct fsroot *root, const char *inner,
	    enum statedir_mode mode, struct err *e);
void	statedir_close(struct statedir *sd);

/*
 * The directory rel (relative, "/"-separated) below the state directory,
 * each component opened with O_NOFOLLOW|O_DIRECTORY; with create, missing
 * ones are made 0700 and made durable in their parent. Returns a descriptor
 * the caller closes, or -1 with e set and errno kept (ENOENT: missing).
 */
int	statedir_subdir(const struct statedir *sd, const char *rel, int create, struct err *e);

#endif
