/* test-patterns.c: the engine's PCRE2 patterns: rules compiled once, and every PCRE2 failure reported as what it is. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <dlfcn.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "tap.h"

#define FN "aiven_extras.session_replication_role"
#define SHIPPED "SET session_replication_role = 'replica'"

/*
 * This program's own pcre2_compile and pcre2_match: the engine's objects
 * are linked into it, so their calls come here first. Each compile is
 * recorded (which code came from which pattern); a match on code compiled
 * from a pattern starting with fail_match fails with the match limit, and
 * a compile of a pattern starting with fail_compile fails as when memory
 * runs out: faults no input can be relied on to cause.
 */
struct compiled {
	const pcre2_code	*code;
	char			 pattern[256];
};

static struct compiled compiled[4096];
static size_t ncompiled;
static const char *fail_match, *fail_compile;

static int
starts(const char *s, const char *prefix)
{
	return prefix != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

pcre2_code *
pcre2_compile(PCRE2_SPTR pattern, PCRE2_SIZE length, uint32_t options, int *errorcode,
    PCRE2_SIZE *erroroffset, pcre2_compile_context *ccontext)
{
	static pcre2_code *(*real)(PCRE2_SPTR, PCRE2_SIZE, uint32_t, int *, PCRE2_SIZE *,
	    pcre2_compile_context *);
	pcre2_code *code;
	char text[256];

	if (real == NULL &&
	    (real = (pcre2_code *(*)(PCRE2_SPTR, PCRE2_SIZE, uint32_t, int *, PCRE2_SIZE *,
	    pcre2_compile_context *))dlsym(RTLD_NEXT, "pcre2_compile_8")) == NULL) {
		printf("Bail out! no pcre2_compile_8 in the library\n");
		exit(1);
	}
	snprintf(text, sizeof(text), "%.*s", length == PCRE2_ZERO_TERMINATED ? 255 :
	    (int)(length < 255 ? length : 255), (const char *)pattern);
	if (starts(text, fail_compile)) {
		*errorcode = PCRE2_ERROR_HEAP_FAILED;
		*erroroffset = 0;
		return NULL;
	}
	code = real(pattern, length, options, errorcode, erroroffset, ccontext);
	if (code != NULL && ncompiled < sizeof(compiled) / sizeof(compiled[0])) {
		compiled[ncompiled].code = code;
		memcpy(compiled[ncompiled++].pattern, text, sizeof(text));
	}
	return code;
}

int
pcre2_match(const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE length, PCRE2_SIZE start,
    uint32_t options, pcre2_match_data *md, pcre2_match_context *mcontext)
{
	static int (*real)(const pcre2_code *, PCRE2_SPTR, PCRE2_SIZE, PCRE2_SIZE, uint32_t,
	    pcre2_match_data *, pcre2_match_context *);
	size_t i;

	if (real == NULL &&
	    (real = (int (*)(const pcre2_code *, PCRE2_SPTR, PCRE2_SIZE, PCRE2_SIZE, uint32_t,
	    pcre2_match_data *, pcre2_match_context *))dlsym(RTLD_NEXT, "pcre2_match_8")) == NULL) {
		printf("Bail out! no pcre2_match_8 in the library\n");
		exit(1);
	}
	/* The newest record of this address: codes are freed and their memory reused. */
	for (i = ncompiled; fail_match != NULL && i > 0; i--)
		if (compiled[i - 1].code == code) {
			if (starts(compiled[i - 1].pattern, fail_match))
				return PCRE2_ERROR_MATCHLIMIT;
			break;
		}
	return real(code, subject, length, start, options, md, mcontext);
}

static int
has(const char *text, const char *needle)
{
	if (text != NULL && strstr(text, needle) != NULL)
		return 1;
	printf("#   text:  %s\n#   lacks: %s\n", text ? text : "(null)", needle);
	return 0;
}

static const char *modern =
    "package Bucardo;\n"
    "our $VERSION = '5.6.0';\n"
    "sub disable_triggers {\n"
    "    $self->glog(\"Setting session_replication_role to replica\", 1);\n"
    "    $dbh->do(q{SET session_replication_role = 'replica'});\n"
    "} ## end of disable_triggers\n"
    "sub enable_triggers {\n"
    "\t$dbh->do(q{SET session_replication_role = default}); ## Assumes a sane default!\n"
    "} ## end of enable_triggers\n"
    "1;\n__END__\n=head1 SET session_replication_role = 'replica'\n";

/* Was pattern compiled in records [from, to)? */
static int
compiled_in(const char *pattern, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (strcmp(compiled[i].pattern, pattern) == 0)
			return 1;
	return 0;
}

static void
test_compiled_once(void)
{
	struct ruleset rs = RULESET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct err e = ERR_INIT;
	size_t loaded, i, j, f, again = 0, per[3];
	int all = 1, k;

	ncompiled = 0;
	if (rules_load_builtin(&rs, &e) == -1) {
		printf("Bail out! %s\n", e.msg);
		exit(1);
	}
	loaded = ncompiled;
	for (i = 0; i < rs.nlayouts; i++) {
		const struct layout *l = &rs.layouts[i];

		all &= l->mentions_re != NULL;
		for (j = 0; j < l->nrules; j++) {
			const struct rule *r = &l->rules[j];

			all &= r->statement_re != NULL && (r->context_re != NULL) == (r->context != NULL);
			for (f = 0; f < RULE_FORMS; f++)
				all &= (r->becomes_re[f] != NULL) == (r->becomes[f] != NULL);
		}
	}
	ok(all, "every pattern of the built-in rules is compiled when they are parsed");
	ok(loaded >= 8, "loading the rules compiles their patterns (%zu)", loaded);

	for (k = 0; k < 3; k++) {
		size_t before = ncompiled;

		if (rewrite_analyze(&a, &rs, FN, modern, strlen(modern), &e) == -1 ||
		    a.state != MODULE_PRISTINE) {
			printf("Bail out! analysis failed: %s %s\n", e.msg, a.reason);
			exit(1);
		}
		per[k] = ncompiled - before;
		for (i = 0; i < loaded; i++)
			again += compiled_in(compiled[i].pattern, before, ncompiled);
	}
	ok(again == 0, "three analyses compile none of the rules' patterns again (%zu did)", again);
	ok(per[0] == per[1] && per[1] == per[2], "each analysis compiles the same few fixed "
	    "scans of the file, %zu", per[0]);
	ok(per[0] <= 6, "and no more than 6 (%zu)", per[0]);
	analysis_release(&a);
	rules_release(&rs);
	ok(rs.layouts == NULL && rs.nlayouts == 0, "rules_release empties the ruleset");
}

static void
test_rule_errors(void)
{
	struct ruleset rs = RULESET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct err e = ERR_INIT;
	size_t group[2];
	const char *bad = "layout a\nsince 5.0\nmentions x\nsub s\nexpect x\nstatement ab(c\n"
	    "becomes select {function}('r');\n";
	const char *limited = "layout a\nsince 5.0\nmentions zzz\nsub start_kid\nexpect x\n"
	    "statement (*LIMIT_MATCH=2)^(?:a|b|ab)+c\nbecomes select {function}('r');\n";
	const char *text = "our $VERSION = '5.0.1';\nsub start_kid {\n    $dbh->do(q{abababababababababdc});\n}\n";

	ok(rules_parse(&rs, "t.rules", bad, strlen(bad), &e) == -1 &&
	    has(e.msg, "t.rules:1 (sub s): 'statement': bad pattern at offset 4: ") &&
	    has(e.msg, "missing closing parenthesis"),
	    "a pattern PCRE2 refuses: its message and offset, where it is: %s", e.msg);
	rules_release(&rs);

	memset(&e, 0, sizeof(e));
	ok(rules_parse(&rs, "t.rules", limited, strlen(limited), &e) == 0, "a pattern with a "
	    "match limit of its own parses (%s)", e.msg);
	memset(&e, 0, sizeof(e));
	ok(rules_match(rs.layouts[0].rules[0].statement_re, "ababababababdc", 14, NULL, &e) == -1 &&
	    has(e.msg, "t.rules:1 (sub start_kid): 'statement': cannot match: match limit exceeded"),
	    "a match PCRE2 gives up on is -1 with PCRE2's message: %s", e.msg);
	memset(&e, 0, sizeof(e));
	ok(rewrite_analyze(&a, &rs, FN, text, strlen(text), &e) == -1 &&
	    has(e.msg, "match limit exceeded"),
	    "and the analysis fails saying so, rather than judging the file: %s%s", e.msg,
	    a.reason);
	analysis_release(&a);
	rules_release(&rs);

	must(rules_load_builtin(&rs, &e));
	ok(rules_match(rs.layouts[0].rules[0].statement_re, SHIPPED, strlen(SHIPPED), NULL,
	    &e) == 1, "rules_match: the shipped statement matches");
	ok(rules_match(rs.layouts[0].rules[0].statement_re, SHIPPED, strlen(SHIPPED) - 3, NULL,
	    &e) == 0, "rules_match: only the len bytes given are matched");
	ok(rules_match(rs.layouts[0].rules[0].becomes_re[RULE_FORM_PLAIN],
	    "select other.fn('replica')", 26, group, &e) == 1 &&
	    group[0] == 7 && group[1] == 15, "a template's pattern captures the function");
	rules_release(&rs);
}

static void
test_sql_normal(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "SELECT  aiven_extras.f( 'replica' ) ;", "select aiven_extras.f('replica')" },
		{ "\tselect f ('x');;  ", "select f('x')" },
		{ "SET session_replication_role = DEFAULT", "set session_replication_role = default" },
		{ "", "" },
	};
	size_t i;
	char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = rules_sql_normal(cases[i].in);
		is_str(got, cases[i].want, "rules_sql_normal(\"%s\")", cases[i].in);
		free(got);
	}
}

