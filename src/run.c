/* run.c: what every command's run shares: the files it works on, judging them, reporting. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff.h"
#include "running.h"
#include "watchlist.h"
#include "run.h"

void
run_complain(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

/*
 * The name a file goes by in the store and the watch list. Under --root it
 * is the path inside the root, as dpkg --root records paths, so that the
 * state stays true when the tree is booted or used as a chroot.
 */
const char *
run_store_name(const struct options *o, const char *real)
{
	size_t n;

	if (o->root == NULL || o->root_real[0] == '\0')
		return real;
	n = strlen(o->root_real);
	if (strncmp(real, o->root_real, n) == 0 && real[n] == '/')
		return real + n;
	return real;
}

void
run_discover_options(const struct options *o, struct discover_options *d)
{
	d->root = o->root;
	d->path_env = getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
	d->home = getenv("HOME");
}

/*
 * apply --reapply works on the files apply patched before (STATE/watchlist),
 * limited to the FILEs given, if any. A listed file that is gone (its
 * package was removed) is left out: nothing to keep patched.
 */
static int
gather_watched(struct options *o, struct report *r)
{
	struct err e = ERR_INIT;
	struct stat st;
	char **paths, real[PATH_MAX];
	size_t n, i;
	int k, keep, rc = 0;

	if (watchlist_read(&paths, &n, o->state_dir, &e) == -1) {
		run_fail(r, "%s", e.msg);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX];

		/* Under --root the list holds paths inside the root (store_name). */
		if (snprintf(path, sizeof(path), "%s%s", o->root != NULL ? o->root_real : "",
		    paths[i]) >= (int)sizeof(path))
			continue;
		keep = o->nfiles == 0;
		for (k = 0; k < o->nfiles && !keep; k++)
			keep = realpath(o->files[k], real) != NULL && strcmp(real, path) == 0;
		if (keep && lstat(path, &st) == 0 && report_add(r, path) == NULL)
			rc = -1;
	}
	watchlist_free(paths, n);
	return rc;
}

/*
 * The files a command works on: the ones given, or every copy discovery
 * finds. want_active asks which one perl loads (costs one perl run when
 * files are given).
 */
int
run_gather(struct options *o, struct report *r, struct discovery *d, int want_active)
{
	struct discover_options dopt;
	struct err e = ERR_INIT;
	char *active = NULL, real[PATH_MAX];
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
		for (i = 0; i < d->ncopies; i++) {
			struct file_report *f = report_add(r, d->copies[i].path);

			if (f == NULL)
				return -1;
			f->active = d->copies[i].active;
		}
		return 0;
	}
	if (want_active && discover_active(&active, &dopt, &e) == -1)
		run_complain("%s (which copy perl loads is not shown)", e.msg);
	for (k = 0; k < o->nfiles; k++) {
		struct file_report *f = report_add(r, o->files[k]);

		if (f == NULL)
			return -1;
		f->active = active != NULL && realpath(o->files[k], real) != NULL &&
		    strcmp(real, active) == 0;
	}
	free(active);
	return 0;
}

int
run_load_rules(const struct options *o, struct ruleset *rs, struct report *r)
{
	struct err e = ERR_INIT;
	int rc;

	rc = o->rules_dir != NULL ? rules_load_dir(rs, o->rules_dir, &e) :
	    rules_load_builtin(rs, &e);
	if (rc == -1)
		run_fail(r, "%s", e.msg);
	return rc;
}

/* Read and judge one file, filling its report entry. */
int
run_examine(const struct options *o, const struct ruleset *rs, struct file_report *f,
    struct target *t, struct analysis *a)
{
	struct err e = ERR_INIT;
	size_t i;

	if (atomic_open(t, f->path, &e) == -1)
		return run_fail_file(f, "%s", e.msg);
	free(f->real);
	f->real = strdup(t->real);
	if (rewrite_analyze(a, rs, o->function, t->content.data ? t->content.data : "",
	    t->content.len, &e) == -1)
		return run_fail_file(f, "%s: %s", f->path, e.msg);
	for (i = 0; i < f->nstatements; i++) {
		free(f->statements[i].sub);
		free(f->statements[i].before);
		free(f->statements[i].after);
	}
	f->nstatements = 0;
	f->state = rewrite_state_name(a->state);
	free(f->version);
	f->version = a->version ? strdup(a->version) : NULL;
	free(f->layout);
	f->layout = a->layout ? strdup(a->layout->name) : NULL;
	if (a->state == MODULE_UNSUPPORTED)
		return 0;
	for (i = 0; i < a->nsites; i++) {
		const struct site *s = &a->sites[i];
		char *after = NULL;

		if (!s->patched) {
			const char *at = strstr(s->rule->becomes, "{function}");

			if (asprintf(&after, "%.*s%s%s", (int)(at - s->rule->becomes),
			    s->rule->becomes, o->function, at + 10) == -1)
				after = NULL;
		}
		report_statement(f, s->rule->sub, s->line, s->sql, after);
		free(after);
	}
	return 0;
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

	if (running_bucardo(o->pid_dir, &daemon, &e) != 1)
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
	if (failed)
		return EXIT_FAILED;
	return report_changed(r) && o->detailed_exitcodes ? EXIT_CHANGED : EXIT_OK;
}
