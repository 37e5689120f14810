/* test-rules.c: parsing patches/ rules files, and refusing bad ones or untrusted ones. */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "rulesdir.h"
#include "tap.h"

#define NOBODY	65534
#define MINIMAL	"layout a\nsince 5.0\nmentions x\nsub s\nexpect x\nstatement x\n" \
		"becomes select {function}('r');\n"

static void
skip(const char *name, const char *why)
{
	ok(1, "%s # SKIP %s", name, why);
}


static int
parse(const char *text, struct err *e)
{
	struct ruleset rs = RULESET_INIT;
	int rc = rules_parse(&rs, "t.rules", text, strlen(text), e);

	rules_release(&rs);
	return rc;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static int
load(struct fsroot *host, const char *dir, struct err *e)
{
	struct ruleset rs = RULESET_INIT;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = rules_load_dir(&rs, host, dir, e);
	rules_release(&rs);
	return rc;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* --rules DIR: the directory and each file must pass the trust rule. */
static void
test_trust(struct fsroot *host)
{
	char base[] = "/tmp/test-rules.XXXXXX", dir[PATH_MAX], file[PATH_MAX * 2];
	struct ruleset rs = RULESET_INIT;
	struct err e = ERR_INIT;
	int rc;

	if (mkdtemp(base) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(dir, sizeof(dir), "%s/good", base);
	must(mkdir(dir, 0755));
	put(dir, "a.rules", MINIMAL);
	put(dir, "b.rules", MINIMAL);
	put(dir, "ignored.txt", "not rules\n");
	rc = rules_load_dir(&rs, host, dir, &e);
	ok(rc == 0 && rs.nlayouts == 2, "a trusted directory's *.rules load, in order (%s)",
	    e.msg);
	rules_release(&rs);

	snprintf(dir, sizeof(dir), "%s/ww", base);
	must(mkdir(dir, 0777));
	must(chmod(dir, 0777));
	put(dir, "a.rules", MINIMAL);
	rc = load(host, dir, &e);
	ok(rc != 0 && strstr(e.msg, dir) && strstr(e.msg, "not trusted") &&
	    strstr(e.msg, "rules from there are not used"),
	    "a world-writable rules directory is refused: %s", e.msg);
	ok(rc == FSROOT_UNTRUSTED,
	    "and the result is FSROOT_UNTRUSTED (%d)", rc);

	if (geteuid() != 0) {
		skip("a rules directory owned by 65534 is refused", "needs root to chown");
		skip("a rules file owned by 65534 is refused", "needs root to chown");
		skip("a rules directory group 65534 may write is refused", "needs root to chown");
		goto cleanup;
	}
	snprintf(dir, sizeof(dir), "%s/theirs", base);
	must(mkdir(dir, 0755));
	put(dir, "a.rules", MINIMAL);
	must(chown(dir, NOBODY, NOBODY));
	rc = load(host, dir, &e);
	ok(rc != 0 && strstr(e.msg, dir) && strstr(e.msg, "not trusted"),
	    "a rules directory owned by 65534 is refused: %s", e.msg);
	ok(strstr(e.msg, "uid 65534") != NULL, "and the message names its owner");

	snprintf(dir, sizeof(dir), "%s/theirfile", base);
	must(mkdir(dir, 0755));
	put(dir, "a.rules", MINIMAL);
	put(dir, "b.rules", MINIMAL);
	snprintf(file, sizeof(file), "%s/b.rules", dir);
	must(chown(file, NOBODY, NOBODY));
	rc = load(host, dir, &e);
	ok(rc != 0 && strstr(e.msg, file) && strstr(e.msg, "not trusted"),
	    "a rules file owned by 65534 is refused, even beside good ones: %s", e.msg);
	ok(strstr(e.msg, "uid 65534") != NULL && strstr(e.msg, "a directory on the way") == NULL, "and the message blames the file and names its owner");

	snprintf(dir, sizeof(dir), "%s/gw", base);
	must(mkdir(dir, 0775));
	must(chmod(dir, 0775));
	put(dir, "a.rules", MINIMAL);
	must(chown(dir, 0, NOBODY));
	rc = load(host, dir, &e);
	ok(rc != 0 && strstr(e.msg, dir) && strstr(e.msg, "not trusted"),
	    "a rules directory group 65534 may write is refused: %s", e.msg);
	ok(strstr(e.msg, "writable by group 65534") != NULL,
	    "and the message names the group");
cleanup:
	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
}

int
main(void)
{
	struct ruleset rs = RULESET_INIT;
	struct fsroot host = FSROOT_INIT;
	struct err e = ERR_INIT;
	const struct layout *l;
	char dir[256];

	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	ok(rules_load_builtin(&rs, &e) == 0, "built-in rules load (%s)", e.msg);
	ok(rs.nlayouts == 2, "two layouts built in");
	l = &rs.layouts[0];
	is_str(l->name, "5.4", "5.4 layout first: tried before start_kid's");
	ok(l->nrules == 2, "5.4 layout has two rules");
	is_str(l->rules[0].sub, "disable_triggers", "first rule is in disable_triggers");
	is_str(l->rules[0].becomes[RULE_FORM_PLAIN], "select {function}('replica');",
	    "it becomes the replica call");
	is_str(l->rules[1].sub, "enable_triggers", "second rule is in enable_triggers");
	is_str(l->rules[1].becomes[RULE_FORM_PLAIN], "select {function}('origin');",
	    "it becomes the origin call");
	ok(l->form == RULE_FORM_PLAIN && l->rules[0].becomes[RULE_FORM_GUARDED] != NULL &&
	    l->rules[1].becomes[RULE_FORM_GUARDED] != NULL,
	    "5.4 layout writes the plain form by default, and has a guarded one");
	is_str(rs.layouts[1].name, "5.0", "5.0 layout second");
	is_str(rs.layouts[1].rules[0].sub, "start_kid", "5.0 layout patches start_kid");
	is_str(rs.layouts[1].since, "4.99.6", "5.0 layout since 4.99.6, the betas with its statements");
	ok(rs.layouts[1].form == RULE_FORM_GUARDED, "5.0 layout writes the guarded form by default");
	is_str(rs.layouts[1].refuse_from, "4.99.0", "older betas refused from 4.99.0");
	ok(rs.layouts[1].refuse_why != NULL && strstr(rs.layouts[1].refuse_why,
	    "sub run_kid_custom_code") != NULL, "naming their second statement's sub");
	rules_release(&rs);

	snprintf(dir, sizeof(dir), "%s/patches", getenv("SRCDIR") ? getenv("SRCDIR") : "..");
	ok(rules_load_dir(&rs, &host, dir, &e) == 0 && rs.nlayouts == 2,
	    "the patches/ directory loads like the built-in copy (%s)", e.msg);
	rules_release(&rs);

	ok(parse("sub x\n", &e) == -1 && strstr(e.msg, "before any 'layout'"),
	    "key before layout refused: %s", e.msg);
	ok(parse("layout a\nsince 5\nmentions x\nsub s\nexpect x\nstatement (\nbecomes {function}\n", &e) == -1 &&
	    strstr(e.msg, "bad pattern"), "bad regex refused at load: %s", e.msg);
	ok(parse("layout a\nsince 5\nmentions x\nsub s\nexpect x\nstatement x\nbecomes select f()\n", &e) == -1 &&
	    strstr(e.msg, "{function}"), "template without {function} refused: %s", e.msg);
	ok(parse("layout a\nsince 5\nform guarded\nmentions x\nsub s\nexpect x\nstatement x\n"
	    "becomes select {function}();\n", &e) == -1 && strstr(e.msg, "no 'guarded'"),
	    "a layout that writes the guarded form needs that form in every sub: %s", e.msg);
	ok(parse("layout a\nform sideways\n", &e) == -1 && strstr(e.msg, "plain or guarded"),
	    "an unknown form refused: %s", e.msg);
	ok(parse("layout a\nrefuse later than that\n", &e) == -1 && strstr(e.msg, "release"),
	    "refuse without a release number refused: %s", e.msg);
	ok(parse("layout a\nsince 5\nmentions x\nsub s\nexpect x\nstatement x\n"
	    "becomes select {function}();\nguarded select 1;\n", &e) == -1 &&
	    strstr(e.msg, "'guarded' must contain {function}"),
	    "a guarded template without {function} refused: %s", e.msg);
	ok(parse("layout a\nfrobnicate 1\n", &e) == -1 && strstr(e.msg, "unknown key"),
	    "unknown key refused: %s", e.msg);
	ok(parse("layout a\nsince 5\n", &e) == -1 && strstr(e.msg, "needs"),
	    "layout without rules refused: %s", e.msg);
	ok(parse("# nothing\n", &e) == -1 && strstr(e.msg, "no 'layout'"),
	    "file without layout refused: %s", e.msg);
	ok(parse("layout a\nsince 5\nsince 6\n", &e) == -1 && strstr(e.msg, "twice"),
	    "repeated key refused: %s", e.msg);
	ok(parse(MINIMAL, &e) == 0, "a minimal valid file parses (%s)", e.msg);
	ok(rules_load_dir(&rs, &host, "/nonexistent", &e) == -1 && strstr(e.msg, "/nonexistent"),
	    "missing rules directory named in the error: %s", e.msg);
	rules_release(&rs);

	test_trust(&host);

	{
		char *x = rules_expand("select {function}('{schema}', '{name}', {function});",
		    "ext.fn");
		is_str(x, "select ext.fn('ext', 'fn', ext.fn);",
		    "rules_expand fills {function}, {schema} and {name}");
		free(x);
		errno = 0;
		x = rules_expand("select {schema}.x;", "fn");
		ok(x == NULL && errno == EINVAL, "a {schema} for an unqualified name: EINVAL");
		x = rules_expand("select {function}();", "fn");
		is_str(x, "select fn();", "{function} alone takes an unqualified name");
		free(x);
	}
	ok(rules_function_ok("aiven_extras.session_replication_role"), "schema-qualified name accepted");
	ok(rules_function_ok("srr"), "plain name accepted");
	ok(!rules_function_ok("a.b.c"), "three parts refused");
	ok(!rules_function_ok("f'); drop table x; --"), "SQL injection refused");
	ok(!rules_function_ok("$x"), "perl sigil refused");
	ok(!rules_function_ok(""), "empty name refused");
	ok(!rules_function_ok("1abc"), "leading digit refused");
	fsroot_close(&host);
	return tap_done();
}
