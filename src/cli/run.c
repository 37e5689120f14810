/* run.c: what every command's run shares: the files it works on, judging them, reporting. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/state.h"
#include "base/base.h"
#include "host/host.h"
#include "trace.h"
#include "run.h"

static char *last_complaint;

void
run_complain(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	/* Paths, file content and server text from outside: never raw to a terminal. */
	esc_fprintf(stderr, "%s: %s\n", PROGNAME, n == -1 ? "out of memory" : msg);
	/* Kept for the JSON document of a run that ends before it prints one. */
	free(last_complaint);
	last_complaint = n == -1 ? NULL : msg;
}

const char *
run_last_complaint(void)
{
	return last_complaint;
}

/* A failure of the whole run: on stderr now, and in the JSON document. */
void
run_fail(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	run_complain("%s", msg ? msg : "out of memory");
	if (r->error == NULL)
		r->error = msg;
	else
		free(msg);
}

/* Print the per-file errors on stderr, then the report on stdout. */
void
run_finish(const struct options *o, const struct report *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].failed && r->files[i].message != NULL)
			run_complain("%s", r->files[i].message);
	/* Only the commands that write leave a trace: a change, or a failure to make one. */
	if (r->kind == REPORT_ACTIONS)
		trace_report(o, r);
	if (o->json) {
		if (report_print_json(r) == -1)
			run_complain("cannot write the JSON report");
	} else if (!o->quiet)
		report_print_text(r, o->verbose);
}

int
run_fail_file(struct file_report *f, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	free(f->message);
	f->message = msg;
	f->failed = 1;
	return -1;
}

void
run_note_file(struct file_report *f, const char *msg)
{
	free(f->message);
	f->message = strdup(msg);
}

const char *
run_function(const struct options *o, const struct file_report *f)
{
	return f->function != NULL ? f->function : o->function;
}

enum rule_form
run_form(const struct options *o, const struct file_report *f)
{
	return f->want_form != RULE_FORMS ? f->want_form : o->form;
}

void
run_discover_options(const struct options *o, struct discover_options *d)
{
	memset(d, 0, sizeof(*d));
	d->root = o->fs;
	d->host = o->host;
	d->path_env = getenv("PATH");
	d->home = getenv("HOME");
	d->perlbrew_root = getenv("PERLBREW_ROOT");
	d->perl5lib = getenv("PERL5LIB");
	d->perllib = getenv("PERLLIB");
}

/* The canonical host path asked leads to inside the root, or NULL. */
static char *
run_canonical(const struct options *o, const char *asked)
{
	struct fsloc loc;
	struct err e = ERR_INIT;
	char *host = NULL;

	if (fsroot_locate(o->fs, asked, FS_FOLLOW | FS_ANY_OWNER, &loc, NULL, &e) == 0) {
		host = loc.host;
		loc.host = NULL;
	}
	fsloc_release(&loc);
	return host;
}

/* A report entry for a file found or named: its host path and the path inside the root. */
static struct file_report *
run_add_file(struct report *r, const struct fsroot *fs, const char *inner)
{
	struct file_report *f;
	char *host;

	if (asprintf(&host, "%s%s", fs->host, inner) == -1)
		return NULL;
	f = report_add(r, host);
	free(host);
	if (f == NULL || (f->inner = strdup(inner)) == NULL)
		return NULL;
	return f;
}

/*
 * apply --reapply works on the files apply patched before (STATE/watchlist),
 * limited to the FILEs given, if any. Each entry is a path inside the root,
 * found again through it (so no entry can lead out of it) and judged again
 * when examined, since ownership may have changed since it was listed. A
 * listed file that is gone (its package was removed) is left out: nothing
 * to keep patched.
 */
