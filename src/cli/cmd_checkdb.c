/* cmd_checkdb.c: check-db, from the command line to the checkdb module, and its report. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "commands.h"
#include "base/base.h"
#include "run.h"

/* The module Bucardo will run, as found (or not) on this host. */
struct module_view {
	char			*path;		/* the copy judged, as the host sees it */
	char			*version;
	const char		*layout;	/* "5.4", "5.0" */
	const char		*state;		/* as status says it, or "none", "named" */
	struct judge_module	 m;
	int			 assumed;	/* nothing read: judged as apply leaves it */
	char			*note;		/* why assumed */
	char			*problem;	/* why it cannot be judged: the run fails */
};


/* As `bucardo-aiven apply` leaves a module: patched, plain form. */
static void
assume_patched(struct module_view *v, char *note)
{
	v->m.form = JUDGE_CALL;
	v->m.layout = JUDGE_LAYOUT_54;
	v->assumed = 1;
	v->state = "none";
	v->note = note;
}

/* Judge the text of a module read from path. */
static void
judge_text(const struct options *o, struct module_view *v, const char *text, size_t len)
{
	struct ruleset rs = RULESET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct err e = ERR_INIT;
	int rc;

	rc = o->rules_dir != NULL ? rules_load_dir(&rs, o->host, o->rules_dir, &e) :
	    rules_load_builtin(&rs, &e);
	if (rc != 0 || rewrite_analyze(&a, &rs, o->function, text, len, &e) == -1) {
		v->problem = str_format("%s: %s", v->path, e.msg);
		goto done;
	}
	v->state = rewrite_state_name(a.state);
	v->version = a.version != NULL ? strdup(a.version) : NULL;
	if (judge_module_from_analysis(&v->m, &a) == -1) {
		if (a.other_function != NULL)
			v->problem = str_format("%s calls %s, not %s: run check-db with --function %s",
			    v->path, a.other_function, o->function, a.other_function);
		else
			v->problem = str_format("%s: unsupported: %s; Bucardo runs statements this "
			    "tool cannot judge", v->path, a.reason);
		goto done;
	}
	v->layout = v->m.layout == JUDGE_LAYOUT_50 ? "5.0" : "5.4";
done:
	analysis_release(&a);
	rules_release(&rs);
}

/*
 * The Bucardo.pm that Bucardo's perl loads on this host (below --root,
 * the active copy there), read and judged as status judges it. None found:
 * judged as apply would leave it, with a note.
 */
static void
find_module(struct options *o, struct module_view *v)
{
	struct discover_options dopt;
	struct discovery d = DISCOVERY_INIT;
	struct trust_report tr = TRUST_REPORT_INIT;
	struct target t = TARGET_INIT;
	struct err e = ERR_INIT;
	const struct module_copy *copy = NULL;
	size_t i;
	int got;

	run_discover_options(o, &dopt);
	if (discover_modules(&d, &dopt, &e) == -1) {
		assume_patched(v, str_format("cannot tell which Bucardo.pm Bucardo loads (%s): judged "
		    "as `bucardo-aiven apply` leaves it, patched", e.msg));
		goto done;
	}
	for (i = 0; i < d.ncopies; i++)
		if (d.copies[i].active)
			copy = &d.copies[i];
	if (copy == NULL) {
		assume_patched(v, strdup(d.ncopies > 0 ? "no Bucardo.pm that Bucardo would "
		    "load was found on this host: judged as `bucardo-aiven apply` leaves it, "
		    "patched" : "no Bucardo.pm was found on this host: judged as "
		    "`bucardo-aiven apply` leaves it, patched"));
		goto done;
	}
	v->path = strdup(copy->path);
	if (copy->untrusted) {
		v->state = "untrusted";
		v->problem = str_format("%s; so what Bucardo runs cannot be judged", copy->why);
		goto done;
	}
	got = atomic_open(&t, o->fs, copy->path, copy->asked, &tr, &e);
	if (got == FSROOT_UNTRUSTED) {
		v->state = "untrusted";
		v->problem = str_format("%s; so what Bucardo runs cannot be judged", e.msg);
	} else if (got == -1)
		v->problem = strdup(e.msg);
	else
		judge_text(o, v, t.content.data ? t.content.data : "", t.content.len);
done:
	trust_report_release(&tr);
	atomic_release(&t);
	discovery_release(&d);
}

