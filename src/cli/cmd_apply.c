/* cmd_apply.c: apply: judge every copy, then patch each under the lock, checked and backed up. */
#include <errno.h>
#include <pthread.h>
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
 * Start perl -c on the file fd is open on, name in dirfd, through a
 * descriptor of its own (atomic_reopen): what was judged, not a path.
 * What verify_perl_start returns.
 */
static int
perl_start_on(struct fsroot *host, const struct perl_vouch *vouch, int dirfd, const char *name,
    int fd, const char *display, struct perl_run *run, struct err *e)
{
	int rfd, rc;

	if (vouch->verdict != 0)
		return verify_perl_start(run, host, vouch, -1, 120, e);
	if ((rfd = atomic_reopen(dirfd, name, fd, display, e)) == -1)
		return -1;
	rc = verify_perl_start(run, host, vouch, rfd, 120, e);
	close(rfd);
	return rc;
}

/*
 * perl -c on the staged result, started by the caller (perl_start_on)
 * so that it runs while the original is backed up. A result that fails while the original
 * compiles is refused; when the original fails too (perl or a dependency
 * such as DBIx::Safe missing) the structural check has to do.
 */
static int
perl_check(const struct options *o, const struct perl_vouch *vouch, struct file_report *f,
    const struct target *t, const char *staged, struct perl_run *run, int started,
    const struct err *start_err)
{
	struct buf diag = BUF_INIT, odiag = BUF_INIT;
	struct perl_run orun = PERL_RUN_INIT;
	struct err e = ERR_INIT;
	int v, rc = 0, ov;
	char *nl;

	if (o->no_perl_check) {
		f->perl_check = "skipped";
		return 0;
	}
	if (started == PERL_STARTED)
		v = verify_perl_finish(run, staged, &diag, &e);
	else {
		v = started;
		e = *start_err;
	}
	if (v == -1) {
		rc = run_fail_file(f, "%s; nothing written", e.msg);
	} else if (v == PERL_COMPILES) {
		f->perl_check = "passed";
	} else if (v == PERL_NOT_RUN) {
		f->perl_check = "not-run";
		if (asprintf(&nl, "perl -c not run (%s); checked by structure only", e.msg) == -1)
			nl = NULL;
		run_note_file(f, nl != NULL ? nl : "perl -c not run; checked by structure only");
		free(nl);
	} else if ((ov = perl_start_on(o->host, vouch, t->dirfd, t->name, t->fd, t->real, &orun,
	    &e)) == PERL_STARTED &&
	    verify_perl_finish(&orun, t->real, &odiag, &e) == PERL_COMPILES) {
		if ((nl = strchr(diag.data ? diag.data : "", '\n')) != NULL)
			*nl = '\0';
		rc = run_fail_file(f, "%s: the rewritten file does not compile although the original "
		    "does (%s); nothing written, please report this", t->path,
		    diag.data ? diag.data : "no message");
	} else {
		f->perl_check = "original-fails";
		if ((nl = strchr(odiag.data ? odiag.data : "", '\n')) != NULL)
			*nl = '\0';
		if (asprintf(&nl, "perl -c fails on the original too (%s); is a dependency such "
		    "as DBI, DBD::Pg or DBIx::Safe missing? checked by structure only",
		    odiag.data ? odiag.data : "no message") != -1) {
			free(f->message);
			f->message = nl;
		}
	}
	(void)ov;
	verify_perl_abort(&orun);
	buf_release(&diag);
	buf_release(&odiag);
	return rc;
}

/*
 * Whether perl may run, decided once, in a thread of its own while the
 * store is opened and the first copy is read, rewritten and staged: judging
 * perl's @INC trees reads a few thousand directory entries. It is awaited
 * only when perl -c is about to start. It gets its own host root, so that
 * nothing is shared but the job.
 */
struct vouch_job {
	struct perl_vouch	 v;
	const char		*perl;
	int			 keep_perl_env;
	pthread_t		 thread;
	int			 started;
};

static void *
vouch_run(void *arg)
{
	struct vouch_job *j = arg;
	struct fsroot host = FSROOT_INIT;
	struct err e = ERR_INIT;

	if (fsroot_open(&host, NULL, &e) == -1) {
		j->v.verdict = PERL_NOT_RUN;
		j->v.why = e;
	} else
		verify_perl_vouch(&j->v, &host, j->perl, j->keep_perl_env);
	fsroot_close(&host);
	return NULL;
}

