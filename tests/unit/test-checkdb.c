/* test-checkdb.c: unit tests for check-db's pure parts: judge.c's verdicts, plans and names, bucardodb.c's connection strings, lookup and release. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bucardodb.h"
#include "judge.h"
#include "tap.h"

static const char *
verdict_name(enum judge_verdict v)
{
	static const char *const names[] = { "ready", "untouched", "no-connection",
	    "needs-apply", "needs-function", "needs-both", "rebuild-index" };

	return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

#define VERDICT(m, f, want, ...) \
	is_str(verdict_name(judge_database(&(m), &(f))), verdict_name(want), __VA_ARGS__)

/* A connected database where nothing was tried yet. */
static struct judge_facts
connected(void)
{
	struct judge_facts f = JUDGE_FACTS_INIT;

	f.connected = 1;
	f.can_set = 0;
	f.function_exists = 0;
	return f;
}

/* The function is there and both calls work. */
static struct judge_facts
with_function(struct judge_facts f)
{
	f.function_exists = 1;
	f.function_executable = 1;
	f.call_ok[0] = f.call_ok[1] = 1;
	return f;
}

static void
test_verdicts(void)
{
	struct judge_module pristine = { JUDGE_SET, JUDGE_LAYOUT_54 };
	struct judge_module patched = { JUDGE_CALL, JUDGE_LAYOUT_54 };
	struct judge_module guarded = { JUDGE_GUARD, JUDGE_LAYOUT_54 };
	struct judge_module partial = { JUDGE_MIXED, JUDGE_LAYOUT_54 };
	struct judge_module patched50 = { JUDGE_CALL, JUDGE_LAYOUT_50 };
	struct judge_facts f;

	/* A superuser target without aiven_extras (issue 11, first case). */
	f = connected();
	f.can_set = 1;
	VERDICT(patched, f, JUDGE_NEEDS_FUNCTION, "superuser without the function: not ready "
	    "with the patched module");
	VERDICT(pristine, f, JUDGE_READY, "superuser without the function: ready with the "
	    "pristine module");
	VERDICT(guarded, f, JUDGE_READY, "superuser without the function: ready with the "
	    "guarded module");
	VERDICT(partial, f, JUDGE_NEEDS_BOTH, "superuser without the function: not ready with "
	    "a partly patched module");

	/* The Aiven target: the function works, SET does not. */
	f = with_function(connected());
	VERDICT(patched, f, JUDGE_READY, "non-superuser with the function: ready patched");
	VERDICT(pristine, f, JUDGE_NEEDS_APPLY, "non-superuser with the function: pristine "
	    "needs apply");
	VERDICT(guarded, f, JUDGE_READY, "non-superuser with the function: ready guarded");
	VERDICT(partial, f, JUDGE_NEEDS_BOTH, "non-superuser with the function: partial "
	    "module needs SET too");
	ok(judge_works_with(JUDGE_LAYOUT_54, &f) == ((1u << JUDGE_CALL) | (1u << JUDGE_GUARD)),
	    "non-superuser with the function: works with patched and guarded");

	/* A provider's rule, or GRANT SET: SET works, no function. */
	f = connected();
	f.can_set = 1;
	ok(judge_works_with(JUDGE_LAYOUT_54, &f) == ((1u << JUDGE_SET) | (1u << JUDGE_GUARD)),
	    "SET allowed, no function: works with pristine and guarded");

	/* Nothing works. */
	f = connected();
	VERDICT(patched, f, JUDGE_NEEDS_FUNCTION, "neither: patched needs the function");
	VERDICT(pristine, f, JUDGE_NEEDS_APPLY, "neither: pristine needs apply");
	VERDICT(guarded, f, JUDGE_NEEDS_FUNCTION, "neither: guarded needs the function");
	ok(judge_works_with(JUDGE_LAYOUT_54, &f) == 0, "neither: works with nothing");

	/* The guard looks the function up by name: one it may not run is still called. */
	f = connected();
	f.can_set = 1;
	f.function_exists = 1;
	f.function_executable = 0;
	f.call_ok[0] = f.call_ok[1] = 0;
	VERDICT(guarded, f, JUDGE_NEEDS_FUNCTION, "guarded, function present but refused: "
	    "not ready although SET works");

	/* A function that sets 'replica' but not 'origin'. */
	f = with_function(connected());
	f.call_ok[1] = 0;
	VERDICT(patched, f, JUDGE_NEEDS_FUNCTION, "5.4 layout: the 'origin' call must work too");
	VERDICT(patched50, f, JUDGE_READY, "5.0 layout: only 'replica' is ever called");

	/* rebuild_index. */
	f = with_function(connected());
	f.index_tables = 1;
	f.pg_class_update = 0;
	VERDICT(patched, f, JUDGE_REBUILD_INDEX, "rebuild_index without UPDATE on pg_class: "
	    "not ready");
	ok(judge_works_with(JUDGE_LAYOUT_54, &f) == 0, "rebuild_index: no module helps");
	f.pg_class_update = 1;
	VERDICT(patched, f, JUDGE_READY, "rebuild_index with UPDATE on pg_class (superuser): "
	    "ready");
	f = connected();
	f.index_tables = 2;
	f.pg_class_update = 0;
	VERDICT(patched, f, JUDGE_NEEDS_FUNCTION, "the statement's failure comes first");

	/* Connections. */
	f = with_function(connected());
	f.connected = 0;
	VERDICT(patched, f, JUDGE_NO_CONNECTION, "not connected: not ready");
	f = with_function(connected());
	f.unusable = 1;
	VERDICT(patched, f, JUDGE_NO_CONNECTION, "settings Bucardo cannot use: not ready");

	/* A database the module never switches. */
	f = connected();
	f.statement_runs = 0;
	VERDICT(patched, f, JUDGE_READY_UNTOUCHED, "statement does not run: ready untouched");
	VERDICT(pristine, f, JUDGE_READY_UNTOUCHED, "statement does not run: ready pristine");
	ok(judge_ready(JUDGE_READY_UNTOUCHED) && judge_ready(JUDGE_READY) &&
	    !judge_ready(JUDGE_NEEDS_APPLY), "judge_ready");
}