/*
 * --module FILE: a copy of the Bucardo.pm another machine runs, read (it
 * is only matched against the rules, never run) and judged like the
 * active copy.
 */
static void
named_file(struct options *o, const char *file, struct module_view *v)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	char *inner = NULL;

	v->path = strdup(file);
	if (fsroot_inner(o->host, file, &inner, &e) == -1 ||
	    fsroot_read(o->host, inner, FS_FOLLOW | FS_ANY_OWNER, ATOMIC_SIZE_LIMIT, &b, NULL,
	    &e) != 0)
		v->problem = strdup(e.msg);
	else
		judge_text(o, v, b.data ? b.data : "", b.len);
	buf_release(&b);
	free(inner);
}

/* --module-state STATE: the state of the module another machine runs. -1: not a state. */
static int
named_state(const char *state, struct module_view *v)
{
	if (judge_module_from_name(&v->m, state) == -1)
		return -1;
	v->state = "named";
	v->layout = v->m.layout == JUDGE_LAYOUT_50 ? "5.0" : "5.4";
	v->path = strdup("(--module-state)");
	return 0;
}

static void
module_release(struct module_view *v)
{
	free(v->problem);
	free(v->note);
	free(v->version);
	free(v->path);
}

/* Where the layout runs its statement, in words. */
static const char *
where(enum judge_layout layout)
{
	return layout == JUDGE_LAYOUT_50 ?
	    "on every database a sync's kid writes to, its sources included" :
	    "on each database a sync writes rows into";
}

/* What the module's statement is, in words, into out. */
static void
what(char *out, size_t size, const struct judge_module *m, const char *function)
{
	switch (m->form) {
	case JUDGE_SET:
		snprintf(out, size, "runs SET session_replication_role");
		break;
	case JUDGE_CALL:
		snprintf(out, size, "calls %s", function);
		break;
	case JUDGE_GUARD:
		snprintf(out, size, "calls %s where it exists, else sets "
		    "session_replication_role itself", function);
		break;
	case JUDGE_MIXED:
		snprintf(out, size, "runs SET session_replication_role in one place and calls "
		    "%s in the other", function);
		break;
	case JUDGE_FORMS:
		snprintf(out, size, "?");
		break;
	}
}

/* "pristine, patched" from a judge_works_with set. */
static void
forms_words(char *out, size_t size, unsigned set)
{
	static const enum judge_form forms[] = { JUDGE_SET, JUDGE_CALL, JUDGE_GUARD };
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (set & (1u << forms[i]))
			len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s",
			    len > 0 ? ", " : "", judge_form_name(forms[i]));
	if (len == 0)
		snprintf(out, size, "none");
}

static const char *
yes_no(int v)
{
	return v == JUDGE_UNKNOWN ? "unknown" : v ? "yes" : "no";
}

static void
print_target(const char *host, const char *port, const char *dbname, const char *user,
    const char *conninfo)
{
	if (host == NULL && dbname == NULL && user == NULL) {
		esc_fprintf(stdout, "%s\n", conninfo ? conninfo : "?");
		return;
	}
	esc_fprintf(stdout, "host=%s port=%s db=%s user=%s\n", host ? host : "?",
	    port ? port : "?", dbname ? dbname : "?", user ? user : "?");
}

static void
print_module(const struct options *o, const struct module_view *v)
{
	char does[256];

	if (v->assumed) {
		esc_fprintf(stdout, "module: %s\n", v->note ? v->note : "none found");
		return;
	}
	if (v->problem != NULL) {
		esc_fprintf(stdout, "module: %s: %s (cannot be judged)\n", v->path ? v->path : "?",
		    v->state ? v->state : "unreadable");
		return;
	}
	what(does, sizeof(does), &v->m, o->function);
	esc_fprintf(stdout, "module: %s: %s (Bucardo %s, layout %s): %s %s\n",
	    v->path ? v->path : "?", judge_form_name(v->m.form),
	    v->version ? v->version : "?", v->layout ? v->layout : "?", does,
	    where(v->m.layout));
}

