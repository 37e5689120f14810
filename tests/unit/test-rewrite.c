/* test-rewrite.c: states, the rewrite, and the structural check, on inline modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "tap.h"

#define FN "aiven_extras.session_replication_role"

static const char *modern =
    "package Bucardo;\n"
    "our $VERSION = '5.6.0';\n"
    "## session_replication_role is mentioned in a comment\n"
    "sub disable_triggers {\n"
    "    $self->glog(\"Setting session_replication_role to replica\", 1);\n"
    "    $dbh->do(q{SET session_replication_role = 'replica'});\n"
    "} ## end of disable_triggers\n"
    "sub enable_triggers {\n"
    "\t$dbh->do(q{SET session_replication_role = default}); ## Assumes a sane default!\n"
    "} ## end of enable_triggers\n"
    "1;\n__END__\n=head1 SET session_replication_role = 'replica'\n";

static const char *modern_patched =
    "package Bucardo;\n"
    "our $VERSION = '5.6.0';\n"
    "## session_replication_role is mentioned in a comment\n"
    "sub disable_triggers {\n"
    "    $self->glog(\"Setting session_replication_role to replica\", 1);\n"
    "    $dbh->do(q{select aiven_extras.session_replication_role('replica');});\n"
    "} ## end of disable_triggers\n"
    "sub enable_triggers {\n"
    "\t$dbh->do(q{select aiven_extras.session_replication_role('origin');}); ## Assumes a sane default!\n"
    "} ## end of enable_triggers\n"
    "1;\n__END__\n=head1 SET session_replication_role = 'replica'\n";

static const char *old =
    "package Bucardo;\nour $VERSION = '5.1.2';\n"
    "sub start_kid {\n"
    "    $xdbh->do(q{SET session_replication_role = 'replica'});\n"
    "}\n1;\n";

static enum module_state
state_of(const struct ruleset *rs, const char *fn, const char *text, struct analysis *a)
{
	struct err e = ERR_INIT;

	if (rewrite_analyze(a, rs, fn, text, strlen(text), &e) == -1) {
		printf("# analyze failed: %s\n", e.msg);
		return (enum module_state)-1;
	}
	return a->state;
}

/* Replace the first occurrence of from in text by to (caller frees). */
static char *
edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	if (at == NULL || out == NULL)
		abort();
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

