/* watchlist.h: the files the administrator asked to keep patched, readable without libgit2. */
#ifndef WATCHLIST_H
#define WATCHLIST_H

#include <stddef.h>

#include "errmsg.h"
#include "statedir.h"

/*
 * STATE/watchlist holds one path per line, as inside the root: apply adds a
 * file when it patches it, revert removes it. The git store remains the
 * record of what happened; this list answers cheaply, without loading
 * libgit2, which files `apply --reapply` must look at after every package
 * operation. It is trusted as far as the state directory is (statedir.h),
 * and each entry is still found through the root and judged again by the
 * trust rule whenever it is used.
 */

/*
 * Read the list of an open state directory; none (sd->fd -1) or no list
 * is an empty list. The file must be a regular file, read without
 * following a link or blocking. *paths is the caller's (watchlist_free).
 */
int	watchlist_read(char ***paths, size_t *n, const struct statedir *sd, struct err *e);

/*
 * Add (add != 0) or remove path, rewriting the list atomically
 * (atomic_write_at). The caller holds the store's lock, so two runs cannot
 * lose each other's update.
 */
int	watchlist_update(const struct statedir *sd, const char *path, int add, struct err *e);

/* Is path in the list? */
int	watchlist_has(char *const *paths, size_t n, const char *path);

void	watchlist_free(char **paths, size_t n);

#endif
