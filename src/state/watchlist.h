/* watchlist.h: the files the administrator asked to keep patched, readable without libgit2. */
#ifndef WATCHLIST_H
#define WATCHLIST_H

#include <stddef.h>

#include "base/base.h"
#include "engine/engine.h"
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
 * One listed file: its path inside the root, and what apply wrote there, so
 * that --reapply writes the same again after a package upgrade. A line is
 * PATH, then optionally TAB "function=NAME" and TAB "form=plain|guarded";
 * lists written before those were recorded hold the path alone.
 */
struct watch_entry {
	char		*path;
	char		*function;	/* NULL: not recorded */
	enum rule_form	 form;		/* RULE_FORMS: not recorded */
};

/*
 * Read the list of an open state directory; none (sd->fd -1) or no list
 * is an empty list. The file must be a regular file, read without
 * following a link or blocking. *list is the caller's (watchlist_free).
 */
int	watchlist_read(struct watch_entry **list, size_t *n, const struct statedir *sd,
	    struct err *e);

/*
 * Add entry (add != 0; a listed path gets the entry's function and form) or
 * remove the path, rewriting the list atomically (atomic_write_at). The
 * caller holds the store's lock, so two runs cannot lose each other's
 * update. A path holding a tab or a newline cannot be listed.
 */
int	watchlist_update(const struct statedir *sd, const struct watch_entry *entry, int add,
	    struct err *e);

/* The entry for path, or NULL. */
const struct watch_entry	*watchlist_find(const struct watch_entry *list, size_t n,
				    const char *path);

void	watchlist_free(struct watch_entry *list, size_t n);

#endif
