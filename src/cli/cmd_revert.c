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
#include "base/base.h"
#include "run.h"
#include "state/state.h"
#include "host/host.h"

/*
 * What the history recorded of the file's last apply or adoption: the
 * version of Bucardo (NULL when none; the caller frees), and whether its
 * original was reconstructed from a hand edit without a package manager
 * confirming it (*unverified).
 */
static char *
revert_recorded_version(struct store *store, const char *inner, int *unverified)
{
	struct store_event *ev = NULL;
	struct err ignored = ERR_INIT;
	char *version = NULL;
	size_t n = 0, i;
	int seen = 0;

	*unverified = 0;
	if (store_history(store, inner, &ev, &n, &ignored) == 0)
		for (i = 0; i < n; i++) {
			if (strcmp(ev[i].action, "apply") != 0 && strcmp(ev[i].action, "adopt") != 0)
				continue;
			/* The newest record that says how its original was found decides. */
			if (!seen && ev[i].original_verified != -1) {
				*unverified = ev[i].original_verified == 0;
				seen = 1;
			}
			if (version == NULL && ev[i].bucardo_version != NULL)
				version = strdup(ev[i].bucardo_version);
		}
	store_events_free(ev, n);
	return version;
}

/*
 * What revert writes must be what the store recorded and a Bucardo module
 * of the recorded version: its blob id is the one recorded (a damaged or
 * replaced object is refused), and the rules judge it pristine (or half
 * patched, as a hand edit left it) with that $VERSION. Without a recorded
 * version, the file being reverted says which.
 */
