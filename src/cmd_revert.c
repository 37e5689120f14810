/* cmd_revert.c: revert: put the original back, only over what the tool wrote. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "commands.h"
#include "crash.h"
#include "run.h"
#include "store.h"
#include "verify.h"
#include "watchlist.h"

/*
 * Put one file's original back, when the file is what the tool wrote: what
 * the history records, or else (a run stopped before recording it) what
 * apply makes of a kept original (adopt_unrecorded).
 */
static int
revert_one(const struct options *o, const struct ruleset *rs, struct store *store,
    struct file_report *f)
{
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct buf original = BUF_INIT, written = BUF_INIT;
	struct err e = ERR_INIT;
	struct store_record rec;
	char original_id[41], written_id[41] = "", current_id[41];
	int rc = -1, known, adopted;

	if (atomic_open(&t, f->path, &e) == -1)
		return run_fail_file(f, "%s", e.msg);
	crash_point("after-read");
	f->real = strdup(t.real);
	if ((known = store_lookup(store, run_store_name(o, t.real), &original, original_id,
	    written_id, &e)) == -1 ||
	    store_blob_id(store, t.content.data, t.content.len, current_id, &e) == -1) {
		run_fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	if (strcmp(current_id, written_id) != 0 &&
	    (known == 0 || strcmp(current_id, original_id) != 0)) {
		if ((adopted = adopt_unrecorded(o, rs, store, &t, &original, known, &e)) == -1 ||
		    (adopted && store_blob_id(store, original.data ? original.data : "",
		    original.len, original_id, &e) == -1)) {
			run_fail_file(f, "%s", e.msg);
			goto cleanup;
		}
		if (adopted) {
			known = 1;
			memcpy(written_id, current_id, sizeof(written_id));
		}
	}
	if (known == 0) {
		/* A copy found by discovery that was never patched is simply not ours. */
		if (o->nfiles == 0) {
			f->action = "never patched by bucardo-aiven; left alone";
			rc = 0;
			goto cleanup;
		}
		run_fail_file(f, "%s: the backup store %s holds no original of this file; "
		    "nothing to revert (reinstall the package that owns it to get a pristine copy)",
		    f->path, o->state_dir);
		goto cleanup;
	}
	if (strcmp(current_id, original_id) == 0) {
		f->action = "already original";
		/* Put back by a run stopped before it recorded that, or by hand. */
		if (!o->check && written_id[0] != '\0') {
			if (store_read_written(store, run_store_name(o, t.real), &written, &e) == -1) {
				run_fail_file(f, "%s", e.msg);
				goto cleanup;
			}
			rec = (struct store_record){ "revert", run_store_name(o, t.real), NULL, NULL,
			    written.data ? written.data : "", written.len,
			    t.content.data, t.content.len, 1 };
			if (store_commit(store, &rec, &e) == -1) {
				run_fail_file(f, "%s", e.msg);
				goto cleanup;
			}
			run_note_file(f, "put back before the history recorded it; the history now does");
		}
		if (!o->check && watchlist_update(o->state_dir, run_store_name(o, t.real), 0, &e) == -1) {
			run_fail_file(f, "%s: still listed as kept patched (%s)", f->path, e.msg);
			goto cleanup;
		}
		rc = 0;
		goto cleanup;
	}
	if (strcmp(current_id, written_id) != 0 && !o->force) {
		run_fail_file(f, "%s: the file is not what bucardo-aiven wrote (a package upgrade or "
		    "a hand edit since?); not reverted; --force puts the stored original back anyway",
		    f->path);
		goto cleanup;
	}
	if (o->diff && run_add_diff(f, t.real, &t.content, &original) == -1)
		goto cleanup;
	f->changed = 1;
	if (o->check) {
		f->action = "would revert";
		rc = 0;
		goto cleanup;
	}
	if (atomic_stage(&s, &t, original.data, original.len, &e) == -1 ||
	    atomic_commit(&s, &t, &e) == -1) {
		f->changed = 0;
		run_fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	f->action = "reverted";
	rec = (struct store_record){ "revert", run_store_name(o, t.real), NULL, NULL,
	    t.content.data, t.content.len, original.data, original.len, 1 };
	crash_point("before-history");
	if (store_commit(store, &rec, &e) == -1) {
		run_fail_file(f, "%s: reverted, but the history could not be recorded (%s)", f->path,
		    e.msg);
		goto cleanup;
	}
	/* Reverted on purpose: no package trigger may patch it again. */
	crash_point("after-history");
	if (watchlist_update(o->state_dir, run_store_name(o, t.real), 0, &e) == -1) {
		run_fail_file(f, "%s: reverted, but it is still listed as kept patched (%s)",
		    f->path, e.msg);
		goto cleanup;
	}
	rc = 0;
cleanup:
	atomic_abort(&s);
	buf_release(&written);
	buf_release(&original);
	atomic_release(&t);
	return rc;
}

/*
 * revert when no backup store exists: a pristine copy needs nothing (so that
 * "make sure it is reverted" is idempotent); a patched one cannot be
 * reverted, and the admin must hear why.
 */
static int
revert_without_store(const struct options *o, const struct ruleset *rs, struct file_report *f)
{
	struct target t = TARGET_INIT;
	struct analysis a = ANALYSIS_INIT;
	int rc = -1;

	if (run_examine(o, rs, f, &t, &a) == -1)
		goto cleanup;
	if (a.state == MODULE_PRISTINE) {
		f->action = "not patched; nothing to revert";
		rc = 0;
	} else if (a.state == MODULE_UNSUPPORTED)
		run_fail_file(f, "%s: %s; nothing to revert", f->path, a.reason);
	else
		run_fail_file(f, "%s: is %s, but %s holds no backup of it (patched by hand, or with "
		    "another --state-dir?); reinstall the package that owns it "
		    "(apt-get install --reinstall bucardo) for a pristine copy", f->path,
		    rewrite_state_name(a.state), o->state_dir);
cleanup:
	analysis_release(&a);
	atomic_release(&t);
	return rc;
}

int
cmd_revert(struct options *o)
{
	struct report r = REPORT_INIT;
	struct discovery d = DISCOVERY_INIT;
	struct ruleset rs = RULESET_INIT;
	struct store *store = NULL;
	struct err e = ERR_INIT;
	struct stat st;
	size_t i;
	int status = EXIT_FAILED, failed = 0;

	r.command = "revert";
	r.check_mode = o->check;
	r.state_dir = o->state_dir;
	if (run_load_rules(o, &rs, &r) == -1 || run_gather(o, &r, &d, 0) == -1)
		goto done;
	if (r.nfiles == 0) {
		run_fail(&r, "no Bucardo.pm found; give its path");
		goto done;
	}
	if (stat(o->state_dir, &st) == -1 && errno == ENOENT) {
		/* Nothing was ever applied here: fine, unless a copy is patched. */
		for (i = 0; i < r.nfiles; i++)
			if (revert_without_store(o, &rs, &r.files[i]) == -1)
				failed = 1;
		status = failed ? EXIT_FAILED : EXIT_OK;
		goto done;
	}
	if (store_open(&store, o->state_dir, o->check ? STORE_READ : STORE_WRITE,
	    o->lock_timeout, &e) == -1) {
		run_fail(&r, "%s", e.msg);
		goto done;
	}
	crash_point("after-lock");
	for (i = 0; i < r.nfiles; i++)
		if (revert_one(o, &rs, store, &r.files[i]) == -1)
			failed = 1;
	status = run_conclude(o, &r, failed);
done:
	run_finish(o, &r);
	store_close(store);
	report_release(&r);
	discovery_release(&d);
	rules_release(&rs);
	return status;
}