int
main(void)
{
	struct ruleset rs = RULESET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	char *t;

	if (rules_load_builtin(&rs, &e) == -1) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}

	ok(state_of(&rs, FN, modern, &a) == MODULE_PRISTINE, "5.6 layout is pristine");
	is_str(a.version, "5.6.0", "version found");
	is_str(a.layout ? a.layout->name : NULL, "5.4", "5.4 layout chosen");
	ok(a.nsites == 2 && a.sites[0].line == 6 && a.sites[1].line == 9,
	    "two sites, at lines 6 and 9, the glog string and comment left out");
	ok(rewrite_apply(&out, &a, FN, RULE_FORMS, modern, strlen(modern), &e) == 0, "rewrite succeeds");
	is_str(out.data, modern_patched, "only the SQL inside the quotes changed");
	ok(rewrite_verify(&rs, FN, RULE_FORMS, "m", &a, modern, strlen(modern), out.data, out.len, &e) == 0,
	    "structural check accepts the rewrite (%s)", e.msg);

	t = edit(modern_patched, "origin", "replica");
	ok(rewrite_verify(&rs, FN, RULE_FORMS, "m", &a, modern, strlen(modern), t, strlen(t), &e) == -1,
	    "structural check refuses a wrong replacement: %s", e.msg);
	free(t);
	t = edit(modern_patched, "1;\n__END__", "2;\n__END__");
	ok(rewrite_verify(&rs, FN, RULE_FORMS, "m", &a, modern, strlen(modern), t, strlen(t), &e) == -1 &&
	    strstr(e.msg, "outside"), "structural check refuses a change elsewhere: %s", e.msg);
	free(t);

	ok(state_of(&rs, FN, modern_patched, &a) == MODULE_PATCHED, "patched file is patched");
	t = edit(modern, "SET session_replication_role = 'replica'",
	    "select aiven_extras.session_replication_role('replica');");
	ok(state_of(&rs, FN, t, &a) == MODULE_PARTIAL, "one statement patched: partial");
	ok(rewrite_apply(&out, &a, FN, RULE_FORMS, t, strlen(t), &e) == 0 && strcmp(out.data, modern_patched) == 0,
	    "apply completes a partial file");
	ok(rewrite_verify(&rs, FN, RULE_FORMS, "m", &a, t, strlen(t), out.data, out.len, &e) == 0,
	    "and the check accepts it (%s)", e.msg);
	free(t);

	t = edit(modern, "SET session_replication_role = 'replica'",
	    "SELECT  aiven_extras.session_replication_role( 'replica' )");
	ok(state_of(&rs, FN, t, &a) == MODULE_PARTIAL, "a hand edit with other spacing and case counts as patched");
	free(t);

	ok(state_of(&rs, "other.srr", modern_patched, &a) == MODULE_UNSUPPORTED &&
	    strstr(a.reason, "already calls aiven_extras.session_replication_role") &&
	    strstr(a.reason, "--function"), "patched for another function: refused with advice: %s", a.reason);

	ok(state_of(&rs, FN, old, &a) == MODULE_PRISTINE && a.nsites == 1, "5.1 layout found in start_kid");
	is_str(a.layout ? a.layout->name : NULL, "5.0", "5.0 layout chosen");
	rewrite_apply(&out, &a, FN, RULE_FORM_PLAIN, old, strlen(old), &e);
	ok(strstr(out.data, "$xdbh->do(q{select aiven_extras.session_replication_role('replica');});") != NULL,
	    "start_kid statement rewritten in the plain form when asked");
	rewrite_apply(&out, &a, FN, RULE_FORMS, old, strlen(old), &e);
	ok(strstr(out.data, "$xdbh->do(q{SELECT CASE WHEN EXISTS (") != NULL &&
	    strstr(out.data, "query_to_xml('SELECT aiven_extras.session_replication_role(''replica'')'") &&
	    strstr(out.data, "ELSE pg_catalog.set_config('session_replication_role', 'replica', false) END;});"),
	    "and in the guarded form by default, the 5.0 layout's");

	t = edit(old, "5.1.2", "4.5.0");
	ok(state_of(&rs, FN, t, &a) == MODULE_UNSUPPORTED && strstr(a.reason, "Bucardo 4.5.0") &&
	    strstr(a.reason, "older"), "Bucardo 4 refused, naming the version: %s", a.reason);
	free(t);

	t = edit(modern, "    $dbh->do(q{SET session_replication_role = 'replica'});\n", "");
	ok(state_of(&rs, FN, t, &a) == MODULE_UNSUPPORTED && strstr(a.reason, "disable_triggers") &&
	    strstr(a.reason, "SET session_replication_role = 'replica'"),
	    "missing statement refused, saying what was expected: %s", a.reason);
	free(t);

	t = edit(modern, "} ## end of enable_triggers",
	    "$dbh->do(q{SET session_replication_role = DEFAULT});\n} ## end of enable_triggers");
	ok(state_of(&rs, FN, t, &a) == MODULE_UNSUPPORTED && strstr(a.reason, "expected exactly one"),
	    "duplicated statement refused: %s", a.reason);
	free(t);

	t = edit(modern, "q{SET session_replication_role = default}", "q{SET session_replication_role = local}");
	ok(state_of(&rs, FN, t, &a) == MODULE_UNSUPPORTED && strstr(a.reason, "unexpected"),
	    "unknown value refused: %s", a.reason);
	free(t);

	ok(state_of(&rs, FN, "", &a) == MODULE_UNSUPPORTED && strstr(a.reason, "empty"), "empty file refused");
	ok(rewrite_analyze(&a, &rs, FN, "a\0b", 3, &e) == 0 && a.state == MODULE_UNSUPPORTED &&
	    strstr(a.reason, "NUL"), "binary file refused");
	ok(state_of(&rs, FN, "package Foo;\n1;\n", &a) == MODULE_UNSUPPORTED &&
	    strstr(a.reason, "not a Bucardo.pm"), "unrelated module refused: %s", a.reason);

	{
		const char *variants[] = {
			"SET session_replication_role TO replica", "set SESSION_REPLICATION_ROLE='replica';",
			"  SET   session_replication_role  =  replica  ", "SET SESSION session_replication_role = 'replica'",
		};
		size_t i;

		for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
			t = edit(modern, "SET session_replication_role = 'replica'", variants[i]);
			ok(state_of(&rs, FN, t, &a) == MODULE_PRISTINE, "replica spelling accepted: %s", variants[i]);
			free(t);
		}
	}
	{
		const char *variants[] = { "SET session_replication_role = DEFAULT",
			"SET session_replication_role TO DEFAULT", "SET session_replication_role = 'origin'" };
		size_t i;

		for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
			t = edit(modern, "SET session_replication_role = default", variants[i]);
			ok(state_of(&rs, FN, t, &a) == MODULE_PRISTINE, "reset spelling accepted: %s", variants[i]);
			free(t);
		}
	}
	t = edit(modern, "q{SET session_replication_role = 'replica'}",
	    "'SET session_replication_role = \\'replica\\''");
	ok(state_of(&rs, FN, t, &a) == MODULE_PRISTINE, "single-quoted statement with escapes accepted");
	rewrite_apply(&out, &a, FN, RULE_FORMS, t, strlen(t), &e);
	ok(strstr(out.data, "'select aiven_extras.session_replication_role(\\'replica\\');'") != NULL,
	    "rewritten inside '' with its quotes escaped");
	ok(rewrite_verify(&rs, FN, RULE_FORMS, "m", &a, t, strlen(t), out.data, out.len, &e) == 0,
	    "and the check accepts it (%s)", e.msg);
	free(t);

	buf_release(&out);
	analysis_release(&a);
	rules_release(&rs);
	return tap_done();
}