static void
vouch_start(struct vouch_job *j)
{
	j->started = pthread_create(&j->thread, NULL, vouch_run, j) == 0;
	if (!j->started)
		vouch_run(j);	/* no thread: the same work, in line */
}

static void
vouch_wait(struct vouch_job *j)
{
	if (j->started)
		pthread_join(j->thread, NULL);
	j->started = 0;
}

/*
 * What the watch list records for a file once apply has made a of it: the
 * function, and the form every site is (or, with want, will be) in, when
 * they agree.
 */
static struct watch_entry
watched_as(const struct options *o, const struct file_report *f, const struct target *t,
    const struct analysis *a)
{
	struct watch_entry en = { t->inner, (char *)run_function(o, f), RULE_FORMS };
	enum rule_form form;
	size_t i;

	for (i = 0; i < a->nsites; i++) {
		form = rewrite_target_form(a, &a->sites[i], run_form(o, f));
		if (i > 0 && form != en.form) {
			en.form = RULE_FORMS;
			break;
		}
		en.form = form;
	}
	return en;
}

/* Add text to f's note, after what an earlier step said (f->message). */
static void
add_note(struct file_report *f, const char *text)
{
	char *msg;

	if (f->message == NULL) {
		f->message = strdup(text);
		return;
	}
	if (asprintf(&msg, "%s; %s", f->message, text) == -1)
		return;
	free(f->message);
	f->message = msg;
}

/* Say which slips of the migration guide apply corrected, and where. */
static void
slips_corrected(struct file_report *f, const struct analysis *a)
{
	struct buf msg = BUF_INIT;
	size_t i;

	for (i = 0; i < a->nsites; i++)
		if (a->sites[i].slip && buf_printf(&msg, "%sline %u corrected: it %s",
		    msg.len ? "; " : "", a->sites[i].line, a->sites[i].note) == -1)
			break;
	if (msg.len > 0)
		add_note(f, msg.data);
	buf_release(&msg);
}

/*
 * The original to keep for a file that is not pristine: none to add when
 * the tool wrote it (the store keeps the recorded one); the recorded one
 * when a hand edit was made over a file the store knows; else one
 * reconstructed from the hand edit and checked against the package
 * manager (adopt_reconstruct). Sets *use (0: keep what is there) and, for
 * a reconstruction, *note and *verified.
 */
static int
hand_original(const struct options *o, struct store *store, const struct target *t,
    const struct analysis *a, struct buf *original, int *use, char **note, int *verified,
    struct err *e)
{
	char original_id[41], written_id[41], current_id[41];
	int known;

	*use = 0;
	*note = NULL;
	*verified = 0;
	buf_reset(original);
	if ((known = store_lookup(store, t->inner, original, original_id, written_id, e)) == -1 ||
	    store_blob_id(store, t->content.data, t->content.len, current_id, e) == -1)
		return -1;
	if (strcmp(current_id, written_id) == 0)
		return 0;
	*use = 1;
	if (known)
		return 0;
	return adopt_reconstruct(o, a, t, original, note, verified, e);
}

/* "; original reconstructed ..." for the action's note, when there is one. */
static void
note_original(struct file_report *f, const char *what, const char *note)
{
	char *msg;

	if (note == NULL)
		return;
	if (asprintf(&msg, "%s; the original was %s", what, note) == -1)
		return;
	add_note(f, msg);
	free(msg);
}

/*
 * An already patched file under the lock: when an interrupted run of ours
 * wrote it, record what it did; when a hand edit did, adopt it: keep the
 * original it was made from and record that. Either way the file is kept
 * patched from now on.
 */
