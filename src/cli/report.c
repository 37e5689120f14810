/* report.c: printing a run's results as lines for people or as one JSON document. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "base/base.h"
#include "report.h"

/* Set once a document is out: the process prints at most one. */
static int json_emitted;

struct file_report *
report_add(struct report *r, const char *path)
{
	struct file_report *f = reallocarray(r->files, r->nfiles + 1, sizeof(*f));

	if (f == NULL)
		return NULL;
	r->files = f;
	f = &r->files[r->nfiles];
	memset(f, 0, sizeof(*f));
	f->want_form = RULE_FORMS;
	if ((f->path = strdup(path)) == NULL)
		return NULL;
	r->nfiles++;
	return f;
}

int
report_statement(struct file_report *f, const char *sub, unsigned line, const char *before,
    const char *after, const char *note)
{
	struct statement_report *s;

	s = reallocarray(f->statements, f->nstatements + 1, sizeof(*s));
	if (s == NULL)
		return -1;
	f->statements = s;
	s = &f->statements[f->nstatements++];
	s->sub = strdup(sub);
	s->line = line;
	s->before = strdup(before);
	s->after = after ? strdup(after) : NULL;
	s->note = note ? strdup(note) : NULL;
	return s->sub && s->before && (after == NULL || s->after) && (note == NULL || s->note) ?
	    0 : -1;
}

int
report_changed(const struct report *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].changed)
			return 1;
	return 0;
}

int
report_warn(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char **nw, *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n == -1)
		return -1;
	if ((nw = reallocarray(r->warnings, r->nwarnings + 1, sizeof(*nw))) == NULL) {
		free(msg);
		return -1;
	}
	nw[r->nwarnings++] = msg;
	r->warnings = nw;
	return 0;
}

static void
print_lines(const char *sub, const struct file_report *f)
{
	size_t i;

	for (i = 0; i < f->nstatements; i++) {
		esc_fprintf(stdout, "%s sub %s, line %u: %s%s%s\n", sub, f->statements[i].sub,
		    f->statements[i].line, f->statements[i].before,
		    f->statements[i].after ? "  ->  " : "",
		    f->statements[i].after ? f->statements[i].after : "");
		if (f->statements[i].note != NULL)
			esc_fprintf(stdout, "%s   note: %s\n", sub, f->statements[i].note);
	}
}

static void
print_status(const struct report *r, int verbose)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++) {
		const struct file_report *f = &r->files[i];

		if (f->state == NULL)
			continue;	/* unreadable: the error is on stderr */
		esc_fprintf(stdout, "%-11s %-8s %-7s %s\n", f->state,
		    f->version ? f->version : "?", f->active ? "active" : "-", f->path);
		if (f->message != NULL)
			esc_fprintf(stdout, "            %s\n", f->message);
		if (verbose)
			print_lines("           ", f);
	}
}

static void
print_actions(const struct report *r, int verbose)
{
	size_t i, j;

	for (i = 0; i < r->nfiles; i++) {
		const struct file_report *f = &r->files[i];

		if (f->diff != NULL)
			esc_fputs_multiline(stdout, f->diff);
		if (f->failed || f->action == NULL)
			continue;
		esc_fprintf(stdout, "%s: %s", f->path, f->action);
		if (f->version != NULL)
			esc_fprintf(stdout, " (Bucardo %s", f->version);
		for (j = 0; f->changed && j < f->nstatements; j++)
			esc_fprintf(stdout, "%s sub %s line %u", j == 0 ? ";" : ",",
			    f->statements[j].sub, f->statements[j].line);
		esc_fprintf(stdout, "%s\n", f->version != NULL ? ")" : "");
		if (f->message != NULL)
			esc_fprintf(stdout, "  %s\n", f->message);
		if (verbose)
			print_lines("  ", f);
	}
}

