/* diff.c: unified diffs of a file's old and new bytes, made by libgit2. */
#include <string.h>

#include "diff.h"
#include "git2lazy.h"

/*
 * Where the part of libgit2's output that patch(1) needs begins: its
 * "--- a/PATH" line. The "diff --git" and "index" lines before it describe
 * git objects that do not exist anywhere, so they are left out. A patch
 * without file headers (libgit2 reporting a binary difference) keeps all
 * but its first line.
 */
static size_t
diff_body(const char *p, size_t len)
{
	const char *line = p, *end = p + len, *nl;
	size_t first = 0;

	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if ((size_t)(end - line) >= 4 && memcmp(line, "--- ", 4) == 0)
			return (size_t)(line - p);
		if ((size_t)(end - line) >= 2 && memcmp(line, "@@", 2) == 0)
			return (size_t)(line - p);
		if (nl == NULL)
			break;
		if (first == 0)
			first = (size_t)(nl + 1 - p);
		line = nl + 1;
	}
	return first;
}

int
diff_unified(struct buf *out, const char *path, const void *old, size_t old_len,
    const void *new, size_t new_len, struct err *e)
{
	const struct git2_api *g;
	git_diff_options opts;
	git_patch *patch = NULL;
	git_buf text = GIT_BUF_INIT;
	const char *rel = path;
	size_t skip;
	int rc = -1;

	if (old_len == new_len && (old_len == 0 || memcmp(old, new, old_len) == 0))
		return 0;
	if ((g = git2_load(e)) == NULL)
		return -1;

	/* "a/usr/share/..." so that `patch -p1` run from / finds the file. */
	if (rel[0] == '/')
		rel++;
	if (g->git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION) < 0)
		return err_set(e, path, "cannot compute the difference: %s",
		    git2_message(g));
	opts.context_lines = 3;
	/* Perl sources may hold bytes libgit2 would take for binary. */
	opts.flags |= GIT_DIFF_FORCE_TEXT;

	if (g->git_patch_from_buffers(&patch, old, old_len, rel, new, new_len,
	    rel, &opts) < 0 || g->git_patch_to_buf(&text, patch) < 0) {
		err_set(e, path, "cannot compute the difference: %s",
		    git2_message(g));
		goto cleanup;
	}
	skip = text.size > 0 ? diff_body(text.ptr, text.size) : 0;
	if (text.size > skip && buf_append(out, text.ptr + skip, text.size - skip) == -1) {
		err_sys(e, path, "cannot hold the difference");
		goto cleanup;
	}
	rc = 0;

cleanup:
	g->git_buf_dispose(&text);
	g->git_patch_free(patch);
	return rc;
}