/* A guarded form written for another function is named as such, not as an unknown statement. */
static void
test_other_function(void)
{
	struct ruleset rs = RULESET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;

	must(rules_load_builtin(&rs, &e));
	must(rewrite_analyze(&a, &rs, "ext.srr", modern, strlen(modern), &e));
	must(rewrite_apply(&out, &a, "ext.srr", RULE_FORM_GUARDED, modern, strlen(modern), &e));
	ok(rewrite_analyze(&a, &rs, "ext.srr", out.data, out.len, &e) == 0 &&
	    a.state == MODULE_PATCHED && a.sites[0].form == RULE_FORM_GUARDED,
	    "guarded for ext.srr: patched, for ext.srr");
	ok(rewrite_analyze(&a, &rs, FN, out.data, out.len, &e) == 0 &&
	    a.state == MODULE_UNSUPPORTED && has(a.reason, "already calls ext.srr instead of") &&
	    has(a.reason, "--function ext.srr"),
	    "guarded for ext.srr, judged for the default: named, with the option to pass");
	is_str(a.other_function, "ext.srr", "and the other function recorded");
	analysis_release(&a);
	buf_release(&out);
	rules_release(&rs);
}

/* A PCRE2 failure while a module is scanned is an error saying so, never a verdict. */
static void
test_scan_faults(void)
{
	static const struct { const char *pattern, *what; } scans[] = {
		{ "^=[A-Za-z]", "the POD scan" },
		{ "^__(?:END|DATA)__", "the __END__ scan" },
		{ "^sub[ ", "the scan for subs" },
		{ "^[ \\t]*our[ \\t]+\\$VERSION", "the $VERSION scan" },
	};
	struct perl_source src;
	struct ruleset rs = RULESET_INIT;
	struct analysis a = ANALYSIS_INIT;
	struct span body;
	struct err e = ERR_INIT;
	unsigned count;
	size_t i;

	must(rules_load_builtin(&rs, &e));
	for (i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		fail_match = scans[i].pattern;
		ok(locate_source(&src, modern, strlen(modern)) == -1 &&
		    has(src.why.msg, "match limit exceeded") && has(src.why.msg, scans[i].pattern),
		    "%s fails: locate_source fails, saying so: %s", scans[i].what, src.why.msg);
		ok(src.pods == NULL && src.subs == NULL, "and keeps nothing to release");
		memset(&e, 0, sizeof(e));
		ok(rewrite_analyze(&a, &rs, FN, modern, strlen(modern), &e) == -1 &&
		    has(e.msg, "match limit exceeded"),
		    "%s fails: the analysis fails with PCRE2's message: %s", scans[i].what, e.msg);
		locate_source_release(&src);
	}

	fail_match = "^\\}";
	must(locate_source(&src, modern, strlen(modern)));
	memset(&e, 0, sizeof(e));
	ok(locate_sub(&src, "disable_triggers", &body, &count, &e) == -1 &&
	    has(e.msg, "match limit exceeded") && has(e.msg, "end of sub disable_triggers") &&
	    strstr(e.msg, "never closed") == NULL,
	    "the scan for a sub's end fails: said so, not \"never closed\": %s", e.msg);
	locate_source_release(&src);
	fail_match = NULL;

	fail_compile = "^__(?:END|DATA)__";
	ok(locate_source(&src, modern, strlen(modern)) == -1 &&
	    has(src.why.msg, "cannot compile the pattern ^__(?:END|DATA)__") &&
	    has(src.why.msg, "at offset 0: failed to allocate heap memory"),
	    "a scan that cannot be compiled: PCRE2's message and offset: %s", src.why.msg);
	fail_compile = NULL;

	must(locate_source(&src, modern, strlen(modern)));
	ok(src.code_end == (size_t)(strstr(modern, "__END__") - modern) && src.npods == 1 &&
	    src.nsubs == 2 && src.version != SIZE_MAX,
	    "without faults: __END__, the POD after it, both subs and $VERSION found");
	locate_source_release(&src);
	analysis_release(&a);
	rules_release(&rs);
}

int
main(void)
{
	test_compiled_once();
	test_rule_errors();
	test_sql_normal();
	test_other_function();
	test_scan_faults();
	return tap_done();
}