static void
plan(enum judge_layout layout, const enum judge_role *roles, size_t n, const char *want_runs,
    const char *want_copies, const char *name)
{
	int runs[8], copies[8];
	char got_runs[9], got_copies[9];
	size_t i;

	judge_sync_plan(layout, roles, n, runs, copies);
	for (i = 0; i < n; i++) {
		got_runs[i] = runs[i] ? '1' : '0';
		got_copies[i] = copies[i] ? '1' : '0';
	}
	got_runs[n] = got_copies[n] = '\0';
	is_str(got_runs, want_runs, "%s: where the statement runs", name);
	is_str(got_copies, want_copies, "%s: where rows are written", name);
}

static void
test_plans(void)
{
	static const enum judge_role one_source[] = { JUDGE_SOURCE, JUDGE_TARGET, JUDGE_TARGET };
	static const enum judge_role swap[] = { JUDGE_SOURCE, JUDGE_SOURCE, JUDGE_TARGET };
	static const enum judge_role fullcopy[] = { JUDGE_SOURCE, JUDGE_FULLCOPY };
	static const enum judge_role mixed[] = { JUDGE_SOURCE, JUDGE_FULLCOPY, JUDGE_TARGET };

	plan(JUDGE_LAYOUT_54, one_source, 3, "011", "011", "5.4, one source");
	plan(JUDGE_LAYOUT_50, one_source, 3, "111", "011", "5.0, one source (the source too)");
	plan(JUDGE_LAYOUT_54, swap, 3, "111", "111", "5.4, multi-source");
	plan(JUDGE_LAYOUT_50, swap, 3, "111", "111", "5.0, multi-source");
	plan(JUDGE_LAYOUT_54, fullcopy, 2, "01", "01", "5.4, fullcopy");
	plan(JUDGE_LAYOUT_50, fullcopy, 2, "01", "01", "5.0, fullcopy");
	plan(JUDGE_LAYOUT_54, mixed, 3, "011", "011", "5.4, a fullcopy role in a delta sync");
	ok(judge_role_from_name("source") == JUDGE_SOURCE &&
	    judge_role_from_name("fullcopy") == JUDGE_FULLCOPY &&
	    judge_role_from_name("target") == JUDGE_TARGET &&
	    judge_role_from_name(NULL) == JUDGE_TARGET, "roles from bucardo.dbmap");
}

