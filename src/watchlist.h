/* watchlist.h: the files the administrator asked to keep patched, readable without libgit2. */
#ifndef WATCHLIST_H
#define WATCHLIST_H

#include <stddef.h>

#include "errmsg.h"

/*
 * STATE/watchlist holds one real path per line: apply adds a file when it
 * patches it, revert removes it. The git store remains the record of what
 * happened; this list answers cheaply, without loading libgit2, which files
 * `apply --reapply` must look at after every package operation.
 */

/* Read the list; a missing list (or state directory) is an empty list. */
int	watchlist_read(char ***paths, size_t *n, const char *state_dir, struct err *e);

/*
 * Add (add != 0) or remove path, rewriting the list atomically. The caller
 * holds the store's lock, so two runs cannot lose each other's update.
 */
int	watchlist_update(const char *state_dir, const char *path, int add, struct err *e);

/* Is path in the list? */
int	watchlist_has(char *const *paths, size_t n, const char *path);

void	watchlist_free(char **paths, size_t n);

#endif
