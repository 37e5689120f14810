/* cli.c: the command line: options, the command table, and each command's flow. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "atomic.h"
#include "checkdb.h"
#include "crash.h"
#include "diff.h"
#include "discover.h"
#include "hook.h"
#include "report.h"
#include "rewrite.h"
#include "rules.h"
#include "running.h"
#include "store.h"
#include "verify.h"
#include "watchlist.h"

#define PROGNAME		"bucardo-aiven"
#define DEFAULT_FUNCTION	"aiven_extras.session_replication_role"

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_CHANGED = 2,	/* --detailed-exitcodes, something (would have) changed */
	EXIT_NOT_PATCHED = 3,	/* status: a copy is not patched */
	EXIT_NONE_FOUND = 4,	/* status: no copy found */
	EXIT_USAGE = 64		/* EX_USAGE */
};

/* Options that only some commands take; the table says which. */
enum {
	OPT_CHECK = 1 << 0,
	OPT_DIFF = 1 << 1,
	OPT_FUNCTION = 1 << 2,
	OPT_NO_PERL_CHECK = 1 << 3,
	OPT_DETAILED = 1 << 4,
	OPT_FORCE = 1 << 5,
	OPT_KEEP_PERL_ENV = 1 << 6,
	OPT_BUCARDO_DB = 1 << 7,
	OPT_REAPPLY = 1 << 8
};

struct options {
	const char	*root;
	const char	*state_dir;
	const char	*pid_dir;
	const char	*rules_dir;
	const char	*function;
	const char	*bucardo_db;
	int		 json;
	int		 quiet;
	int		 verbose;
	int		 check;
	int		 diff;
	int		 no_perl_check;
	int		 detailed_exitcodes;
	int		 force;
	int		 keep_perl_env;
	int		 reapply;
	unsigned	 lock_timeout;
	unsigned	 seen;		/* OPT_* given on the command line */
	char		**files;
	int		 nfiles;
	char		 root_real[PATH_MAX];	/* realpath of root, "" without one */
	char		 state_buf[PATH_MAX];
	char		 pid_buf[PATH_MAX];
};

struct command {
	const char	*name;
	int		(*run)(struct options *);
	const char	*args;
	const char	*summary;
	unsigned	 accepts;
};

static int	cmd_status(struct options *);
static int	cmd_apply(struct options *);
static int	cmd_revert(struct options *);
static int	cmd_history(struct options *);
static int	cmd_check_db(struct options *);
static int	cmd_hook(struct options *);

static const struct command commands[] = {
	{ "status", cmd_status, "[--function NAME] [FILE ...]",
	    "show every Bucardo.pm, its version and state, and which one perl loads",
	    OPT_FUNCTION },
	{ "apply", cmd_apply,
	    "[--check] [--diff] [--function NAME] [--no-perl-check] [--detailed-exitcodes] "
	    "[--reapply] [FILE ...]",
	    "rewrite the session_replication_role statements (backing up the original)",
	    OPT_CHECK | OPT_DIFF | OPT_FUNCTION | OPT_NO_PERL_CHECK | OPT_DETAILED |
	    OPT_KEEP_PERL_ENV | OPT_REAPPLY },
	{ "revert", cmd_revert, "[--check] [--diff] [--force] [--detailed-exitcodes] [FILE ...]",
	    "put back the original from the backup store", OPT_CHECK | OPT_DIFF | OPT_FORCE |
	    OPT_DETAILED },
	{ "history", cmd_history, "[FILE]",
	    "list what the backup store holds: when, which file, which version, what was done", 0 },
	{ "check-db", cmd_check_db, "[--function NAME] [--bucardo-db CONNINFO] CONNINFO ...",
	    "check that a target database is ready for Bucardo with the patched module",
	    OPT_FUNCTION | OPT_BUCARDO_DB },
	{ "hook", cmd_hook, "install | remove | status",
	    "add or remove the apt hook that re-applies after every package operation", 0 },
};