static int
gather_watched(struct options *o, struct report *r)
{
	struct statedir sd = STATEDIR_INIT;
	struct watch_entry *list = NULL;
	struct file_report *f;
	struct err e = ERR_INIT;
	struct fsloc loc;
	char *inner;
	size_t n = 0, i;
	int k, keep, rc = -1, got, gone;

	if (statedir_open(&sd, o->state_fs, o->state_inner, STATEDIR_READ, &e) == -1 ||
	    watchlist_read(&list, &n, &sd, &e) == -1) {
		run_fail(r, "%s", e.msg);
		goto cleanup;
	}
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		keep = o->nfiles == 0;
		for (k = 0; k < o->nfiles && !keep; k++) {
			if (fsroot_inner(o->fs, o->files[k], &inner, &e) == 0)
				keep = strcmp(inner, list[i].path) == 0;
			free(inner);
		}
		got = fsroot_locate(o->fs, list[i].path, FS_FOLLOW | FS_ANY_OWNER, &loc, NULL, &e);
		gone = (got == -1 && errno == ENOENT) || (got == 0 && loc.st.st_mode == 0);
		fsloc_release(&loc);
		if (!keep || gone)
			continue;
		/* Patched again as it was patched: the same function, the same form. */
		if ((f = run_add_file(r, o->fs, list[i].path)) == NULL ||
		    (list[i].function != NULL && (f->function = strdup(list[i].function)) == NULL)) {
			rc = -1;
			continue;
		}
		f->want_form = (o->seen & OPT_FORM) ? o->form : list[i].form;
	}
cleanup:
	watchlist_free(list, n);
	statedir_close(&sd);
	return rc;
}

/*
 * What discovery found out about how Bucardo starts, as warnings: which
 * copy each way of starting a linked `bucardo` loads, when they differ,
 * and a script whose version differs from the copy it loads (Bucardo then
 * refuses to start).
 */
static int
run_start_warnings(struct report *r, const struct discovery *d)
{
	const char *sv = d->script_version;
	char *refuses = NULL;
	int rc = 0;

	if (d->other != NULL) {
		if (sv != NULL && d->other_version != NULL && strcmp(sv, d->other_version) != 0 &&
		    asprintf(&refuses, " and refuses to start (\"Version mismatch: bucardo is %s, "
		    "but Bucardo.pm is %s\")", sv, d->other_version) == -1)
			return -1;
		if (d->active != NULL)
			rc = report_warn(r, "%s is a symbolic link to %s: started through PATH, "
			    "Bucardo loads %s (the active copy); %s, it loads %s%s", d->script,
			    d->script_link, d->active, d->other_start, d->other,
			    refuses != NULL ? refuses : "");
		else
			rc = report_warn(r, "%s is a symbolic link to %s: started through PATH, "
			    "Bucardo finds no Bucardo.pm; %s, it loads %s%s", d->script,
			    d->script_link, d->other_start, d->other, refuses != NULL ? refuses : "");
		free(refuses);
	}
	if (rc == 0 && sv != NULL && d->active != NULL && d->active_version != NULL &&
	    strcmp(sv, d->active_version) != 0)
		rc = report_warn(r, "version mismatch: %s is %s but the active copy %s is %s: "
		    "Bucardo will refuse to start (\"Version mismatch: bucardo is %s, but Bucardo.pm "
		    "is %s\")", d->script, sv, d->active, d->active_version, sv, d->active_version);
	return rc;
}

/*
 * The files a command works on: the ones given, or every copy discovery
 * finds. want_active asks which one perl loads (costs one perl run when
 * files are given). A FILE outside --root is refused for itself.
 */
int
run_gather(struct options *o, struct report *r, struct discovery *d, int want_active)
{
	struct discover_options dopt;
	struct err e = ERR_INIT;
	struct file_report *f;
	const char *active = NULL;
	char *inner, *canon;
	size_t i;
	int k;

	run_discover_options(o, &dopt);
	if (o->reapply)
		return gather_watched(o, r);
	if (o->nfiles == 0) {
		if (discover_modules(d, &dopt, &e) == -1) {
			run_fail(r, "%s", e.msg);
			return -1;
		}
		r->discovered = 1;
		r->searched = d->searched;
		r->nsearched = d->nsearched;
		if (d->warning != NULL && (r->warning = strdup(d->warning)) == NULL)
			return -1;
		for (i = 0; i < d->ncopies; i++) {
			/* Opened the way it was found, so that the way is judged too. */
			if ((f = report_add(r, d->copies[i].path)) == NULL ||
			    (f->inner = strdup(d->copies[i].asked)) == NULL)
				return -1;
			f->active = d->copies[i].active;
		}
		return run_start_warnings(r, d);
	}
	if (want_active) {
		if (discover_first(d, &dopt, &e) == -1)
			run_complain("%s (which copy perl loads is not shown)", e.msg);
		else if (run_start_warnings(r, d) == -1)
			return -1;
		else
			active = d->active;
	}
	for (k = 0; k < o->nfiles; k++) {
		if (fsroot_inner(o->fs, o->files[k], &inner, &e) == -1) {
			if ((f = report_add(r, o->files[k])) == NULL)
				return -1;
			run_fail_file(f, "%s", e.msg);
			continue;
		}
		f = report_add(r, o->files[k]);
		if (f == NULL || (f->inner = inner) == NULL)
			return -1;
		canon = active != NULL ? run_canonical(o, inner) : NULL;
		f->active = canon != NULL && strcmp(canon, active) == 0;
		free(canon);
	}
	return 0;
}