static void
test_modules(void)
{
	struct layout l54 = { 0 }, l50 = { 0 };
	struct site sites[2];
	struct analysis a = ANALYSIS_INIT;
	struct judge_module m;

	l54.name = "5.4";
	l50.name = "5.0";
	memset(sites, 0, sizeof(sites));
	a.sites = sites;
	a.nsites = 2;
	a.layout = &l54;

	a.state = MODULE_PRISTINE;
	ok(judge_module_from_analysis(&m, &a) == 0 && m.form == JUDGE_SET &&
	    m.layout == JUDGE_LAYOUT_54, "pristine 5.4 module");
	a.state = MODULE_PATCHED;
	sites[0].patched = sites[1].patched = 1;
	sites[0].form = sites[1].form = RULE_FORM_PLAIN;
	ok(judge_module_from_analysis(&m, &a) == 0 && m.form == JUDGE_CALL, "patched, plain");
	sites[0].form = sites[1].form = RULE_FORM_GUARDED;
	ok(judge_module_from_analysis(&m, &a) == 0 && m.form == JUDGE_GUARD, "patched, guarded");
	sites[1].form = RULE_FORM_PLAIN;
	ok(judge_module_from_analysis(&m, &a) == 0 && m.form == JUDGE_CALL,
	    "patched, one site of each form: judged plain (where the function must exist)");
	a.layout = &l50;
	a.nsites = 1;
	sites[0].form = RULE_FORM_GUARDED;
	ok(judge_module_from_analysis(&m, &a) == 0 && m.form == JUDGE_GUARD &&
	    m.layout == JUDGE_LAYOUT_50, "guarded 5.0 module");
	a.state = MODULE_PARTIAL;
	ok(judge_module_from_analysis(&m, &a) == 0 && m.form == JUDGE_MIXED, "partial module");
	a.state = MODULE_UNSUPPORTED;
	a.layout = NULL;
	ok(judge_module_from_analysis(&m, &a) == -1, "unsupported module: cannot be judged");

	ok(judge_module_from_name(&m, "pristine") == 0 && m.form == JUDGE_SET &&
	    m.layout == JUDGE_LAYOUT_54, "--module-state pristine");
	ok(judge_module_from_name(&m, "patched") == 0 && m.form == JUDGE_CALL,
	    "--module-state patched");
	ok(judge_module_from_name(&m, "guarded:5.0") == 0 && m.form == JUDGE_GUARD &&
	    m.layout == JUDGE_LAYOUT_50, "--module-state guarded:5.0");
	ok(judge_module_from_name(&m, "patched:5.4") == 0 && m.layout == JUDGE_LAYOUT_54,
	    "--module-state patched:5.4");
	ok(judge_module_from_name(&m, "patched:6.0") == -1, "--module-state with another layout");
	ok(judge_module_from_name(&m, "patch") == -1 && judge_module_from_name(&m, "") == -1 &&
	    judge_module_from_name(&m, "pristinex") == -1, "--module-state: other names refused");
	is_str(judge_form_name(JUDGE_GUARD), "guarded", "form names");
}

static void
test_values(void)
{
	ok(judge_conninfo_value("port", "abc") != NULL, "port abc: refused");
	ok(judge_conninfo_value("port", "5432") == NULL, "port 5432: fine");
	ok(judge_conninfo_value("port", " 5432 ") == NULL, "port with white space: fine, as libpq");
	ok(judge_conninfo_value("port", "0") != NULL, "port 0: refused");
	ok(judge_conninfo_value("port", "65536") != NULL, "port 65536: refused");
	ok(judge_conninfo_value("port", "5432,,5433") == NULL, "a port list with a default: fine");
	ok(judge_conninfo_value("port", "5432,x") != NULL, "a port list with a word: refused");
	ok(judge_conninfo_value("port", "54 32") != NULL, "a port with a space inside: refused");
	ok(judge_conninfo_value("connect_timeout", "10s") != NULL, "connect_timeout 10s: refused");
	ok(judge_conninfo_value("keepalives_idle", "30") == NULL, "keepalives_idle 30: fine");
	ok(judge_conninfo_value("sslmode", "required") != NULL, "sslmode required: refused");
	ok(judge_conninfo_value("sslmode", "verify-full") == NULL, "sslmode verify-full: fine");
	ok(judge_conninfo_value("target_session_attrs", "primary") == NULL,
	    "target_session_attrs primary: fine");
	ok(judge_conninfo_value("host", "abc") == NULL, "host: anything");
	ok(judge_conninfo_value("port", NULL) == NULL, "unset: fine");
}

/* The connection string for a bucardo.db row given as name=value pairs. */
static void
conninfo(const char *want, const char *name, struct bucardodb_db d)
{
	char *got = bucardodb_conninfo(&d);

	is_str(got, want, "%s", name);
	free(got);
}