static void
print_db(const struct options *o, const struct checkdb_options *c, const struct checkdb_db *d,
    int judged)
{
	char forms[64];
	size_t i, len;
	int j;

	if (d->name != NULL)
		esc_fprintf(stdout, "database %s: ", d->name);
	print_target(d->host, d->port, d->dbname, d->user, d->conninfo);
	if (d->nroles > 0) {
		esc_fprintf(stdout, "syncs:");
		for (i = 0; i < d->nroles; i++)
			esc_fprintf(stdout, "%s %s", i > 0 ? "," : "", d->roles[i]);
		esc_fprintf(stdout, "\n");
	}
	if (o->verbose && d->conninfo != NULL)
		esc_fprintf(stdout, "conninfo: %s\n", d->conninfo);
	if (!d->connected) {
		esc_fprintf(stdout, "verdict: NOT ready — %s; fix: %s\n",
		    d->reason ? d->reason : "?", d->fix ? d->fix : "?");
		return;
	}
	/* "15.4 (Debian 15.4-1)": the number is what matters here. */
	len = d->server_version != NULL ? strlen(d->server_version) : 0;
	if (!o->verbose && d->server_version != NULL)
		len = strcspn(d->server_version, " ");
	esc_fprintf(stdout, "server: %.*s\n", (int)len, d->server_version ? d->server_version : "");
	esc_fprintf(stdout, "superuser: %s\n", yes_no(d->superuser));
	if (d->facts.can_set == 1)
		esc_fprintf(stdout, "SET session_replication_role: allowed — ready without the "
		    "patch (a pristine Bucardo.pm works here)\n");
	else if (d->facts.can_set == 0)
		esc_fprintf(stdout, "SET session_replication_role: refused (%s)\n",
		    d->set_error ? d->set_error : "?");
	if (d->version_num >= 150000)
		esc_fprintf(stdout, "SET session_replication_role granted: %s\n",
		    yes_no(d->set_granted));
	else if (d->version_num > 0)
		esc_fprintf(stdout, "SET session_replication_role granted: n/a (PostgreSQL %d "
		    "cannot grant it)\n", d->version_num / 10000);
	if (d->extension_checked) {
		if (d->extension_version != NULL)
			esc_fprintf(stdout, "extension aiven_extras: installed, version %s\n",
			    d->extension_version);
		else
			esc_fprintf(stdout, "extension aiven_extras: not installed\n");
	}
	if (d->facts.function_exists == 1)
		esc_fprintf(stdout, "%s(text): present, %s\n", c->function,
		    d->facts.function_executable == 1 ? "executable" :
		    d->facts.function_executable == 0 ? "not executable by this user" :
		    "executable: unknown");
	else if (d->facts.function_exists == 0)
		esc_fprintf(stdout, "%s(text): missing\n", c->function);
	for (j = 0; j < d->ncalls; j++) {
		if (d->calls[j].ok)
			esc_fprintf(stdout, "call '%s': session_replication_role = %s\n",
			    d->calls[j].arg, d->calls[j].value ? d->calls[j].value : "?");
		else
			esc_fprintf(stdout, "call '%s': failed: %s\n", d->calls[j].arg,
			    d->calls[j].error ? d->calls[j].error : "unknown error");
	}
	for (i = 0; i < d->nindexes; i++)
		esc_fprintf(stdout, "rebuild_index: %s (sync %s, %s setting): %s\n",
		    d->indexes[i].table, d->indexes[i].sync,
		    d->indexes[i].from_table ? "the table's" : "the sync's",
		    d->indexes[i].has_indexes == 1 ? "has indexes here" :
		    d->indexes[i].has_indexes == 0 ? "no index here: nothing to switch off" :
		    "not found here");
	if (d->nindexes > 0)
		esc_fprintf(stdout, "UPDATE pg_class: %s\n", d->facts.pg_class_update == 1 ?
		    "allowed" : "refused");
	forms_words(forms, sizeof(forms), d->works_with);
	esc_fprintf(stdout, "works with Bucardo.pm: %s\n", forms);
	if (!judged)
		esc_fprintf(stdout, "verdict: not judged — what Bucardo.pm runs here is not known\n");
	else if (d->ready)
		esc_fprintf(stdout, "verdict: ready — %s\n", d->note ? d->note : "");
	else
		esc_fprintf(stdout, "verdict: NOT ready — %s; fix: %s\n",
		    d->reason ? d->reason : "?", d->fix ? d->fix : "?");
}