static void
print_history(const struct report *r)
{
	size_t i;

	if (r->nevents == 0) {
		esc_fprintf(stdout, "no recorded changes in %s\n", r->state_dir);
		return;
	}
	for (i = 0; i < r->nevents; i++) {
		const struct store_event *ev = &r->events[i];
		char when[32];
		struct tm tm;

		localtime_r(&ev->when, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		esc_fprintf(stdout, "%s  %-6s  %s  Bucardo %s  %.12s..%.12s  %s\n", when,
		    ev->action, ev->path, ev->bucardo_version ? ev->bucardo_version : "?",
		    ev->before, ev->after, ev->tool_version ? ev->tool_version : "");
	}
}

/* print_history has no verbose form: the same lines either way. */
static void
print_history_text(const struct report *r, int verbose)
{
	(void)verbose;
	print_history(r);
}

static json_object *json_events(const struct report *r);

/*
 * The printers of each kind of report: its lines for people, and what its
 * JSON document holds beside the shared keys (NULL: nothing more).
 */
static const struct {
	void		 (*text)(const struct report *, int);
	json_object	*(*json_extra)(const struct report *);
	const char	*json_key;
} printers[] = {
	[REPORT_ACTIONS] = { print_actions, NULL, NULL },
	[REPORT_STATUS] = { print_status, NULL, NULL },
	[REPORT_HISTORY] = { print_history_text, json_events, "events" },
};

void
report_print_text(const struct report *r, int verbose)
{
	size_t i;

	printers[r->kind].text(r, verbose);
	if (r->nfiles == 0 && r->discovered && r->nsearched > 0) {
		esc_fprintf(stdout, "no Bucardo.pm found; looked in:\n");
		for (i = 0; i < r->nsearched; i++)
			esc_fprintf(stdout, "  %s\n", r->searched[i]);
	}
	if (r->warning != NULL)
		esc_fprintf(stdout, "%s\n", r->warning);
	for (i = 0; i < r->nwarnings; i++)
		esc_fprintf(stdout, "warning: %s\n", r->warnings[i]);
	if (r->restart != NULL)
		esc_fprintf(stdout, "%s\n", r->restart);
}

json_object *
report_json_string(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
json_file(const struct file_report *f)
{
	json_object *o = json_object_new_object(), *stmts = json_object_new_array();
	size_t i;

	json_object_object_add(o, "path", report_json_string(f->path));
	json_object_object_add(o, "real_path", report_json_string(f->real));
	json_object_object_add(o, "version", report_json_string(f->version));
	json_object_object_add(o, "layout", report_json_string(f->layout));
	json_object_object_add(o, "state", report_json_string(f->state));
	json_object_object_add(o, "form", report_json_string(f->form));
	if (f->state_after != NULL)
		json_object_object_add(o, "state_after", report_json_string(f->state_after));
	json_object_object_add(o, "active", json_object_new_boolean(f->active));
	json_object_object_add(o, "changed", json_object_new_boolean(f->changed));
	json_object_object_add(o, "failed", json_object_new_boolean(f->failed));
	if (f->untrusted) {
		json_object *t = json_object_new_object();

		/* Who could change it, and where: the trust rule's first refusal. */
		json_object_object_add(t, "path", report_json_string(f->fault_path));
		json_object_object_add(t, "uid", json_object_new_int64(f->fault_uid));
		json_object_object_add(o, "untrusted", t);
	}
	if (f->action != NULL)
		json_object_object_add(o, "action", report_json_string(f->action));
	if (f->perl_check != NULL)
		json_object_object_add(o, "perl_check", report_json_string(f->perl_check));
	json_object_object_add(o, f->failed ? "error" : "message", report_json_string(f->message));
	if (f->diff != NULL)
		json_object_object_add(o, "diff", report_json_string(f->diff));
	for (i = 0; i < f->nstatements; i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "sub", report_json_string(f->statements[i].sub));
		json_object_object_add(s, "line", json_object_new_int((int)f->statements[i].line));
		json_object_object_add(s, "before", report_json_string(f->statements[i].before));
		json_object_object_add(s, "after", report_json_string(f->statements[i].after));
		json_object_object_add(s, "note", report_json_string(f->statements[i].note));
		json_object_array_add(stmts, s);
	}
	json_object_object_add(o, "statements", stmts);
	return o;
}

static json_object *
json_event(const struct store_event *ev)
{
	json_object *o = json_object_new_object();
	char when[32];
	struct tm tm;

	gmtime_r(&ev->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "commit", report_json_string(ev->commit));
	json_object_object_add(o, "action", report_json_string(ev->action));
	json_object_object_add(o, "path", report_json_string(ev->path));
	json_object_object_add(o, "version", report_json_string(ev->bucardo_version));
	json_object_object_add(o, "tool_version", report_json_string(ev->tool_version));
	json_object_object_add(o, "function", report_json_string(ev->function));
	json_object_object_add(o, "before", report_json_string(ev->before));
	json_object_object_add(o, "after", report_json_string(ev->after));
	return o;
}

/* history's events, newest first, as the store listed them. */
static json_object *
json_events(const struct report *r)
{
	json_object *events = json_object_new_array();
	size_t i;

	for (i = 0; events != NULL && i < r->nevents; i++)
		json_object_array_add(events, json_event(&r->events[i]));
	return events;
}

int
report_print_json(const struct report *r)
{
	json_object *doc = json_object_new_object(), *files = json_object_new_array();
	json_object *searched = json_object_new_array(), *warnings;
	size_t i;
	int failed = 0, rc;

	if (doc == NULL || files == NULL || searched == NULL)
		return -1;
	json_object_object_add(doc, "command", report_json_string(r->command));
	json_object_object_add(doc, "changed", json_object_new_boolean(report_changed(r)));
	json_object_object_add(doc, "check_mode", json_object_new_boolean(r->check_mode));
	json_object_object_add(doc, "state_dir", report_json_string(r->state_dir));
	if (r->function != NULL)
		json_object_object_add(doc, "function", report_json_string(r->function));
	for (i = 0; i < r->nfiles; i++) {
		json_object_array_add(files, json_file(&r->files[i]));
		failed |= r->files[i].failed;
	}
	json_object_object_add(doc, "failed", json_object_new_boolean(failed || r->error != NULL));
	json_object_object_add(doc, "error", report_json_string(r->error));
	json_object_object_add(doc, "files", files);
	for (i = 0; i < r->nsearched; i++)
		json_object_array_add(searched, report_json_string(r->searched[i]));
	json_object_object_add(doc, "searched", searched);
	json_object_object_add(doc, "restart", report_json_string(r->restart));
	json_object_object_add(doc, "warning", report_json_string(r->warning));
	warnings = json_object_new_array();
	for (i = 0; i < r->nwarnings; i++)
		json_object_array_add(warnings, report_json_string(r->warnings[i]));
	json_object_object_add(doc, "warnings", warnings);
	if (printers[r->kind].json_extra != NULL)
		json_object_object_add(doc, printers[r->kind].json_key, printers[r->kind].json_extra(r));
	rc = report_emit_json(doc);
	json_object_put(doc);
	return rc;
}

/*
 * The envelope every document shares, in front of the command's own keys:
 * the interface's version, the tool's, and the keys automation reads first,
 * with their defaults when the command set none.
 */
static json_object *
envelope(json_object *doc)
{
	json_object *env = json_object_new_object(), *v;

	if (env == NULL)
		return NULL;
	json_object_object_add(env, "format_version", json_object_new_int(REPORT_FORMAT_VERSION));
	json_object_object_add(env, "version", json_object_new_string(PACKAGE_VERSION));
	if (!json_object_object_get_ex(doc, "command", NULL))
		json_object_object_add(env, "command", NULL);
	{
		json_object_object_foreach(doc, key, val) {
			if (strcmp(key, "format_version") != 0 && strcmp(key, "version") != 0)
				json_object_object_add(env, key, json_object_get(val));
		}
	}
	if (!json_object_object_get_ex(env, "changed", &v))
		json_object_object_add(env, "changed", json_object_new_boolean(0));
	if (!json_object_object_get_ex(env, "check_mode", &v))
		json_object_object_add(env, "check_mode", json_object_new_boolean(0));
	if (!json_object_object_get_ex(env, "failed", &v))
		json_object_object_add(env, "failed", json_object_new_boolean(0));
	if (!json_object_object_get_ex(env, "error", &v))
		json_object_object_add(env, "error", NULL);
	if (!json_object_object_get_ex(env, "warnings", &v))
		json_object_object_add(env, "warnings", json_object_new_array());
	return env;
}

int
report_emit_json(json_object *doc)
{
	struct buf out = BUF_INIT;
	json_object *env = envelope(doc);
	const char *text = NULL;
	int rc = -1;

	if (env != NULL)
		text = json_object_to_json_string_ext(env, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || esc_json(&out, text) == -1 || buf_append(&out, "\n", 1) == -1)
		goto cleanup;
	if (fwrite(out.data, 1, out.len, stdout) == out.len)
		rc = 0;
	json_emitted = 1;
cleanup:
	json_object_put(env);
	buf_release(&out);
	if (fflush(stdout) != 0)
		rc = -1;
	return rc;
}

int
report_json_emitted(void)
{
	return json_emitted;
}

int
report_emit_error(const char *command, int check_mode, const char *error, int exit_status)
{
	json_object *doc = json_object_new_object();
	int rc;

	if (doc == NULL)
		return -1;
	json_object_object_add(doc, "command", report_json_string(command));
	json_object_object_add(doc, "changed", json_object_new_boolean(0));
	json_object_object_add(doc, "check_mode", json_object_new_boolean(check_mode));
	json_object_object_add(doc, "failed", json_object_new_boolean(error != NULL));
	json_object_object_add(doc, "error", report_json_string(error));
	json_object_object_add(doc, "exit_status", json_object_new_int(exit_status));
	rc = report_emit_json(doc);
	json_object_put(doc);
	return rc;
}

void
report_release(struct report *r)
{
	size_t i, j;

	for (i = 0; i < r->nfiles; i++) {
		struct file_report *f = &r->files[i];

		for (j = 0; j < f->nstatements; j++) {
			free(f->statements[j].sub);
			free(f->statements[j].before);
			free(f->statements[j].after);
			free(f->statements[j].note);
		}
		free(f->statements);
		free(f->path);
		free(f->inner);
		free(f->fault_path);
		free(f->function);
		free(f->real);
		free(f->version);
		free(f->layout);
		free(f->message);
		free(f->diff);
	}
	free(r->files);
	free(r->restart);
	free(r->warning);
	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->error);
	if (r->events != NULL)
		store_events_free(r->events, r->nevents);
	memset(r, 0, sizeof(*r));
}