int
run_load_rules(const struct options *o, struct ruleset *rs, struct report *r)
{
	struct err e = ERR_INIT;
	int rc;

	rc = o->rules_dir != NULL ? rules_load_dir(rs, o->host, o->rules_dir, &e) :
	    rules_load_builtin(rs, &e);
	if (rc != 0)
		run_fail(r, "%s", e.msg);
	return rc == 0 ? 0 : -1;
}

/*
 * The words for a file that fails the trust rule, and how to patch it
 * anyway: as the one who controls it, with a state directory of their own.
 */
static void
run_untrusted(struct file_report *f, const struct trust_report *tr, const struct err *e)
{
	char *msg;

	f->untrusted = 1;
	f->state = "untrusted";
	f->fault_uid = (long)tr->uid;
	free(f->fault_path);
	f->fault_path = tr->path != NULL ? strdup(tr->path) : NULL;
	if (tr->fault == TRUST_OWNER) {
		if (asprintf(&msg, "%s; never read, compiled or written as root: patch it as uid %lu, "
		    "with a state directory of their own (bucardo-aiven --state-dir DIR apply %s)",
		    e->msg, (unsigned long)tr->uid, f->path) == -1)
			msg = NULL;
	} else if (asprintf(&msg, "%s; never read, compiled or written as root: make it writable "
	    "by its owner alone (chmod go-w %s)", e->msg, tr->path ? tr->path : f->path) == -1)
		msg = NULL;
	free(f->message);
	f->message = msg;
}

/* "plain", "guarded" or "mixed" for a file with patched sites; NULL for none. */
static const char *
analysis_form(const struct analysis *a)
{
	const char *form = NULL, *name;
	size_t i;

	for (i = 0; i < a->nsites; i++) {
		if (!a->sites[i].patched)
			continue;
		name = rules_form_name(a->sites[i].form);
		if (form != NULL && strcmp(form, name) != 0)
			return "mixed";
		form = name;
	}
	return form;
}

int
run_examine(const struct options *o, const struct ruleset *rs, struct file_report *f,
    struct target *t, struct analysis *a)
{
	struct trust_report tr = TRUST_REPORT_INIT;
	struct err e = ERR_INIT;
	size_t i;
	int got;

	if (f->inner == NULL)
		return -1;	/* refused when gathered */
	got = atomic_open(t, o->fs, f->path, f->inner, &tr, &e);
	if (got == FSROOT_UNTRUSTED) {
		run_untrusted(f, &tr, &e);
		trust_report_release(&tr);
		return RUN_UNTRUSTED;
	}
	trust_report_release(&tr);
	if (got == -1)
		return run_fail_file(f, "%s", e.msg);
	free(f->real);
	f->real = strdup(t->real);
	if (rewrite_analyze(a, rs, run_function(o, f), t->content.data ? t->content.data : "",
	    t->content.len, &e) == -1)
		return run_fail_file(f, "%s: %s", f->path, e.msg);
	for (i = 0; i < f->nstatements; i++) {
		free(f->statements[i].sub);
		free(f->statements[i].before);
		free(f->statements[i].after);
		free(f->statements[i].note);
	}
	f->nstatements = 0;
	f->state = rewrite_state_name(a->state);
	free(f->version);
	f->version = a->version ? strdup(a->version) : NULL;
	free(f->layout);
	f->layout = a->layout ? strdup(a->layout->name) : NULL;
	if (a->state == MODULE_UNSUPPORTED)
		return 0;
	/* Rewritable, but the code around a statement is not Bucardo's: a state of its own. */
	if (a->modified != NULL) {
		f->state = "modified";
		run_note_file(f, a->modified);
	}
	f->form = analysis_form(a);
	for (i = 0; i < a->nsites; i++) {
		const struct site *s = &a->sites[i];
		char *after = NULL;

		/* What apply would write there; a form it cannot write says why when applied. */
		if (rewrite_site_todo(a, s, run_form(o, f)))
			after = rewrite_site_sql(a, s, run_function(o, f), run_form(o, f), &e);
		report_statement(f, s->rule->sub, s->line, s->sql, after, s->note);
		free(after);
	}
	return 0;
}