static void
print_control(const struct checkdb_control *k)
{
	size_t i, j;

	esc_fprintf(stdout, "bucardo control database: ");
	print_target(k->host, k->port, k->dbname, k->user, k->conninfo);
	if (k->error != NULL)
		return;
	if (k->nsyncs == 0)
		esc_fprintf(stdout, "syncs: none\n");
	for (i = 0; i < k->nsyncs; i++) {
		const struct checkdb_sync *s = &k->syncs[i];

		esc_fprintf(stdout, "sync %s: %s%s, relgroup %s, rebuild_index %d\n", s->name,
		    s->status ? s->status : "?", s->active ? "" : " (Bucardo does not run it)",
		    s->relgroup ? s->relgroup : "none", s->rebuild_index);
		for (j = 0; j < s->nmembers; j++)
			esc_fprintf(stdout, "  %s (%s): %s\n", s->members[j].db ? s->members[j].db :
			    "?", s->members[j].role ? s->members[j].role : "?",
			    s->members[j].checked ? "checked" : s->members[j].skipped ?
			    s->members[j].skipped : "not checked");
	}
}

static void
print_overall(const struct checkdb_report *r, const struct module_view *v)
{
	char forms[64], names[512];
	size_t i, bad = 0, len = 0;

	names[0] = '\0';
	for (i = 0; i < r->ndbs; i++) {
		if (r->dbs[i].ready)
			continue;
		bad++;
		len += (size_t)snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0,
		    "%s%s", len > 0 ? ", " : "", r->dbs[i].name ? r->dbs[i].name :
		    r->dbs[i].conninfo ? r->dbs[i].conninfo : "?");
	}
	if (r->ready && v->problem == NULL && r->ndbs == 0) {
		esc_fprintf(stdout, "overall: ready — nothing to check: no active sync writes "
		    "to a database\n");
		return;
	}
	if (r->ready && v->problem == NULL) {
		esc_fprintf(stdout, "overall: ready — every database (%zu) is ready for Bucardo "
		    "with the %s module\n", r->ndbs, judge_form_name(v->m.form));
		return;
	}
	if (bad > 0)
		esc_fprintf(stdout, "overall: NOT ready — %zu of %zu databases %s not ready: %s\n",
		    bad, r->ndbs, bad == 1 ? "is" : "are", names);
	else
		esc_fprintf(stdout, "overall: NOT ready — the check could not be completed "
		    "(the error is on stderr)\n");
	if ((bad == 0 && v->problem == NULL) || r->works_with == 0 ||
	    (v->problem == NULL && (r->works_with & (1u << v->m.form))))
		return;
	forms_words(forms, sizeof(forms), r->works_with);
	esc_fprintf(stdout, "every database would be ready with a Bucardo.pm that is: %s (%s%s%s%s%s)\n",
	    forms, (r->works_with & (1u << JUDGE_SET)) ? "`bucardo-aiven revert`" : "",
	    (r->works_with & (1u << JUDGE_SET)) && (r->works_with & ~(1u << JUDGE_SET)) ?
	    " or " : "",
	    (r->works_with & (1u << JUDGE_CALL)) ? "`bucardo-aiven apply --form plain`" : "",
	    (r->works_with & (1u << JUDGE_CALL)) && (r->works_with & (1u << JUDGE_GUARD)) ?
	    " or " : "",
	    (r->works_with & (1u << JUDGE_GUARD)) ? "`bucardo-aiven apply --form guarded`" : "");
}

static void
print_text(const struct options *o, const struct checkdb_options *c,
    const struct checkdb_report *r, const struct module_view *v)
{
	size_t i;

	print_module(o, v);
	for (i = 0; i < r->ndbs; i++) {
		esc_fprintf(stdout, "\n");
		print_db(o, c, &r->dbs[i], v->problem == NULL);
	}
	if (r->control != NULL) {
		esc_fprintf(stdout, "\n");
		print_control(r->control);
	}
	if (r->nwarnings > 0)
		esc_fprintf(stdout, "\n");
	for (i = 0; i < r->nwarnings; i++)
		esc_fprintf(stdout, "warning: %s\n", r->warnings[i]);
	esc_fprintf(stdout, "\n");
	print_overall(r, v);
	fflush(stdout);
}

