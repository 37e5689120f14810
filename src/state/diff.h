/* diff.h: unified diffs of a file's old and new bytes, made by libgit2. */
#ifndef DIFF_H
#define DIFF_H

#include <stddef.h>

#include "base/base.h"

/*
 * Append to out a unified diff (3 lines of context) from old to new, with
 * headers "--- a/PATH" and "+++ b/PATH" as git and patch(1) expect. Nothing
 * is appended when the two are equal.
 */
int	diff_unified(struct buf *out, const char *path, const void *old, size_t old_len,
	    const void *new, size_t new_len, struct err *e);

#endif
