/* test-rules.c: parsing patches/ rules files, and refusing bad ones. */
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "tap.h"

static int
parse(const char *text, struct err *e)
{
	struct ruleset rs = RULESET_INIT;
	int rc = rules_parse(&rs, "t.rules", text, strlen(text), e);

	rules_release(&rs);
	return rc;
}

int
main(void)
{
	struct ruleset rs = RULESET_INIT;
	struct err e = ERR_INIT;
	const struct layout *l;
	char dir[256];

	ok(rules_load_builtin(&rs, &e) == 0, "built-in rules load (%s)", e.msg);
	ok(rs.nlayouts == 2, "two layouts built in");
	l = &rs.layouts[0];
	is_str(l->name, "5.4", "5.4 layout first: tried before start_kid's");
	ok(l->nrules == 2, "5.4 layout has two rules");
	is_str(l->rules[0].sub, "disable_triggers", "first rule is in disable_triggers");
	is_str(l->rules[0].becomes, "select {function}('replica');", "it becomes the replica call");
	is_str(l->rules[1].sub, "enable_triggers", "second rule is in enable_triggers");
	is_str(l->rules[1].becomes, "select {function}('origin');", "it becomes the origin call");
	is_str(rs.layouts[1].name, "5.0", "5.0 layout second");
	is_str(rs.layouts[1].rules[0].sub, "start_kid", "5.0 layout patches start_kid");
	is_str(rs.layouts[1].since, "5.0.0", "5.0 layout since 5.0.0");
	rules_release(&rs);

	snprintf(dir, sizeof(dir), "%s/patches", getenv("SRCDIR") ? getenv("SRCDIR") : "..");
	ok(rules_load_dir(&rs, dir, &e) == 0 && rs.nlayouts == 2,
	    "the patches/ directory loads like the built-in copy (%s)", e.msg);
	rules_release(&rs);

	ok(parse("sub x\n", &e) == -1 && strstr(e.msg, "before any 'layout'"),
	    "key before layout refused: %s", e.msg);
	ok(parse("layout a\nsince 5\nmentions x\nsub s\nexpect x\nstatement (\nbecomes {function}\n", &e) == -1 &&
	    strstr(e.msg, "bad pattern"), "bad regex refused at load: %s", e.msg);
	ok(parse("layout a\nsince 5\nmentions x\nsub s\nexpect x\nstatement x\nbecomes select f()\n", &e) == -1 &&
	    strstr(e.msg, "{function}"), "template without {function} refused: %s", e.msg);
	ok(parse("layout a\nfrobnicate 1\n", &e) == -1 && strstr(e.msg, "unknown key"),
	    "unknown key refused: %s", e.msg);
	ok(parse("layout a\nsince 5\n", &e) == -1 && strstr(e.msg, "needs"),
	    "layout without rules refused: %s", e.msg);
	ok(parse("# nothing\n", &e) == -1 && strstr(e.msg, "no 'layout'"),
	    "file without layout refused: %s", e.msg);
	ok(parse("layout a\nsince 5\nsince 6\n", &e) == -1 && strstr(e.msg, "twice"),
	    "repeated key refused: %s", e.msg);
	ok(parse("layout a\nsince 5.0\nmentions x\nsub s\nexpect x\nstatement x\nbecomes select {function}('r');\n", &e) == 0,
	    "a minimal valid file parses (%s)", e.msg);
	ok(rules_load_dir(&rs, "/nonexistent", &e) == -1 && strstr(e.msg, "/nonexistent"),
	    "missing rules directory named in the error: %s", e.msg);
	rules_release(&rs);

	ok(rules_function_ok("aiven_extras.session_replication_role"), "schema-qualified name accepted");
	ok(rules_function_ok("srr"), "plain name accepted");
	ok(!rules_function_ok("a.b.c"), "three parts refused");
	ok(!rules_function_ok("f'); drop table x; --"), "SQL injection refused");
	ok(!rules_function_ok("$x"), "perl sigil refused");
	ok(!rules_function_ok(""), "empty name refused");
	ok(!rules_function_ok("1abc"), "leading digit refused");
	return tap_done();
}