static int
finish_patched(const struct options *o, const struct ruleset *rs, struct store *store,
    const struct target *t, const struct analysis *a, struct file_report *f)
{
	struct watch_entry en = watched_as(o, f, t, a);
	struct store_record rec;
	struct buf original = BUF_INIT;
	struct err e = ERR_INIT;
	char original_id[41], written_id[41], current_id[41], kept_id[41], *note = NULL;
	int known, ours, use, verified, rc = -1;

	if ((known = store_lookup(store, t->inner, &original, original_id,
	    written_id, &e)) == -1 ||
	    store_blob_id(store, t->content.data, t->content.len, current_id, &e) == -1)
		goto fail;
	ours = strcmp(current_id, written_id) == 0;
	if (!ours && (ours = adopt_unrecorded(o, rs, store, t, &original, known, &e)) == -1)
		goto fail;
	if (ours && strcmp(current_id, written_id) != 0)
		run_note_file(f, "an interrupted run had patched it; the history now records that");
	if (!ours) {
		/* Patched by hand: the file stays as it is; the store learns its original. */
		if (hand_original(o, store, t, a, &original, &use, &note, &verified, &e) == -1 ||
		    store_keep_original(store, t->inner, original.data ? original.data : "",
		    original.len, kept_id, &e) == -1)
			goto fail;
		rec = (struct store_record){ "adopt", t->inner, a->version, run_function(o, f),
		    t->content.data, t->content.len, t->content.data, t->content.len, 0,
		    original.data ? original.data : "", original.len, note, verified, kept_id };
		if (store_commit(store, &rec, &e) == -1)
			goto fail;
		f->action = "adopted (patched by hand; kept patched from now on)";
		note_original(f, "patched by hand, now kept patched", note != NULL ? note :
		    "the one the store already held");
	}
	if (watchlist_update(store_statedir(store), &en, 1, &e) == -1)
		goto fail;
	rc = 0;
	goto cleanup;
fail:
	run_fail_file(f, "%s", e.msg);
cleanup:
	free(note);
	buf_release(&original);
	return rc;
}

/*
 * The rewrite, checked by structure, and its diff when asked for: what
 * both --check and a real apply do before anything is written.
 */
static int
rewrite_checked(const struct options *o, const struct ruleset *rs, struct file_report *f,
    const struct target *t, const struct analysis *a, struct buf *out)
{
	struct err e = ERR_INIT;

	if (rewrite_apply(out, a, run_function(o, f), run_form(o, f), t->content.data,
	    t->content.len, &e) == -1)
		return run_fail_file(f, "%s: %s; nothing written", f->path, e.msg);
	if (rewrite_verify(rs, run_function(o, f), run_form(o, f), f->path, a, t->content.data,
	    t->content.len, out->data, out->len, &e) == -1)
		return run_fail_file(f, "%s", e.msg);
	if (o->diff && run_add_diff(f, t->real, &t->content, out) == -1)
		return -1;
	return 0;
}

/* Patch one file under the store's lock; re-reads it, as another run may have. */
/*
 * A locally modified copy is still rewritten when asked, but the note says
 * the rewrite may not take effect, and why.
 */
static void
modified_warning(struct file_report *f, const struct analysis *a)
{
	char *msg;

	if (a->modified == NULL)
		return;
	if (asprintf(&msg, "patched, but it may not take effect: %s", a->modified) == -1)
		return;
	free(f->message);
	f->message = msg;
}

/*
 * The barriers of one apply, in order, each for a reason the promise gives
 * (README, Reliability: the original is durable in the store before the
 * module is replaced; the module and the history are durable when apply
 * returns; a power failure leaves neither half-written):
 *   1. fsync of the staged file (atomic_stage): its content is on disk
 *      before its name can replace the module's;
 *   2. fsync of the gzip copy's temporary file (store_keep_original): no
 *      name ever holds part of a copy, which every later run would refuse;
 *   3. one syncfs of the state directory's file system (store_sync): the
 *      git blob, the gzip copy's name, new directories and this apply's
 *      history objects, durable before the module is replaced;
 *   4. fsync of the module's directory (atomic_commit): the rename;
 *   5. fsync of the new ref, then of refs/heads (store_publish): the branch
 *      names a commit already durable (3), and is never found empty;
 *   6. fsync of the watch list's temporary file, then of the state
 *      directory (watchlist_update), when the list changes.
 * A new state directory also costs one fsync of its parent (fsroot).
 */