static json_object *
jbool(int v)
{
	return v == JUDGE_UNKNOWN ? NULL : json_object_new_boolean(v);
}

static json_object *
jforms(unsigned set)
{
	static const enum judge_form forms[] = { JUDGE_SET, JUDGE_CALL, JUDGE_GUARD };
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (set & (1u << forms[i]))
			json_object_array_add(a, json_object_new_string(judge_form_name(forms[i])));
	return a;
}

static const char *
verdict_name(enum judge_verdict v)
{
	switch (v) {
	case JUDGE_READY: return "ready";
	case JUDGE_READY_UNTOUCHED: return "untouched";
	case JUDGE_NO_CONNECTION: return "no-connection";
	case JUDGE_NEEDS_APPLY: return "needs-apply";
	case JUDGE_NEEDS_FUNCTION: return "needs-function";
	case JUDGE_NEEDS_BOTH: return "needs-apply-and-function";
	case JUDGE_REBUILD_INDEX: return "rebuild-index";
	}
	return "?";
}

static json_object *
json_db(const char *function, const struct checkdb_db *d, int judged)
{
	json_object *o = json_object_new_object(), *a, *c;
	char *error;
	size_t i;
	int j;

	json_object_object_add(o, "name", report_json_string(d->name));
	json_object_object_add(o, "conninfo", report_json_string(d->conninfo));
	json_object_object_add(o, "host", report_json_string(d->host));
	json_object_object_add(o, "port", report_json_string(d->port));
	json_object_object_add(o, "dbname", report_json_string(d->dbname));
	a = json_object_new_array();
	for (i = 0; i < d->nroles; i++)
		json_object_array_add(a, report_json_string(d->roles[i]));
	json_object_object_add(o, "syncs", a);
	json_object_object_add(o, "connected", json_object_new_boolean(d->connected));
	json_object_object_add(o, "server_version", report_json_string(d->server_version));
	json_object_object_add(o, "server_version_num",
	    d->version_num > 0 ? json_object_new_int(d->version_num) : NULL);
	json_object_object_add(o, "user", report_json_string(d->user));
	json_object_object_add(o, "superuser", jbool(d->superuser));
	json_object_object_add(o, "can_set", jbool(d->facts.can_set));
	json_object_object_add(o, "set_error", report_json_string(d->set_error));
	json_object_object_add(o, "set_granted", jbool(d->set_granted));
	json_object_object_add(o, "extension_installed",
	    d->extension_checked ? json_object_new_boolean(d->extension_version != NULL) : NULL);
	json_object_object_add(o, "extension_version", report_json_string(d->extension_version));
	json_object_object_add(o, "function", report_json_string(function));
	json_object_object_add(o, "function_exists", jbool(d->facts.function_exists));
	json_object_object_add(o, "function_executable", jbool(d->facts.function_executable));
	a = json_object_new_array();
	for (j = 0; j < d->ncalls; j++) {
		c = json_object_new_object();
		json_object_object_add(c, "arg", report_json_string(d->calls[j].arg));
		json_object_object_add(c, "ok", json_object_new_boolean(d->calls[j].ok));
		json_object_object_add(c, "value", report_json_string(d->calls[j].value));
		json_object_object_add(c, "error", report_json_string(d->calls[j].error));
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "calls", a);
	json_object_object_add(o, "statement_runs",
	    json_object_new_boolean(d->facts.statement_runs != 0));
	a = json_object_new_array();
	for (i = 0; i < d->nindexes; i++) {
		c = json_object_new_object();
		json_object_object_add(c, "table", report_json_string(d->indexes[i].table));
		json_object_object_add(c, "sync", report_json_string(d->indexes[i].sync));
		json_object_object_add(c, "from", json_object_new_string(
		    d->indexes[i].from_table ? "table" : "sync"));
		json_object_object_add(c, "has_indexes", jbool(d->indexes[i].has_indexes));
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "rebuild_index", a);
	json_object_object_add(o, "pg_class_update", jbool(d->facts.pg_class_update));
	json_object_object_add(o, "works_with", jforms(d->works_with));
	json_object_object_add(o, "verdict", json_object_new_string(judged ?
	    verdict_name(d->verdict) : "not-judged"));
	json_object_object_add(o, "ready", json_object_new_boolean(judged && d->ready));
	json_object_object_add(o, "reason", report_json_string(d->reason));
	json_object_object_add(o, "fix", report_json_string(d->fix));
	json_object_object_add(o, "note", report_json_string(d->note));
	error = !judged ? strdup("not judged: what Bucardo.pm runs here is not known") :
	    d->ready ? NULL : str_format("%s; fix: %s", d->reason ? d->reason : "not ready",
	    d->fix ? d->fix : "?");
	json_object_object_add(o, "error", report_json_string(error));
	free(error);
	return o;
}