static void __attribute__((format(printf, 1, 2)))
complain(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A failure of the whole run: on stderr now, and in the JSON document. */
static void __attribute__((format(printf, 2, 3)))
run_fail(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	complain("%s", msg ? msg : "out of memory");
	if (r->error == NULL)
		r->error = msg;
	else
		free(msg);
}

static void
usage(FILE *to)
{
	size_t i;

	fprintf(to, "usage: %s [--root DIR] [--state-dir DIR] [--json] [-q] [-v] COMMAND [ARGS]\n",
	    PROGNAME);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "       %s %s %s\n", PROGNAME, commands[i].name, commands[i].args);
	fprintf(to, "\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(to, "\nglobal options:\n"
	    "  --root DIR        search below DIR instead of /; state in DIR/var/lib/bucardo-aiven\n"
	    "  --state-dir DIR   backup store (default %s)\n"
	    "  --pid-dir DIR     where Bucardo keeps its pid files (default %s)\n"
	    "  --rules DIR       rewrite rules from DIR instead of the built-in patches/\n"
	    "  --lock-timeout N  wait up to N seconds for another run (default 30)\n"
	    "  --json            one JSON document on stdout\n"
	    "  -q, --quiet       print nothing but errors\n"
	    "  -v, --verbose     show each statement found and how it is rewritten\n"
	    "  -h, --help        this text;  -V, --version  the version\n"
	    "\nSee bucardo-aiven(8).\n", DEFAULT_STATE_DIR, DEFAULT_PID_DIR);
}

/* Print the per-file errors on stderr, then the report on stdout. */
static void
finish(const struct options *o, const struct report *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].failed && r->files[i].message != NULL)
			complain("%s", r->files[i].message);
	if (o->json) {
		if (report_print_json(r) == -1)
			complain("cannot write the JSON report");
	} else if (!o->quiet)
		report_print_text(r, o->verbose);
}

