/* adopt.c: recognising a file that a run stopped dead had already replaced. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rewrite.h"
#include "run.h"
#include "statedir.h"
#include "watchlist.h"
#include "adopt.h"

/*
 * Is rewriting orig for function, in some form, exactly the current content?
 * The forms tried: each layout's own, then each form. Sets *version then.
 */
static int
rewrites_to(const struct ruleset *rs, const char *function, const struct buf *orig,
    const struct buf *current, char **version)
{
	struct analysis a = ANALYSIS_INIT;
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	int same = 0, form;

	if (orig->len == 0 || rewrite_analyze(&a, rs, function, orig->data, orig->len, &e) == -1 ||
	    (a.state != MODULE_PRISTINE && a.state != MODULE_PARTIAL))
		goto done;
	for (form = RULE_FORMS; !same && form >= 0; form--) {
		buf_reset(&out);
		if (rewrite_apply(&out, &a, function, (enum rule_form)form, orig->data, orig->len,
		    &e) == 0 && out.len == current->len &&
		    memcmp(out.data, current->data, out.len) == 0) {
			same = 1;
			*version = a.version != NULL ? strdup(a.version) : NULL;
		}
	}
done:
	buf_release(&out);
	analysis_release(&a);
	return same;
}

/*
 * Is current what apply makes of orig, for the function given or the one
 * the current file calls (rewrite_analyze names it when it is another)?
 * Sets *function and *version when it is.
 */
static int
made_from(const struct options *o, const struct ruleset *rs, const struct buf *orig,
    const struct buf *current, char **function, char **version)
{
	struct analysis a = ANALYSIS_INIT;
	struct err e = ERR_INIT;
	char *name = NULL;

	if (rewrites_to(rs, o->function, orig, current, version))
		return (*function = strdup(o->function)) != NULL;
	if (current->len > 0 && rewrite_analyze(&a, rs, o->function, current->data, current->len,
	    &e) == 0 && a.other_function != NULL)
		name = strdup(a.other_function);
	analysis_release(&a);
	if (name != NULL && rules_function_ok(name) && rewrites_to(rs, name, orig, current, version)) {
		*function = name;
		return 1;
	}
	free(name);
	return 0;
}

/*
 * A run stopped after it replaced a file but before it recorded that
 * (killed, or the store's disk full) leaves a patched file the history does
 * not know. The file is still ours when it is exactly what apply makes of
 * an original the store keeps: the recorded one (known), or else the newest
 * gzip copy under originals/ that fits. Then original holds that original
 * and the missing apply is recorded (except with --check). Returns 1 when
 * the file is ours, 0 when not, -1 on error.
 */
int
adopt_unrecorded(const struct options *o, const struct ruleset *rs, struct store *store,
    const struct target *t, struct buf *original, int known, struct err *e)
{
	struct store_kept *kept = NULL;
	struct buf copy = BUF_INIT;
	struct store_record rec;
	struct err skip = ERR_INIT;
	char *function = NULL, *version = NULL;
	size_t n = 0, i;
	int found = 0, rc = -1;

	if (known)
		found = made_from(o, rs, original, &t->content, &function, &version);
	if (!found && store_kept_originals(store_statedir(store), t->inner, &kept, &n, e) == -1)
		goto cleanup;
	for (i = 0; i < n && !found; i++) {
		buf_reset(&copy);
		/* A damaged copy is no proof; the next one may be. */
		if (store_read_kept(store, t->inner, kept[i].id, &copy, &skip) == 0 &&
		    made_from(o, rs, &copy, &t->content, &function, &version)) {
			found = 1;
			buf_reset(original);
			if (buf_append(original, copy.data ? copy.data : "", copy.len) == -1) {
				err_sys(e, t->path, "out of memory");
				goto cleanup;
			}
		}
	}
	if (found && !o->check) {
		rec = (struct store_record){ "apply", t->inner, version, function,
		    original->data, original->len, t->content.data, t->content.len, 0 };
		if (store_commit(store, &rec, e) == -1)
			goto cleanup;
	}
	rc = found;
cleanup:
	free(version);
	free(function);
	buf_release(&copy);
	free(kept);
	return rc;
}

/*
 * Could a patched file be the work of a run stopped before it recorded the
 * change or listed the file as kept patched? Only then does apply take the
 * lock for it. Cheap: the watchlist and one directory, no libgit2.
 */
int
adopt_maybe_unrecorded(const struct options *o, const char *inner)
{
	struct statedir sd = STATEDIR_INIT;
	struct store_kept *kept = NULL;
	struct watch_entry *list = NULL;
	struct err e = ERR_INIT;
	size_t n = 0, nkept = 0;
	int listed, maybe = 0;

	if (o->check || o->reapply || inner == NULL ||
	    statedir_open(&sd, o->state_fs, o->state_inner, STATEDIR_READ, &e) == -1 ||
	    sd.fd == -1 || watchlist_read(&list, &n, &sd, &e) == -1)
		goto cleanup;
	listed = watchlist_find(list, n, inner) != NULL;
	if (!listed && store_kept_originals(&sd, inner, &kept, &nkept, &e) == 0)
		maybe = nkept > 0;
cleanup:
	free(kept);
	watchlist_free(list, n);
	statedir_close(&sd);
	return maybe;
}