static json_object *
json_control(const struct checkdb_control *k)
{
	json_object *o = json_object_new_object(), *syncs = json_object_new_array();
	json_object *rebuild = json_object_new_array(), *s, *m;
	size_t i, j;

	json_object_object_add(o, "conninfo", report_json_string(k->conninfo));
	json_object_object_add(o, "host", report_json_string(k->host));
	json_object_object_add(o, "port", report_json_string(k->port));
	json_object_object_add(o, "dbname", report_json_string(k->dbname));
	json_object_object_add(o, "user", report_json_string(k->user));
	json_object_object_add(o, "connected", json_object_new_boolean(k->connected));
	json_object_object_add(o, "bucardo_schema", k->connected ?
	    json_object_new_boolean(k->error == NULL ||
	    strstr(k->error, "no bucardo schema") == NULL) : NULL);
	for (i = 0; i < k->nsyncs; i++) {
		const struct checkdb_sync *y = &k->syncs[i];
		json_object *dbs = json_object_new_array();

		s = json_object_new_object();
		json_object_object_add(s, "name", report_json_string(y->name));
		json_object_object_add(s, "status", report_json_string(y->status));
		json_object_object_add(s, "active", json_object_new_boolean(y->active));
		json_object_object_add(s, "dbgroup", report_json_string(y->dbgroup));
		json_object_object_add(s, "relgroup", report_json_string(y->relgroup));
		json_object_object_add(s, "rebuild_index", json_object_new_int(y->rebuild_index));
		for (j = 0; j < y->nmembers; j++) {
			m = json_object_new_object();
			json_object_object_add(m, "name", report_json_string(y->members[j].db));
			json_object_object_add(m, "role", report_json_string(y->members[j].role));
			json_object_object_add(m, "checked",
			    json_object_new_boolean(y->members[j].checked));
			json_object_object_add(m, "skipped", report_json_string(y->members[j].skipped));
			json_object_array_add(dbs, m);
		}
		json_object_object_add(s, "databases", dbs);
		json_object_array_add(syncs, s);
		if (y->active && y->rebuild_index != 0)
			json_object_array_add(rebuild, report_json_string(y->name));
	}
	json_object_object_add(o, "syncs", syncs);
	json_object_object_add(o, "syncs_with_rebuild_index", rebuild);
	json_object_object_add(o, "error", report_json_string(k->error));
	return o;
}

static json_object *
json_module(const struct checkdb_options *c, const struct module_view *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", report_json_string(v->path));
	json_object_object_add(o, "version", report_json_string(v->version));
	json_object_object_add(o, "layout", report_json_string(v->layout));
	json_object_object_add(o, "state", report_json_string(v->state));
	json_object_object_add(o, "form", v->problem != NULL ? NULL :
	    json_object_new_string(judge_form_name(v->m.form)));
	json_object_object_add(o, "assumed", json_object_new_boolean(v->assumed));
	json_object_object_add(o, v->problem != NULL ? "error" : "message",
	    report_json_string(v->problem != NULL ? v->problem : v->note));
	return o;
}

static int
print_json(const struct checkdb_options *c, const struct checkdb_report *r,
    const struct module_view *v, const char *error)
{
	json_object *doc = json_object_new_object(), *dbs = json_object_new_array();
	json_object *warnings = json_object_new_array();
	size_t i;
	int rc;

	if (doc == NULL || dbs == NULL || warnings == NULL) {
		json_object_put(doc);
		json_object_put(dbs);
		json_object_put(warnings);
		return -1;
	}
	json_object_object_add(doc, "command", json_object_new_string("check-db"));
	json_object_object_add(doc, "ready", json_object_new_boolean(r->ready && v->problem == NULL));
	json_object_object_add(doc, "failed", json_object_new_boolean(error != NULL));
	json_object_object_add(doc, "error", report_json_string(error));
	json_object_object_add(doc, "function", report_json_string(c->function));
	json_object_object_add(doc, "module", json_module(c, v));
	json_object_object_add(doc, "works_with", jforms(r->works_with));
	for (i = 0; i < r->ndbs; i++)
		json_object_array_add(dbs, json_db(c->function, &r->dbs[i], v->problem == NULL));
	json_object_object_add(doc, "databases", dbs);
	json_object_object_add(doc, "bucardo_db", r->control ? json_control(r->control) : NULL);
	for (i = 0; i < r->nwarnings; i++)
		json_object_array_add(warnings, report_json_string(r->warnings[i]));
	json_object_object_add(doc, "warnings", warnings);
	rc = report_emit_json(doc);
	json_object_put(doc);
	return rc;
}