static int
fail_file(struct file_report *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail_file(struct file_report *f, const char *fmt, ...)
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

static void
note_file(struct file_report *f, const char *msg)
{
	free(f->message);
	f->message = strdup(msg);
}

/*
 * The name a file goes by in the store and the watch list. Under --root it
 * is the path inside the root, as dpkg --root records paths, so that the
 * state stays true when the tree is booted or used as a chroot.
 */
static const char *
store_name(const struct options *o, const char *real)
{
	size_t n;

	if (o->root == NULL || o->root_real[0] == '\0')
		return real;
	n = strlen(o->root_real);
	if (strncmp(real, o->root_real, n) == 0 && real[n] == '/')
		return real + n;
	return real;
}

static void
discover_options(const struct options *o, struct discover_options *d)
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
static int
gather(struct options *o, struct report *r, struct discovery *d, int want_active)
{
	struct discover_options dopt;
	struct err e = ERR_INIT;
	char *active = NULL, real[PATH_MAX];
	size_t i;
	int k;

	discover_options(o, &dopt);
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
		complain("%s (which copy perl loads is not shown)", e.msg);
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

static int
load_rules(const struct options *o, struct ruleset *rs, struct report *r)
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
static int
examine(const struct options *o, const struct ruleset *rs, struct file_report *f,
    struct target *t, struct analysis *a)
{
	struct err e = ERR_INIT;
	size_t i;

	if (atomic_open(t, f->path, &e) == -1)
		return fail_file(f, "%s", e.msg);
	free(f->real);
	f->real = strdup(t->real);
	if (rewrite_analyze(a, rs, o->function, t->content.data ? t->content.data : "",
	    t->content.len, &e) == -1)
		return fail_file(f, "%s: %s", f->path, e.msg);
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

static int
add_diff(struct file_report *f, const char *path, const struct buf *old, const struct buf *new)
{
	struct buf d = BUF_INIT;
	struct err e = ERR_INIT;

	if (diff_unified(&d, path, old->data, old->len, new->data, new->len, &e) == -1) {
		buf_release(&d);
		return fail_file(f, "%s", e.msg);
	}
	f->diff = d.len > 0 ? buf_detach(&d, NULL) : NULL;
	buf_release(&d);
	return 0;
}

/*
 * perl -c on the staged result, started by the caller (verify_perl_start)
 * so that it runs while the original is backed up. A result that fails while the original
 * compiles is refused; when the original fails too (perl or a dependency
 * such as DBIx::Safe missing) the structural check has to do.
 */
static int
perl_check(const struct options *o, const char *perl, struct file_report *f,
    const struct target *t, const char *staged, struct perl_run *run, int started,
    const struct err *start_err)
{
	struct buf diag = BUF_INIT, odiag = BUF_INIT;
	struct err e = ERR_INIT;
	int v, rc = 0;
	char *nl;

	if (o->no_perl_check) {
		f->perl_check = "skipped";
		return 0;
	}
	if (started == 0)
		v = verify_perl_finish(run, staged, &diag, &e);
	else {
		v = started;
		e = *start_err;
	}
	if (v == -1) {
		rc = fail_file(f, "%s; nothing written", e.msg);
	} else if (v == PERL_COMPILES) {
		f->perl_check = "passed";
	} else if (v == PERL_NOT_RUN) {
		f->perl_check = "not-run";
		note_file(f, "perl could not be run; checked by structure only");
	} else if (verify_perl_compiles(perl, t->real, o->keep_perl_env, 120, &odiag, &e) ==
	    PERL_COMPILES) {
		if ((nl = strchr(diag.data ? diag.data : "", '\n')) != NULL)
			*nl = '\0';
		rc = fail_file(f, "%s: the rewritten file does not compile although the original "
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
	buf_release(&diag);
	buf_release(&odiag);
	return rc;
}

/* Is rewriting orig for function exactly the current content? Sets *version then. */
static int
rewrites_to(const struct ruleset *rs, const char *function, const struct buf *orig,
    const struct buf *current, char **version)
{
	struct analysis a = ANALYSIS_INIT;
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	int same = 0;

	if (orig->len > 0 && rewrite_analyze(&a, rs, function, orig->data, orig->len, &e) == 0 &&
	    (a.state == MODULE_PRISTINE || a.state == MODULE_PARTIAL) &&
	    rewrite_apply(&out, &a, function, orig->data, orig->len, &e) == 0 &&
	    out.len == current->len && memcmp(out.data, current->data, out.len) == 0) {
		same = 1;
		*version = a.version != NULL ? strdup(a.version) : NULL;
	}
	buf_release(&out);
	analysis_release(&a);
	return same;
}

/*
 * Is current what apply makes of orig, for the function given or the one
 * found in the file? That one is read off a rewrite of orig for a marker
 * name, at the marker's place. Sets *function and *version when it is.
 */
static int
made_from(const struct options *o, const struct ruleset *rs, const struct buf *orig,
    const struct buf *current, char **function, char **version)
{
	static const char mark[] = "bucardo_aiven_function_mark";
	struct analysis a = ANALYSIS_INIT;
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	const char *at;
	char *name = NULL;
	size_t pre, n = 0;

	if (rewrites_to(rs, o->function, orig, current, version))
		return (*function = strdup(o->function)) != NULL;
	if (orig->len > 0 && rewrite_analyze(&a, rs, mark, orig->data, orig->len, &e) == 0 &&
	    a.state == MODULE_PRISTINE &&
	    rewrite_apply(&out, &a, mark, orig->data, orig->len, &e) == 0 &&
	    (at = memmem(out.data, out.len, mark, sizeof(mark) - 1)) != NULL) {
		pre = (size_t)(at - out.data);
		while (pre + n < current->len && (isalnum((unsigned char)current->data[pre + n]) ||
		    current->data[pre + n] == '_' || current->data[pre + n] == '.'))
			n++;
		if (pre <= current->len && memcmp(out.data, current->data, pre) == 0)
			name = strndup(current->data + pre, n);
	}
	buf_release(&out);
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
static int
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
	if (!found && store_kept_originals(o->state_dir, store_name(o, t->real), &kept, &n, e) == -1)
		goto cleanup;
	for (i = 0; i < n && !found; i++) {
		buf_reset(&copy);
		/* A damaged copy is no proof; the next one may be. */
		if (store_read_kept(store, store_name(o, t->real), kept[i].id, &copy, &skip) == 0 &&
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
		rec = (struct store_record){ "apply", store_name(o, t->real), version, function,
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
static int
maybe_unrecorded(const struct options *o, const char *real)
{
	struct store_kept *kept = NULL;
	struct err e = ERR_INIT;
	char **paths;
	size_t n, nkept = 0;
	int listed;

	if (o->check || o->reapply || real == NULL ||
	    watchlist_read(&paths, &n, o->state_dir, &e) == -1)
		return 0;
	real = store_name(o, real);
	listed = watchlist_has(paths, n, real);
	watchlist_free(paths, n);
	if (listed || store_kept_originals(o->state_dir, real, &kept, &nkept, &e) == -1)
		return 0;
	free(kept);
	return nkept > 0;
}

/*
 * An already patched file under the lock: when an interrupted run of ours
 * wrote it, record what it did and keep the file patched from now on.
 */
static int
finish_patched(const struct options *o, const struct ruleset *rs, struct store *store,
    const struct target *t, struct file_report *f)
{
	struct buf original = BUF_INIT;
	struct err e = ERR_INIT;
	char original_id[41], written_id[41], current_id[41];
	int known, ours, rc = -1;

	if ((known = store_lookup(store, store_name(o, t->real), &original, original_id, written_id, &e)) == -1 ||
	    store_blob_id(store, t->content.data, t->content.len, current_id, &e) == -1)
		goto fail;
	ours = strcmp(current_id, written_id) == 0;
	if (!ours && (ours = adopt_unrecorded(o, rs, store, t, &original, known, &e)) == -1)
		goto fail;
	if (ours && strcmp(current_id, written_id) != 0)
		note_file(f, "an interrupted run had patched it; the history now records that");
	if (ours && watchlist_update(o->state_dir, store_name(o, t->real), 1, &e) == -1)
		goto fail;
	rc = 0;
	goto cleanup;
fail:
	fail_file(f, "%s", e.msg);
cleanup:
	buf_release(&original);
	return rc;
}

/* Patch one file under the store's lock; re-reads it, as another run may have. */
static int
patch_one(const struct options *o, const struct ruleset *rs, struct store *store,
    const char *perl, struct file_report *f)
{
	struct target t = TARGET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct staged s = STAGED_INIT;
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	struct store_record rec;
	struct perl_run run = PERL_RUN_INIT;
	struct err perr = ERR_INIT;
	char id[41];
	int rc = -1, started = PERL_NOT_RUN;

	if (examine(o, rs, f, &t, &a) == -1)
		goto cleanup;
	crash_point("after-read");
	if (a.state == MODULE_UNSUPPORTED) {
		fail_file(f, "%s: %s; nothing written", f->path, a.reason);
		goto cleanup;
	}
	if (a.state == MODULE_PATCHED) {
		f->action = "already patched";
		f->state_after = f->state;
		rc = finish_patched(o, rs, store, &t, f);
		goto cleanup;
	}
	if (rewrite_apply(&out, &a, o->function, t.content.data, t.content.len, &e) == -1 ||
	    rewrite_verify(rs, o->function, f->path, &a, t.content.data, t.content.len,
	    out.data, out.len, &e) == -1) {
		fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	if (o->diff && add_diff(f, t.real, &t.content, &out) == -1)
		goto cleanup;
	if (atomic_stage(&s, &t, out.data, out.len, &e) == -1) {
		fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	/*
	 * perl -c takes a tenth of a second: it runs while the original is
	 * kept in the store, on the other core, and its verdict is awaited
	 * before anything is replaced.
	 */
	if (!o->no_perl_check)
		started = verify_perl_start(&run, perl, s.tmp, o->keep_perl_env, 120, &perr);
	/* The original is safe in the store before anything replaces it. */
	if (store_keep_original(store, store_name(o, t.real), t.content.data, t.content.len, id, &e) == -1) {
		fail_file(f, "%s; nothing written", e.msg);
		goto cleanup;
	}
	if (perl_check(o, perl, f, &t, s.tmp, &run, started, &perr) == -1)
		goto cleanup;
	if (atomic_commit(&s, &t, &e) == -1) {
		fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	f->changed = 1;
	f->action = "patched";
	f->state_after = "patched";
	rec = (struct store_record){ "apply", store_name(o, t.real), a.version, o->function,
	    t.content.data, t.content.len, out.data, out.len, 0 };
	crash_point("before-history");
	if (store_commit(store, &rec, &e) == -1) {
		fail_file(f, "%s: patched, but the history could not be recorded (%s); "
		    "run apply again to record it", f->path, e.msg);
		goto cleanup;
	}
	crash_point("after-history");
	if (watchlist_update(o->state_dir, store_name(o, t.real), 1, &e) == -1) {
		fail_file(f, "%s: patched, but it could not be added to the files kept patched "
		    "(%s); run apply again to add it", f->path, e.msg);
		goto cleanup;
	}
	rc = 0;
cleanup:
	verify_perl_abort(&run);
	atomic_abort(&s);
	buf_release(&out);
	analysis_release(&a);
	atomic_release(&t);
	return rc;
}

/* Advice when a running Bucardo loaded a file before it was changed. */
static void
restart_advice(const struct options *o, struct report *r, int only_changed)
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

static void
mark_active(const struct options *o, struct report *r)
{
	struct discover_options dopt;
	struct err e = ERR_INIT;
	char *active = NULL;
	size_t i;

	if (r->discovered)
		return;
	discover_options(o, &dopt);
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
static int
conclude(const struct options *o, struct report *r, int failed)
{
	if (report_changed(r) && !o->check) {
		mark_active(o, r);
		restart_advice(o, r, 1);
	}
	if (failed)
		return EXIT_FAILED;
	return report_changed(r) && o->detailed_exitcodes ? EXIT_CHANGED : EXIT_OK;
}

static int
cmd_apply(struct options *o)
{
	struct report r = REPORT_INIT;
	struct discovery d = DISCOVERY_INIT;
	struct ruleset rs = RULESET_INIT;
	struct store *store = NULL;
	struct err e = ERR_INIT;
	char *perl = NULL;
	size_t i, todo = 0;
	int status = EXIT_FAILED, failed = 0;

	r.command = "apply";
	r.check_mode = o->check;
	r.state_dir = o->state_dir;
	r.function = o->function;
	if (load_rules(o, &rs, &r) == -1 || gather(o, &r, &d, 0) == -1)
		goto done;

	/* First a read-only pass: the already-patched path writes and locks nothing. */
	for (i = 0; i < r.nfiles; i++) {
		struct file_report *f = &r.files[i];
		struct target t = TARGET_INIT;
		struct analysis a = ANALYSIS_INIT;
		struct buf out = BUF_INIT;

		if (examine(o, &rs, f, &t, &a) == -1) {
			failed = 1;
		} else if (a.state == MODULE_UNSUPPORTED) {
			fail_file(f, "%s: %s; nothing written", f->path, a.reason);
			failed = 1;
		} else if (a.state == MODULE_PATCHED && maybe_unrecorded(o, t.real)) {
			todo++;		/* patch_one records what an interrupted run did */
		} else if (a.state == MODULE_PATCHED) {
			f->action = "already patched";
			f->state_after = f->state;
		} else if (o->check) {
			if (rewrite_apply(&out, &a, o->function, t.content.data, t.content.len, &e) == -1 ||
			    rewrite_verify(&rs, o->function, f->path, &a, t.content.data,
			    t.content.len, out.data, out.len, &e) == -1) {
				fail_file(f, "%s", e.msg);
				failed = 1;
			} else if (o->diff && add_diff(f, t.real, &t.content, &out) == -1) {
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
	if (r.nfiles == 0 && r.discovered) {
		run_fail(&r, "no Bucardo.pm found; give its path, or see 'bucardo-aiven status'");
		goto done;
	}
	if (r.nfiles == 0 && o->reapply) {
		status = EXIT_OK;	/* nothing was ever patched here: nothing to keep */
		goto done;
	}
	/* All or nothing: one refused copy stops the run before any is written. */
	if (failed || todo == 0 || o->check) {
		status = failed ? EXIT_FAILED : report_changed(&r) && o->detailed_exitcodes ?
		    EXIT_CHANGED : EXIT_OK;
		goto done;
	}

	if (store_open(&store, o->state_dir, STORE_WRITE, o->lock_timeout, &e) == -1) {
		run_fail(&r, "%s", e.msg);
		goto done;
	}
	crash_point("after-lock");
	if (!o->no_perl_check) {
		struct discover_options dopt;

		discover_options(o, &dopt);
		perl = discover_perl(&dopt);
	}
	for (i = 0; i < r.nfiles; i++) {
		struct file_report *f = &r.files[i];

		if (f->state_after != NULL)
			continue;
		if (patch_one(o, &rs, store, perl ? perl : "perl", f) == -1)
			failed = 1;
	}
	status = conclude(o, &r, failed);
done:
	finish(o, &r);
	free(perl);
	store_close(store);
	report_release(&r);
	discovery_release(&d);
	rules_release(&rs);
	return status;
}

static int
cmd_status(struct options *o)
{
	struct report r = REPORT_INIT;
	struct discovery d = DISCOVERY_INIT;
	struct ruleset rs = RULESET_INIT;
	size_t i;
	int status = EXIT_FAILED, unreadable = 0, unpatched = 0;

	r.command = "status";
	r.state_dir = o->state_dir;
	r.function = o->function;
	if (load_rules(o, &rs, &r) == -1 || gather(o, &r, &d, 1) == -1)
		goto done;
	for (i = 0; i < r.nfiles; i++) {
		struct file_report *f = &r.files[i];
		struct target t = TARGET_INIT;
		struct analysis a = ANALYSIS_INIT;

		if (examine(o, &rs, f, &t, &a) == -1)
			unreadable = 1;
		else if (a.state != MODULE_PATCHED) {
			unpatched = 1;
			if (a.state == MODULE_UNSUPPORTED)
				note_file(f, a.reason);
		}
		analysis_release(&a);
		atomic_release(&t);
	}
	restart_advice(o, &r, 0);
	status = unreadable ? EXIT_FAILED : r.nfiles == 0 ? EXIT_NONE_FOUND :
	    unpatched ? EXIT_NOT_PATCHED : EXIT_OK;
done:
	finish(o, &r);
	report_release(&r);
	discovery_release(&d);
	rules_release(&rs);
	return status;
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
	char original_id[41], written_id[41] = "", current_id[41];
	int rc = -1, known, adopted;

	if (atomic_open(&t, f->path, &e) == -1)
		return fail_file(f, "%s", e.msg);
	crash_point("after-read");
	f->real = strdup(t.real);
	if ((known = store_lookup(store, store_name(o, t.real), &original, original_id, written_id, &e)) == -1 ||
	    store_blob_id(store, t.content.data, t.content.len, current_id, &e) == -1) {
		fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	if (strcmp(current_id, written_id) != 0 &&
	    (known == 0 || strcmp(current_id, original_id) != 0)) {
		if ((adopted = adopt_unrecorded(o, rs, store, &t, &original, known, &e)) == -1 ||
		    (adopted && store_blob_id(store, original.data ? original.data : "",
		    original.len, original_id, &e) == -1)) {
			fail_file(f, "%s", e.msg);
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
		fail_file(f, "%s: the backup store %s holds no original of this file; "
		    "nothing to revert (reinstall the package that owns it to get a pristine copy)",
		    f->path, o->state_dir);
		goto cleanup;
	}
	if (strcmp(current_id, original_id) == 0) {
		f->action = "already original";
		/* Put back by a run stopped before it recorded that, or by hand. */
		if (!o->check && written_id[0] != '\0') {
			if (store_read_written(store, store_name(o, t.real), &written, &e) == -1) {
				fail_file(f, "%s", e.msg);
				goto cleanup;
			}
			rec = (struct store_record){ "revert", store_name(o, t.real), NULL, NULL,
			    written.data ? written.data : "", written.len,
			    t.content.data, t.content.len, 1 };
			if (store_commit(store, &rec, &e) == -1) {
				fail_file(f, "%s", e.msg);
				goto cleanup;
			}
			note_file(f, "put back before the history recorded it; the history now does");
		}
		if (!o->check && watchlist_update(o->state_dir, store_name(o, t.real), 0, &e) == -1) {
			fail_file(f, "%s: still listed as kept patched (%s)", f->path, e.msg);
			goto cleanup;
		}
		rc = 0;
		goto cleanup;
	}
	if (strcmp(current_id, written_id) != 0 && !o->force) {
		fail_file(f, "%s: the file is not what bucardo-aiven wrote (a package upgrade or "
		    "a hand edit since?); not reverted; --force puts the stored original back anyway",
		    f->path);
		goto cleanup;
	}
	if (o->diff && add_diff(f, t.real, &t.content, &original) == -1)
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
		fail_file(f, "%s", e.msg);
		goto cleanup;
	}
	f->action = "reverted";
	rec = (struct store_record){ "revert", store_name(o, t.real), NULL, NULL, t.content.data, t.content.len,
	    original.data, original.len, 1 };
	crash_point("before-history");
	if (store_commit(store, &rec, &e) == -1) {
		fail_file(f, "%s: reverted, but the history could not be recorded (%s)", f->path,
		    e.msg);
		goto cleanup;
	}
	/* Reverted on purpose: no package trigger may patch it again. */
	crash_point("after-history");
	if (watchlist_update(o->state_dir, store_name(o, t.real), 0, &e) == -1) {
		fail_file(f, "%s: reverted, but it is still listed as kept patched (%s)",
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

	if (examine(o, rs, f, &t, &a) == -1)
		goto cleanup;
	if (a.state == MODULE_PRISTINE) {
		f->action = "not patched; nothing to revert";
		rc = 0;
	} else if (a.state == MODULE_UNSUPPORTED)
		fail_file(f, "%s: %s; nothing to revert", f->path, a.reason);
	else
		fail_file(f, "%s: is %s, but %s holds no backup of it (patched by hand, or with "
		    "another --state-dir?); reinstall the package that owns it "
		    "(apt-get install --reinstall bucardo) for a pristine copy", f->path,
		    rewrite_state_name(a.state), o->state_dir);
cleanup:
	analysis_release(&a);
	atomic_release(&t);
	return rc;
}

static int
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
	if (load_rules(o, &rs, &r) == -1 || gather(o, &r, &d, 0) == -1)
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
	status = conclude(o, &r, failed);
done:
	finish(o, &r);
	store_close(store);
	report_release(&r);
	discovery_release(&d);
	rules_release(&rs);
	return status;
}

static int
cmd_history(struct options *o)
{
	struct report r = REPORT_INIT;
	struct store *store = NULL;
	struct err e = ERR_INIT;
	struct stat st;
	char real[PATH_MAX];
	const char *filter = NULL;
	int status = EXIT_FAILED;

	r.command = "history";
	r.state_dir = o->state_dir;
	if (o->nfiles > 1) {
		complain("history takes at most one FILE");
		return EXIT_USAGE;
	}
	if (o->nfiles == 1)
		filter = store_name(o, realpath(o->files[0], real) != NULL ? real : o->files[0]);
	if (stat(o->state_dir, &st) == -1 && errno == ENOENT) {
		status = EXIT_OK;	/* nothing was ever recorded */
		goto done;
	}
	if (store_open(&store, o->state_dir, STORE_READ, o->lock_timeout, &e) == -1 ||
	    store_history(store, filter, &r.events, &r.nevents, &e) == -1) {
		run_fail(&r, "%s", e.msg);
		goto done;
	}
	status = EXIT_OK;
done:
	finish(o, &r);
	store_close(store);
	report_release(&r);
	return status;
}

/* The absolute path of this binary, for the hook to run. */
static char *
self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return strdup("/usr/sbin/" PROGNAME);
	buf[n] = '\0';
	return strdup(buf);
}

static int
cmd_hook(struct options *o)
{
	struct err e = ERR_INIT;
	char *binary, *path;
	int rc;

	if (o->nfiles != 1) {
		complain("hook takes one of: install, remove, status");
		return EXIT_USAGE;
	}
	path = hook_path(o->root);
	if (strcmp(o->files[0], "status") == 0) {
		int on = hook_installed(o->root);

		if (o->json) {
			json_object *doc = json_object_new_object();

			json_object_object_add(doc, "command", json_object_new_string("hook"));
			json_object_object_add(doc, "installed", json_object_new_boolean(on));
			json_object_object_add(doc, "path", json_object_new_string(path ? path : ""));
			puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(doc);
		} else if (!o->quiet)
			printf("%s: %s\n", path ? path : "apt hook", on ? "installed" : "not installed");
		free(path);
		return on ? EXIT_OK : EXIT_NOT_PATCHED;
	}
	if (strcmp(o->files[0], "install") == 0) {
		binary = self_path();
		rc = binary == NULL ? err_sys(&e, NULL, "out of memory") :
		    hook_install(o->root, binary, &e);
		free(binary);
	} else if (strcmp(o->files[0], "remove") == 0) {
		rc = hook_remove(o->root, &e);
	} else {
		free(path);
		complain("hook %s: unknown; use install, remove or status", o->files[0]);
		return EXIT_USAGE;
	}
	if (rc == -1)
		complain("%s", e.msg);
	else if (!o->quiet)
		printf("%s: %s\n", path ? path : "apt hook",
		    strcmp(o->files[0], "install") == 0 ? "installed" : "removed");
	free(path);
	return rc == -1 ? EXIT_FAILED : EXIT_OK;
}

static int
cmd_check_db(struct options *o)
{
	struct checkdb_options c;

	if (o->nfiles == 0) {
		complain("check-db needs at least one CONNINFO (e.g. 'host=... dbname=... user=...' "
		    "or postgres://user@host/db)");
		return EXIT_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.conninfos = o->files;
	c.nconninfos = o->nfiles;
	c.function = o->function;
	c.bucardo_db = o->bucardo_db;
	c.json = o->json;
	c.quiet = o->quiet;
	c.verbose = o->verbose;
	c.connect_timeout = 10;
	return checkdb_run(&c);
}

static int
parse_timeout(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > 86400)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { LONG_ROOT = 256, LONG_STATE, LONG_PID, LONG_RULES, LONG_FUNCTION, LONG_CHECK,
		LONG_DIFF, LONG_NO_PERL, LONG_DETAILED, LONG_FORCE, LONG_JSON, LONG_LOCK,
		LONG_KEEP_ENV, LONG_BUCARDO_DB, LONG_REAPPLY };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, LONG_ROOT },
		{ "state-dir", required_argument, NULL, LONG_STATE },
		{ "pid-dir", required_argument, NULL, LONG_PID },
		{ "rules", required_argument, NULL, LONG_RULES },
		{ "lock-timeout", required_argument, NULL, LONG_LOCK },
		{ "function", required_argument, NULL, LONG_FUNCTION },
		{ "check", no_argument, NULL, LONG_CHECK },
		{ "diff", no_argument, NULL, LONG_DIFF },
		{ "no-perl-check", no_argument, NULL, LONG_NO_PERL },
		{ "keep-perl-env", no_argument, NULL, LONG_KEEP_ENV },
		{ "detailed-exitcodes", no_argument, NULL, LONG_DETAILED },
		{ "force", no_argument, NULL, LONG_FORCE },
		{ "bucardo-db", required_argument, NULL, LONG_BUCARDO_DB },
		{ "reapply", no_argument, NULL, LONG_REAPPLY },
		{ "json", no_argument, NULL, LONG_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o;
	const struct command *cmd = NULL;
	struct stat st;
	size_t i;
	int c;

	memset(&o, 0, sizeof(o));
	o.function = DEFAULT_FUNCTION;
	o.lock_timeout = 30;
	while ((c = getopt_long(argc, argv, "qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case LONG_ROOT: o.root = optarg; break;
		case LONG_STATE: o.state_dir = optarg; break;
		case LONG_PID: o.pid_dir = optarg; break;
		case LONG_RULES: o.rules_dir = optarg; break;
		case LONG_FUNCTION: o.function = optarg; o.seen |= OPT_FUNCTION; break;
		case LONG_CHECK: o.check = 1; o.seen |= OPT_CHECK; break;
		case LONG_DIFF: o.diff = 1; o.seen |= OPT_DIFF; break;
		case LONG_NO_PERL: o.no_perl_check = 1; o.seen |= OPT_NO_PERL_CHECK; break;
		case LONG_KEEP_ENV: o.keep_perl_env = 1; o.seen |= OPT_KEEP_PERL_ENV; break;
		case LONG_DETAILED: o.detailed_exitcodes = 1; o.seen |= OPT_DETAILED; break;
		case LONG_FORCE: o.force = 1; o.seen |= OPT_FORCE; break;
		case LONG_BUCARDO_DB: o.bucardo_db = optarg; o.seen |= OPT_BUCARDO_DB; break;
		case LONG_REAPPLY: o.reapply = 1; o.seen |= OPT_REAPPLY; break;
		case LONG_JSON: o.json = 1; break;
		case LONG_LOCK:
			if (parse_timeout(optarg, &o.lock_timeout) == -1) {
				complain("--lock-timeout: '%s' is not a number of seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("%s %s\n", PROGNAME, PACKAGE_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		complain("%s: unknown command; try --help", argv[optind]);
		return EXIT_USAGE;
	}
	if (o.seen & ~cmd->accepts) {
		complain("%s: an option given does not apply to this command; try --help", cmd->name);
		return EXIT_USAGE;
	}
	if (!rules_function_ok(o.function)) {
		complain("--function %s: not a plain SQL function name (schema.name, letters, "
		    "digits and _ only)", o.function);
		return EXIT_USAGE;
	}
	if (o.root != NULL) {
		if (stat(o.root, &st) == -1 || !S_ISDIR(st.st_mode)) {
			complain("%s: --root must be an existing directory", o.root);
			return EXIT_USAGE;
		}
		if (strcmp(o.root, "/") == 0)
			o.root = NULL;
		else if (realpath(o.root, o.root_real) == NULL) {
			complain("%s: --root cannot be resolved", o.root);
			return EXIT_USAGE;
		}
	}
	if (o.state_dir == NULL) {
		snprintf(o.state_buf, sizeof(o.state_buf), "%s%s", o.root ? o.root : "",
		    DEFAULT_STATE_DIR);
		o.state_dir = o.state_buf;
	}
	if (o.pid_dir == NULL) {
		snprintf(o.pid_buf, sizeof(o.pid_buf), "%s%s", o.root ? o.root : "", DEFAULT_PID_DIR);
		o.pid_dir = o.pid_buf;
	}
	o.files = argv + optind + 1;
	o.nfiles = argc - optind - 1;
	return cmd->run(&o);
}
