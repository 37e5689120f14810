/* adopt.c: recognising a file that a run stopped dead had already replaced. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"
#include "engine/engine.h"
#include "run.h"
#include "state/state.h"
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
		    original->data, original->len, t->content.data, t->content.len, 0, NULL, 0, NULL, 0,
		    NULL };
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
 * Is a patched file on the watch list? When it is not, apply takes the
 * lock for it: a run stopped before it listed the file left it so, or it
 * was patched by hand (adopt_hand_edit). Cheap: the watch list, no
 * libgit2.
 */
int
adopt_listed(const struct options *o, const char *inner)
{
	struct statedir sd = STATEDIR_INIT;
	struct watch_entry *list = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;
	int listed = 0;

	if (inner == NULL ||
	    statedir_open(&sd, o->state_fs, o->state_inner, STATEDIR_READ, &e) == -1 ||
	    sd.fd == -1 || watchlist_read(&list, &n, &sd, &e) == -1)
		goto cleanup;
	listed = watchlist_find(list, n, inner) != NULL;
cleanup:
	watchlist_free(list, n);
	statedir_close(&sd);
	return listed;
}

/*
 * Search the readings of a hand edit (rewrite_reconstruct's ways) for the
 * one the package manager recorded: 1 with original filled when one
 * matches, 0 when none does. The first reading, every literal put back,
 * is tried first; at most RECONSTRUCT_TRIES in all.
 */
#define RECONSTRUCT_TRIES	4096

static int
search_readings(const struct analysis *a, const struct target *t,
    const struct pkgdb_record *rec, struct buf *original, struct err *e)
{
	size_t *ways, i, tries;
	int got, found = 0;

	if ((ways = calloc(a->nsites ? a->nsites : 1, sizeof(*ways))) == NULL)
		return err_sys(e, NULL, "out of memory");
	for (tries = 0; tries < RECONSTRUCT_TRIES; tries++) {
		got = rewrite_reconstruct(original, a, t->content.data, t->content.len, ways, e);
		if (got == -1) {
			free(ways);
			return -1;
		}
		if (got == 0 && pkgdb_matches(rec, original->data, original->len)) {
			found = 1;
			break;
		}
		/* The next reading: count in a mixed radix, one digit per site. */
		for (i = 0; i < a->nsites; i++) {
			if (++ways[i] < rewrite_reconstruct_ways(a, i))
				break;
			ways[i] = 0;
		}
		if (i == a->nsites)
			break;	/* every reading tried */
	}
	free(ways);
	return found;
}

int
adopt_reconstruct(const struct options *o, const struct analysis *a, const struct target *t,
    struct buf *original, char **note, int *verified, struct err *e)
{
	struct pkgdb_record rec;
	int rc, found = 0;

	*note = NULL;
	*verified = 0;
	buf_reset(original);
	if (pkgdb_lookup(o->fs, o->host, t->inner, &rec, e) == -1)
		return -1;
	if (rec.found && (found = search_readings(a, t, &rec, original, e)) == -1)
		return -1;
	if (found) {
		*verified = 1;
		rc = asprintf(note, "reconstructed from a hand edit, verified against %s", rec.source);
	} else {
		if (rewrite_reconstruct(original, a, t->content.data, t->content.len, NULL, e) != 0)
			return err_set(e, t->path, "cannot reconstruct the original of this hand edit");
		if (rec.found)
			rc = asprintf(note, "reconstructed from a hand edit, not verified: %s records "
			    "other content, so the edit changed more than the statements; for the "
			    "package's own copy, run %s, then apply", rec.source, rec.reinstall);
		else
			rc = asprintf(note, "reconstructed from a hand edit, not verified: no package "
			    "manager records this file");
	}
	if (rc == -1) {
		*note = NULL;
		return err_sys(e, t->path, "out of memory");
	}
	return 0;
}