static int
patch_one(const struct options *o, const struct ruleset *rs, struct store *store,
    struct vouch_job *job, struct file_report *f)
{
	const struct perl_vouch *vouch = &job->v;
	struct target t = TARGET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct staged s = STAGED_INIT;
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	struct store_record rec;
	struct watch_entry en;
	struct perl_run run = PERL_RUN_INIT;
	struct err perr = ERR_INIT, herr = ERR_INIT;
	struct buf original = BUF_INIT;
	char id[41], *note = NULL;
	int rc = -1, started = PERL_NOT_RUN, use = 0, verified = 0, history;

	if ((rc = run_examine(o, rs, f, &t, &a)) != 0) {
		if (rc == RUN_UNTRUSTED)
			f->failed = 1;
		rc = -1;
		goto cleanup;
	}
	rc = -1;
	crash_point("after-read");
	if (a.state == MODULE_UNSUPPORTED) {
		run_fail_file(f, "%s: %s; nothing written", f->path, a.reason);
		goto cleanup;
	}
	if (a.state == MODULE_PATCHED && rewrite_todo(&a, run_form(o, f)) == 0) {
		f->action = "already patched";
		f->state_after = f->state;
		rc = finish_patched(o, rs, store, &t, &a, f);
		goto cleanup;
	}
	if (rewrite_checked(o, rs, f, &t, &a, &out) == -1)
		goto cleanup;
	if (atomic_stage(&s, &t, out.data, out.len, &e) == -1) {
		run_fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	/*
	 * perl -c takes a tenth of a second: it runs while the original is
	 * kept in the store, on the other core, and its verdict is awaited
	 * before anything is replaced.
	 */
	if (!o->no_perl_check) {
		vouch_wait(job);
		started = perl_start_on(o->host, vouch, s.dirfd, s.tmp, s.fd, s.tmp_host, &run,
		    &perr);
	}
	/* No-op when cmd_apply started it already (no perl -c to leave the core to). */
	store_preload(store);
	/*
	 * The original is safe in the store before anything replaces it: the
	 * file as found, or for a hand edit the original it was made from.
	 */
	if (a.state != MODULE_PRISTINE && hand_original(o, store, &t, &a, &original, &use, &note,
	    &verified, &e) == -1) {
		run_fail_file(f, "%s; nothing written", e.msg);
		goto cleanup;
	}
	if (store_keep_original(store, t.inner, use ? (original.data ? original.data : "") :
	    t.content.data, use ? original.len : t.content.len, id, &e) == -1 ||
	    store_ready(store, &e) == -1) {
		run_fail_file(f, "%s; nothing written", e.msg);
		goto cleanup;
	}
	/*
	 * The history's objects are written while perl -c runs too, and one
	 * barrier makes them durable with the kept original before the file
	 * is replaced; the branch moves after. Failing to write them is the
	 * history's failure alone: the file is still replaced, and the next
	 * apply records it.
	 */
	rec = (struct store_record){ "apply", t.inner, a.version, run_function(o, f),
	    t.content.data, t.content.len, out.data, out.len, 0,
	    use ? (original.data ? original.data : "") : NULL, use ? original.len : 0, note,
	    verified, id };
	history = store_prepare(store, &rec, &herr);
	if (store_sync(store, &e) == -1) {
		run_fail_file(f, "%s; nothing written", e.msg);
		goto cleanup;
	}
	if (perl_check(o, vouch, f, &t, s.tmp_host, &run, started, &perr) == -1)
		goto cleanup;
	if (atomic_commit(&s, &t, &e) == -1) {
		run_fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	f->changed = 1;
	f->action = "patched";
	f->state_after = a.modified != NULL ? "modified" : "patched";
	modified_warning(f, &a);
	slips_corrected(f, &a);
	note_original(f, "a hand edit, completed", note);
	en = watched_as(o, f, &t, &a);
	crash_point("before-history");
	if (history == -1 || store_publish(store, &herr) == -1) {
		run_fail_file(f, "%s: patched, but the history could not be recorded (%s); "
		    "run apply again to record it", f->path, herr.msg);
		goto cleanup;
	}
	crash_point("after-history");
	if (watchlist_update(store_statedir(store), &en, 1, &e) == -1) {
		run_fail_file(f, "%s: patched, but it could not be added to the files kept patched "
		    "(%s); run apply again to add it", f->path, e.msg);
		goto cleanup;
	}
	rc = 0;
cleanup:
	verify_perl_abort(&run);
	atomic_abort(&s);
	free(note);
	buf_release(&original);
	buf_release(&out);
	analysis_release(&a);
	atomic_release(&t);
	return rc;
}

int
cmd_apply(struct options *o)
{
	struct run_context c = RUN_CONTEXT_INIT;
	struct store *store = NULL;
	struct err e = ERR_INIT;
	struct vouch_job job = { PERL_VOUCH_INIT, NULL, 0, 0, 0 };
	char *perl = NULL;
	size_t i, todo = 0;
	int status = EXIT_FAILED, failed = 0, refused = 0, got;

	if (run_begin(o, &c, "apply", REPORT_ACTIONS, 0) == -1)
		goto done;

	/* First a read-only pass: the already-patched path writes and locks nothing. */
	for (i = 0; i < c.r.nfiles; i++) {
		struct file_report *f = &c.r.files[i];
		struct target t = TARGET_INIT;
		struct analysis a = ANALYSIS_INIT;
		struct buf out = BUF_INIT;

		if ((got = run_examine(o, &c.rs, f, &t, &a)) == -1) {
			failed = 1;
		} else if (got == RUN_UNTRUSTED) {
			/* Never blocks the trusted copies; fails the run when it matters. */
			if (run_untrusted_fails(o, f)) {
				f->failed = 1;
				refused = 1;
			} else
				f->action = "left alone: not trusted";
		} else if (a.state == MODULE_UNSUPPORTED) {
			run_fail_file(f, "%s: %s; nothing written", f->path, a.reason);
			failed = 1;
		} else if (a.state == MODULE_PATCHED && rewrite_todo(&a, run_form(o, f)) == 0 &&
		    !o->reapply && !adopt_listed(o, t.inner)) {
			/* Not kept patched yet: an interrupted run of ours, or a hand edit. */
			if (o->check) {
				f->action = "would adopt (patched, but not yet kept patched)";
				f->state_after = f->state;
			} else
				todo++;
		} else if (a.state == MODULE_PATCHED && rewrite_todo(&a, run_form(o, f)) == 0) {
			f->action = "already patched";
			f->state_after = f->state;
		} else if (o->check) {
			if (rewrite_checked(o, &c.rs, f, &t, &a, &out) == -1) {
				failed = 1;
			} else {
				f->action = "would patch";
				f->changed = 1;
				f->state_after = "patched";
			}
		} else
			todo++;
		buf_release(&out);
		analysis_release(&a);
		atomic_release(&t);
	}
	if (c.r.nfiles == 0 && c.r.discovered) {
		run_fail(&c.r, "no Bucardo.pm found; give its path, or see 'bucardo-aiven status'");
		goto done;
	}
	if (c.r.nfiles == 0 && o->reapply) {
		status = EXIT_OK;	/* nothing was ever patched here: nothing to keep */
		goto done;
	}
	/* All or nothing: one refused copy stops the run before any is written. */
	if (failed || todo == 0 || o->check) {
		status = run_conclude(o, &c.r, failed || refused);
		goto done;
	}

	if (!o->no_perl_check) {
		struct discover_options dopt;

		run_discover_options(o, &dopt);
		perl = discover_perl(&dopt);
		job.perl = perl != NULL ? perl : "perl";
		job.keep_perl_env = o->keep_perl_env;
		vouch_start(&job);
	}
	if (store_open(&store, o->state_fs, o->state_inner, STORE_WRITE, o->lock_timeout,
	    &e) == -1) {
		run_fail(&c.r, "%s", e.msg);
		goto done;
	}
	crash_point("after-lock");
	/*
	 * libgit2's start-up runs on the other core while the first copy is
	 * read, rewritten and staged; with perl -c, only once perl runs
	 * (patch_one), so that it does not slow the @INC judgement perl waits
	 * for.
	 */
	if (o->no_perl_check)
		store_preload(store);
	for (i = 0; i < c.r.nfiles; i++) {
		struct file_report *f = &c.r.files[i];

		if (f->state_after != NULL || f->untrusted)
			continue;
		if (patch_one(o, &c.rs, store, &job, f) == -1)
			failed = 1;
	}
	status = run_conclude(o, &c.r, failed || refused);
done:
	vouch_wait(&job);
	verify_vouch_release(&job.v);
	run_end(o, &c);
	free(perl);
	store_close(store);
	return status;
}