static void
test_conninfo(void)
{
	struct bucardodb_db d;

	memset(&d, 0, sizeof(d));
	d.dbname = "dst";
	d.host = "127.0.0.1";
	d.port = "5432";
	d.user = "migrator";
	d.pass = "pw";
	d.conn = "";
	conninfo("dbname=dst port=5432 host=127.0.0.1 user='migrator' password='pw'",
	    "as bucardo add db stores a target", d);
	d.pass = "it's a\\b";
	conninfo("dbname=dst port=5432 host=127.0.0.1 user='migrator' password='it\\'s a\\\\b'",
	    "a password with a quote and a backslash, escaped as DBD::Pg does", d);
	d.pass = NULL;
	d.user = NULL;
	d.conn = "sslmode=require;application_name=x";
	conninfo("dbname=dst port=5432 host=127.0.0.1 sslmode=require application_name=x",
	    "dbconn appended, its ';' made spaces, no user or password", d);
	d.conn = "db=other";
	conninfo("dbname=dst port=5432 host=127.0.0.1 dbname=other",
	    "DBD::Pg's db= synonym (the later dbname wins in libpq)", d);
	memset(&d, 0, sizeof(d));
	d.service = "shop";
	d.user = "u";
	conninfo("service=shop user='u'", "a service alone", d);
	d.dbname = "\"a;b\"";
	d.port = "abc";
	conninfo("dbname='a;b' service=shop port=abc user='u'",
	    "a double-quoted dbname made single-quoted, its ';' kept; the port as stored", d);
	memset(&d, 0, sizeof(d));
	conninfo("", "nothing stored: libpq's defaults", d);

	memset(&d, 0, sizeof(d));
	ok(!bucardodb_dsn_broken(&d), "no dbdsn: Bucardo can connect");
	d.dsn = "";
	ok(!bucardodb_dsn_broken(&d), "an empty dbdsn: Bucardo can connect");
	d.dsn = "dbi:Pg:dbname=x";
	ok(bucardodb_dsn_broken(&d), "a dbdsn: Bucardo 5.5 and 5.6 cannot connect");
}

static void
test_names(void)
{
	static const enum judge_form forms[] = { JUDGE_SET, JUDGE_CALL, JUDGE_GUARD };
	struct judge_module m;
	size_t i;
	int round = 1;

	is_str(judge_form_name(JUDGE_SET), "pristine", "judge_form_name: SET is pristine");
	is_str(judge_form_name(JUDGE_CALL), "patched", "judge_form_name: a call is patched");
	is_str(judge_form_name(JUDGE_MIXED), "partial", "judge_form_name: mixed is partial");
	is_str(judge_form_name(JUDGE_FORMS), "unknown", "judge_form_name: out of range");
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		round &= judge_module_from_name(&m, judge_form_name(forms[i])) == 0 &&
		    m.form == forms[i] && m.layout == JUDGE_LAYOUT_54;
	ok(round, "--module-state takes back every name judge_form_name gives a whole module");
	ok(judge_module_from_name(&m, judge_form_name(JUDGE_MIXED)) == -1,
	    "but not partial: no --module-state says which statements are done");
	ok(judge_role_from_name("swap") == JUDGE_TARGET && judge_role_from_name("") == JUDGE_TARGET,
	    "a role bucardo.dbmap does not use is read as a target (written to)");
}

/* A control database as bucardodb_read leaves it, every string on the heap. */
static void
test_find_release(void)
{
	struct bucardodb b = BUCARDODB_INIT;
	const struct bucardodb_db *d;

	b.ndbs = 3;
	b.nsyncs = 1;
	if ((b.dbs = calloc(b.ndbs, sizeof(*b.dbs))) == NULL ||
	    (b.syncs = calloc(b.nsyncs, sizeof(*b.syncs))) == NULL)
		exit(1);
	b.dbs[0].name = strdup("src");
	b.dbs[0].pass = strdup("secret");
	b.dbs[1].name = NULL;		/* a row whose name could not be read */
	b.dbs[1].host = strdup("nowhere");
	b.dbs[2].name = strdup("dst");
	b.dbs[2].dbname = strdup("shop");
	b.syncs[0].name = strdup("s");
	b.syncs[0].nmembers = 1;
	b.syncs[0].members = calloc(1, sizeof(*b.syncs[0].members));
	b.syncs[0].ntables = 1;
	b.syncs[0].tables = calloc(1, sizeof(*b.syncs[0].tables));
	if (b.syncs[0].members == NULL || b.syncs[0].tables == NULL)
		exit(1);
	b.syncs[0].members[0].db = strdup("dst");
	b.syncs[0].members[0].role = strdup("target");
	b.syncs[0].tables[0].schema = strdup("public");
	b.syncs[0].tables[0].name = strdup("t");

	d = bucardodb_find(&b, "dst");
	ok(d == &b.dbs[2] && strcmp(d->dbname, "shop") == 0, "bucardodb_find: by name, past a "
	    "row without one");
	ok(bucardodb_find(&b, "src") == &b.dbs[0], "bucardodb_find: the first row");
	ok(bucardodb_find(&b, "ds") == NULL && bucardodb_find(&b, "") == NULL,
	    "bucardodb_find: no prefix, no empty name");
	bucardodb_release(&b);
	ok(b.dbs == NULL && b.ndbs == 0 && b.syncs == NULL && b.nsyncs == 0,
	    "bucardodb_release: everything freed (the sanitizers check the strings), b empty");
	ok(bucardodb_find(&b, "dst") == NULL, "and a released one finds nothing");
	bucardodb_release(&b);
	ok(1, "releasing twice is safe");
}

int
main(void)
{
	test_names();
	test_find_release();
	test_verdicts();
	test_plans();
	test_modules();
	test_values();
	test_conninfo();
	return tap_done();
}