/*
 * A file that failed the trust rule: a failure of the run when the admin
 * named it, when Bucardo loads it, or when --reapply was keeping it
 * patched; otherwise only a note, and the other copies go on.
 */
int
run_untrusted_fails(const struct options *o, const struct file_report *f)
{
	return o->nfiles > 0 || o->reapply || f->active;
}

int
run_add_diff(struct file_report *f, const char *path, const struct buf *old, const struct buf *new)
{
	struct buf d = BUF_INIT;
	struct err e = ERR_INIT;

	if (diff_unified(&d, path, old->data, old->len, new->data, new->len, &e) == -1) {
		buf_release(&d);
		return run_fail_file(f, "%s", e.msg);
	}
	f->diff = d.len > 0 ? buf_detach(&d, NULL) : NULL;
	buf_release(&d);
	return 0;
}

/* Advice when a running Bucardo loaded a file before it was changed. */
void
run_restart_advice(const struct options *o, struct report *r, int only_changed)
{
	struct bucardo_daemon daemon;
	struct err e = ERR_INIT;
	struct stat st;
	size_t i;

	if (running_bucardo(o->pid_fs, o->pid_inner, &daemon, &e) != 1)
		return;
	for (i = 0; i < r->nfiles; i++) {
		const struct file_report *f = &r->files[i];

		if (!f->active || f->failed || (only_changed && !f->changed))
			continue;
		if (!only_changed && (f->real == NULL || stat(f->real, &st) == -1 ||
		    st.st_mtime < daemon.started))
			continue;
		if (asprintf(&r->restart, "Bucardo is running (pid %ld) with the module as it was "
		    "before %s changed: restart it to load the change (bucardo restart)",
		    (long)daemon.pid, f->path) == -1)
			r->restart = NULL;
		return;
	}
}

void
run_mark_active(const struct options *o, struct report *r)
{
	struct discover_options dopt;
	struct err e = ERR_INIT;
	char *active = NULL;
	size_t i;

	if (r->discovered)
		return;
	run_discover_options(o, &dopt);
	if (discover_active(&active, &dopt, &e) == -1 || active == NULL)
		return;
	for (i = 0; i < r->nfiles; i++)
		r->files[i].active = r->files[i].real != NULL && strcmp(r->files[i].real, active) == 0;
	free(active);
}

/*
 * The end of apply and revert: the restart advice when a file Bucardo
 * loaded changed, and the exit status.
 */
int
run_conclude(const struct options *o, struct report *r, int failed)
{
	if (report_changed(r) && !o->check) {
		run_mark_active(o, r);
		run_restart_advice(o, r, 1);
	}
	if (o->detailed_exitcodes)
		return failed ? (report_changed(r) ? EXIT_DETAILED_CHANGED_FAILED :
		    EXIT_DETAILED_FAILED) : report_changed(r) ? EXIT_CHANGED : EXIT_OK;
	return failed ? EXIT_FAILED : EXIT_OK;
}

int
run_begin(struct options *o, struct run_context *c, const char *command,
    enum report_kind kind, int want_active)
{
	c->r.command = command;
	c->r.kind = kind;
	c->r.check_mode = o->check;
	c->r.state_dir = o->state_dir;
	c->r.function = kind == REPORT_HISTORY ? NULL : o->function;
	if (run_load_rules(o, &c->rs, &c->r) == -1 || run_gather(o, &c->r, &c->d, want_active) == -1)
		return -1;
	return 0;
}

void
run_end(const struct options *o, struct run_context *c)
{
	run_finish(o, &c->r);
	report_release(&c->r);
	discovery_release(&c->d);
	rules_release(&c->rs);
}