static int
revert_verified(const struct options *o, const struct ruleset *rs, struct store *store,
    const struct target *t, const struct buf *original, const char *original_id, struct err *e)
{
	struct analysis was = ANALYSIS_INIT, now = ANALYSIS_INIT;
	struct err ignored = ERR_INIT;
	char id[41], *want;
	int rc = -1, unverified;

	if (store_blob_id(store, original->data ? original->data : "", original->len, id, e) == -1)
		return -1;
	if (strcmp(id, original_id) != 0)
		return err_set(e, t->path, "the stored original hashes to %s, not to the recorded "
		    "%s; not reverted; restore it from %s/originals/ by hand if you trust it",
		    id, original_id, store_statedir(store)->path);
	want = revert_recorded_version(store, t->inner, &unverified);
	if (unverified && !o->force) {
		err_set(e, t->path, "its original was reconstructed from a hand edit, and no package "
		    "manager confirmed it; not reverted; --force puts it back anyway, or reinstall "
		    "the package for a pristine copy (apt-get install --reinstall bucardo)");
		goto cleanup;
	}
	if (want == NULL &&
	    rewrite_analyze(&now, rs, DEFAULT_FUNCTION, t->content.data ? t->content.data : "",
	    t->content.len, &ignored) == 0 && now.version != NULL)
		want = strdup(now.version);
	if (rewrite_analyze(&was, rs, DEFAULT_FUNCTION, original->data ? original->data : "",
	    original->len, e) == -1) {
		err_hint(e, "the stored original of %s is not a Bucardo module; not reverted",
		    t->path);
		goto cleanup;
	}
	if (was.state != MODULE_PRISTINE && was.state != MODULE_PARTIAL) {
		err_set(e, t->path, "the stored original is not an unpatched Bucardo module (%s); "
		    "not reverted", rewrite_state_name(was.state));
		goto cleanup;
	}
	if (want != NULL && (was.version == NULL || strcmp(was.version, want) != 0)) {
		err_set(e, t->path, "the stored original is Bucardo %s, not the recorded %s; "
		    "not reverted", was.version ? was.version : "of no known version", want);
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(want);
	analysis_release(&was);
	analysis_release(&now);
	return rc;
}

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
	struct trust_report tr = TRUST_REPORT_INIT;
	struct watch_entry unlisted = { NULL, NULL, RULE_FORMS };
	char original_id[41], written_id[41] = "", current_id[41];
	int rc = -1, known, adopted, got;

	if (f->inner == NULL)
		return -1;	/* refused when gathered */
	if ((got = atomic_open(&t, o->fs, f->path, f->inner, &tr, &e)) != 0) {
		trust_report_release(&tr);
		/* Written never, whatever the store says: another user could redirect it. */
		if (got == FSROOT_UNTRUSTED && !run_untrusted_fails(o, f)) {
			f->action = "left alone: not trusted";
			run_note_file(f, e.msg);
			return 0;
		}
		if (got == FSROOT_UNTRUSTED)
			err_hint(&e, "not reverted");
		return run_fail_file(f, "%s", e.msg);
	}
	trust_report_release(&tr);
	crash_point("after-read");
	f->real = strdup(t.real);
	unlisted.path = t.inner;
	if ((known = store_lookup(store, t.inner, &original, original_id,
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
			if (store_read_written(store, t.inner, &written, &e) == -1) {
				run_fail_file(f, "%s", e.msg);
				goto cleanup;
			}
			rec = (struct store_record){ "revert", t.inner, NULL, NULL,
			    written.data ? written.data : "", written.len,
			    t.content.data, t.content.len, 1, NULL, 0, NULL, 0, NULL };
			if (store_commit(store, &rec, &e) == -1) {
				run_fail_file(f, "%s", e.msg);
				goto cleanup;
			}
			run_note_file(f, "put back before the history recorded it; the history now does");
		}
		if (!o->check && watchlist_update(store_statedir(store), &unlisted, 0, &e) == -1) {
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
	if (revert_verified(o, rs, store, &t, &original, original_id, &e) == -1) {
		run_fail_file(f, "%s", e.msg);
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
	rec = (struct store_record){ "revert", t.inner, NULL, NULL,
	    t.content.data, t.content.len, original.data, original.len, 1, NULL, 0, NULL, 0, NULL };
	crash_point("before-history");
	if (store_commit(store, &rec, &e) == -1) {
		run_fail_file(f, "%s: reverted, but the history could not be recorded (%s)", f->path,
		    e.msg);
		goto cleanup;
	}
	/* Reverted on purpose: no package trigger may patch it again. */
	crash_point("after-history");
	if (watchlist_update(store_statedir(store), &unlisted, 0, &e) == -1) {
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

	if ((rc = run_examine(o, rs, f, &t, &a)) != 0) {
		if (rc == RUN_UNTRUSTED && !run_untrusted_fails(o, f)) {
			f->action = "left alone: not trusted";
			rc = 0;
		} else {
			f->failed = 1;
			rc = -1;
		}
		goto cleanup;
	}
	rc = -1;
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
	struct run_context c = RUN_CONTEXT_INIT;
	struct store *store = NULL;
	struct statedir sd = STATEDIR_INIT;
	struct err e = ERR_INIT;
	size_t i;
	int status = EXIT_FAILED, failed = 0;

	if (run_begin(o, &c, "revert", REPORT_ACTIONS, 0) == -1)
		goto done;
	if (c.r.nfiles == 0) {
		run_fail(&c.r, "no Bucardo.pm found; give its path");
		goto done;
	}
	if (statedir_open(&sd, o->state_fs, o->state_inner, STATEDIR_READ, &e) == -1) {
		run_fail(&c.r, "%s", e.msg);
		goto done;
	}
	if (sd.fd == -1) {
		/* Nothing was ever applied here: fine, unless a copy is patched. */
		for (i = 0; i < c.r.nfiles; i++)
			if (revert_without_store(o, &c.rs, &c.r.files[i]) == -1)
				failed = 1;
		status = failed ? EXIT_FAILED : EXIT_OK;
		goto done;
	}
	if (store_open(&store, o->state_fs, o->state_inner, o->check ? STORE_READ : STORE_WRITE,
	    o->lock_timeout, &e) == -1) {
		run_fail(&c.r, "%s", e.msg);
		goto done;
	}
	crash_point("after-lock");
	for (i = 0; i < c.r.nfiles; i++)
		if (revert_one(o, &c.rs, store, &c.r.files[i]) == -1)
			failed = 1;
	status = run_conclude(o, &c.r, failed);
done:
	run_end(o, &c);
	statedir_close(&sd);
	store_close(store);
	return status;
}