int
cmd_check_db(struct options *o)
{
	struct checkdb_options c;
	struct checkdb_report r = CHECKDB_REPORT_INIT;
	struct module_view v;
	const char *error, *module_file, *module_state;
	char *problem;
	size_t n;
	int i, status = EXIT_FAILED, usage = 0;

	if (o->nfiles == 0 && o->bucardo_db == NULL) {
		run_complain("check-db needs Bucardo's control database (--bucardo-db "
		    "dbname=bucardo) or at least one CONNINFO (e.g. 'host=... dbname=... "
		    "user=...' or postgres://user@host/db)");
		return EXIT_USAGE;
	}
	/* A conninfo libpq would refuse is the admin's to correct: nothing is tried. */
	for (i = 0; i < o->nfiles; i++)
		if ((problem = checkdb_conninfo_problem(o->files[i], (size_t)i)) != NULL) {
			run_complain("%s", problem);
			free(problem);
			usage = 1;
		}
	if (o->bucardo_db != NULL &&
	    (problem = checkdb_conninfo_problem(o->bucardo_db, (size_t)o->nfiles)) != NULL) {
		run_complain("--bucardo-db %s", problem);
		free(problem);
		usage = 1;
	}
	if (usage)
		return EXIT_USAGE;

	/*
	 * The module Bucardo will run: named by the admin when Bucardo runs on
	 * another machine (--module FILE, --module-state STATE), else the one
	 * Bucardo's perl loads here.
	 */
	module_file = o->module;
	module_state = o->module_state;
	memset(&v, 0, sizeof(v));
	if (module_state != NULL) {
		if (named_state(module_state, &v) == -1) {
			run_complain("--module-state %s: pristine, patched or guarded, each "
			    "optionally with :5.0 (Bucardo 5.0.0 to 5.3.1) or :5.4", module_state);
			module_release(&v);
			return EXIT_USAGE;
		}
	} else if (module_file != NULL)
		named_file(o, module_file, &v);
	else
		find_module(o, &v);
	memset(&c, 0, sizeof(c));
	c.conninfos = o->files;
	c.nconninfos = o->nfiles;
	c.function = o->function;
	c.bucardo_db = o->bucardo_db;
	c.module = v.m;
	c.connect_timeout = 10;
	c.host = o->host;
	checkdb_run(&r, &c);

	/* What could not be checked, once, on stderr; the verdicts on stdout. */
	error = v.problem != NULL ? v.problem : r.error;
	if (v.problem != NULL)
		run_complain("%s", v.problem);
	if (r.error != NULL)
		run_complain("%s", r.error);
	status = r.ready && v.problem == NULL ? EXIT_OK : EXIT_FAILED;
	if (o->json) {
		if (print_json(&c, &r, &v, error) == -1) {
			run_complain("cannot write the JSON report");
			status = EXIT_FAILED;
		}
	} else if (!o->quiet)
		print_text(o, &c, &r, &v);
	else
		/* Quiet: no report, so each verdict that is not ready goes to stderr, once. */
		for (n = 0; n < r.ndbs; n++)
			if (!r.dbs[n].ready)
				run_complain("%s: NOT ready — %s; fix: %s", r.dbs[n].name ?
				    r.dbs[n].name : r.dbs[n].conninfo ? r.dbs[n].conninfo : "?",
				    r.dbs[n].reason ? r.dbs[n].reason : "?",
				    r.dbs[n].fix ? r.dbs[n].fix : "?");
	checkdb_report_release(&r);
	module_release(&v);
	return status;
}
