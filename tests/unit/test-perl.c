/* test-perl.c: asking perl for @INC in a clean environment, and judging what it would load. */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perl.h"
#include "child.h"
#include "tap.h"

#define NOBODY	65534

static char base[PATH_MAX];
static struct fsroot host = FSROOT_INIT;
static int is_root;

static void
skip(const char *name, const char *why)
{
	ok(1, "%s # SKIP %s", name, why);
}


static int
has(const char *msg, const char *needle)
{
	if (msg != NULL && strstr(msg, needle) != NULL)
		return 1;
	printf("#   text:  %s\n#   lacks: %s\n", msg ? msg : "(null)", needle);
	return 0;
}

static const char *
at(const char *rel)
{
	static char bufs[32][2 * PATH_MAX];
	static int next;
	char *out = bufs[next++ % 32];

	snprintf(out, 2 * PATH_MAX, "%s/%s", base, rel);
	return out;
}

/* Is entry one of the NUL-terminated entries of inc? */
static int
inc_has(const struct buf *inc, const char *entry)
{
	const char *p, *end;

	if (inc->len == 0)
		return 0;
	for (p = inc->data, end = inc->data + inc->len; p < end; p += strlen(p) + 1)
		if (strcmp(p, entry) == 0)
			return 1;
	return 0;
}

static size_t
inc_count(const struct buf *inc)
{
	const char *p, *end;
	size_t n = 0;

	if (inc->len == 0)
		return 0;
	for (p = inc->data, end = inc->data + inc->len; p < end; p += strlen(p) + 1)
		n++;
	return n;
}

static void
show_inc(const struct buf *inc)
{
	const char *p, *end;

	if (inc->len == 0)
		return;
	for (p = inc->data, end = inc->data + inc->len; p < end; p += strlen(p) + 1)
		printf("#   @INC: %s\n", p);
}

static int
no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

static void
test_ask(void)
{
	struct buf inc = BUF_INIT;
	struct err e = ERR_INIT;
	int rc;

	setenv("PERL_USE_UNSAFE_INC", "1", 1);
	setenv("PERL5LIB", "/tmp/x", 1);
	setenv("PERLLIB", "/tmp/y", 1);
	setenv("PERL5OPT", "-Mno::such::module", 1);
	rc = perl_ask_inc(&host, "/usr/bin/perl", 0, &inc, &e);
	ok(rc == 0, "perl_ask_inc on /usr/bin/perl (%s)", e.msg);
	ok(inc_has(&inc, "/usr/share/perl5"), "@INC lists /usr/share/perl5");
	ok(!inc_has(&inc, "."), "no \".\" entry, even with PERL_USE_UNSAFE_INC=1 set here");
	ok(!inc_has(&inc, "/tmp/x") && !inc_has(&inc, "/tmp/y"),
	    "no PERL5LIB or PERLLIB entry, though both are set here");
	ok(inc.len > 0 && inc.data[inc.len - 1] == '\0' && inc_count(&inc) >= 3,
	    "entries end in NUL (%zu of them)", inc_count(&inc));
	if (!inc_has(&inc, "/usr/share/perl5") || inc_has(&inc, "."))
		show_inc(&inc);
	buf_reset(&inc);

	rc = perl_ask_inc(&host, "/usr/bin/perl", 'T', &inc, &e);
	ok(rc == 0 && inc_has(&inc, "/usr/share/perl5"), "with taint (-T) too (%s)", e.msg);
	buf_reset(&inc);
	unsetenv("PERL_USE_UNSAFE_INC");
	unsetenv("PERL5LIB");
	unsetenv("PERLLIB");
	unsetenv("PERL5OPT");

	memset(&e, 0, sizeof(e));
	rc = perl_ask_inc(&host, at("script-perl"), 0, &inc, &e);
	ok(rc == CHILD_NOT_RUN && inc.len == 0 && access(at("script-marker"), F_OK) == -1 &&
	    strstr(e.msg, "(a script or no x bit)") != NULL,
	    "a shebang script posing as perl is not run: CHILD_NOT_RUN (%s)", e.msg);
	memset(&e, 0, sizeof(e));
	rc = perl_ask_inc(&host, "/nonexistent/perl", 0, &inc, &e);
	ok(rc == CHILD_NOT_RUN && has(e.msg, "/nonexistent/perl"),
	    "a missing perl: CHILD_NOT_RUN, naming it");
	memset(&e, 0, sizeof(e));
	rc = perl_ask_inc(&host, at("bin/false-perl"), 0, &inc, &e);
	ok(rc == -1 && has(e.msg, "status 1"), "a perl that fails: -1 with its status");
	memset(&e, 0, sizeof(e));
	rc = perl_ask_inc(&host, at("bin/ls-perl"), 0, &inc, &e);
	ok(rc == -1 && has(e.msg, "status 2: ") && has(e.msg, "invalid option"),
	    "and the first line of its stderr");
	if (is_root) {
		memset(&e, 0, sizeof(e));
		rc = perl_ask_inc(&host, at("u/perl"), 0, &inc, &e);
		ok(rc == CHILD_UNTRUSTED && has(e.msg, at("u")),
		    "a perl reached through a directory of 65534: CHILD_UNTRUSTED");
	} else
		skip("a perl reached through a directory of 65534: CHILD_UNTRUSTED",
		    "needs root to chown");
	ok(no_children(), "no child left");
	buf_release(&inc);
}

static void
test_dirs(void)
{
	struct buf inc = BUF_INIT;
	struct err e = ERR_INIT;
	static const char list[] = "/usr/share/perl5\0CODE(0x5581)\0.\0lib\0/usr/lib/x86_64-linux-gnu/perl-base\0";
	char entry[PATH_MAX + 2];
	int rc;

	ok(perl_dir_trusted(&host, "/usr/share/perl5", &e) == 0,
	    "perl_dir_trusted: /usr/share/perl5 (%s)", e.msg);
	memset(&e, 0, sizeof(e));
	rc = perl_dir_trusted(&host, at("good/."), &e);
	ok(rc == 0, "perl_dir_trusted: DIR/. is DIR, judged and trusted (%d: %s)", rc, e.msg);
	memset(&e, 0, sizeof(e));
	rc = perl_dir_trusted(&host, "/usr/share/perl5/.", &e);
	ok(rc == 0, "perl_dir_trusted: /usr/share/perl5/. is "
	    "judged, and trusted (%d: %s)", rc, e.msg);
	memset(&e, 0, sizeof(e));
	rc = perl_dir_trusted(&host, "/usr/share/perl5/", &e);
	ok(rc == 0, "a trailing slash is harmless (%s)", e.msg);
	ok(perl_dir_trusted(&host, at("good"), &e) == 0, "a root-owned 0755 directory");
	ok(perl_dir_trusted(&host, at("good/missing/deeper"), &e) == 0,
	    "a missing directory below a trusted one");
	memset(&e, 0, sizeof(e));
	rc = perl_dir_trusted(&host, at("ww"), &e);
	ok(rc == FSROOT_UNTRUSTED && has(e.msg, at("ww")) && has(e.msg, "everybody"),
	    "a world-writable directory: FSROOT_UNTRUSTED, naming it");
	memset(&e, 0, sizeof(e));
	rc = perl_dir_trusted(&host, at("ww/missing/deeper"), &e);
	ok(rc == FSROOT_UNTRUSTED && has(e.msg, at("ww")),
	    "a missing directory below it: judged by that parent");
	if (is_root) {
		memset(&e, 0, sizeof(e));
		rc = perl_dir_trusted(&host, at("u"), &e);
		ok(rc == FSROOT_UNTRUSTED && has(e.msg, at("u")) && has(e.msg, "uid 65534"),
		    "a directory owned by 65534: FSROOT_UNTRUSTED, naming it and its owner");
		memset(&e, 0, sizeof(e));
		rc = perl_dir_trusted(&host, at("u/missing"), &e);
		ok(rc == FSROOT_UNTRUSTED && has(e.msg, at("u")),
		    "a missing directory below a 65534-owned parent is untrusted: "
		    "65534 could make it");
		rc = perl_dir_trusted(&host, at("u/missing/deeper/still"), &e);
		ok(rc == FSROOT_UNTRUSTED, "however deep");
		rc = perl_dir_trusted(&host, at("tou"), &e);
		ok(rc == FSROOT_UNTRUSTED, "a good link to that directory: untrusted");
		/* perl loads Evil/Mod.pm, and the .so below auto/, from below each entry. */
		memset(&e, 0, sizeof(e));
		rc = perl_dir_trusted(&host, at("tree1"), &e);
		ok(rc == FSROOT_UNTRUSTED && has(e.msg, at("tree1/Evil")) && has(e.msg, "uid 65534"),
		    "a directory of 65534 below a trusted entry: untrusted, naming it");
		memset(&e, 0, sizeof(e));
		rc = perl_dir_trusted(&host, at("tree2"), &e);
		ok(rc == FSROOT_UNTRUSTED && has(e.msg, at("tree2/Lib/Mod.pm")),
		    "a module file of 65534 deep below a trusted entry: untrusted, naming it");
		memset(&e, 0, sizeof(e));
		rc = perl_dir_trusted(&host, at("tree3"), &e);
		ok(rc == FSROOT_UNTRUSTED && has(e.msg, at("u")),
		    "a link below a trusted entry leading to 65534's directory: untrusted");
		memset(&e, 0, sizeof(e));
		rc = perl_dir_trusted(&host, at("tree4"), &e);
		ok(rc == 0, "a tree whose links loop back into itself is judged once, and trusted "
		    "(%d: %s)", rc, e.msg);
	} else {
		skip("a directory owned by 65534: FSROOT_UNTRUSTED", "needs root to chown");
		skip("a missing directory below a 65534-owned parent", "needs root to chown");
	}

	buf_append(&inc, list, sizeof(list) - 1);
	memset(&e, 0, sizeof(e));
	ok(perl_inc_trusted(&host, &inc, &e) == 0,
	    "perl_inc_trusted: system directories, with hooks and relative entries skipped (%s)",
	    e.msg);
	snprintf(entry, sizeof(entry), "%s", at("ww"));
	buf_append(&inc, entry, strlen(entry) + 1);
	memset(&e, 0, sizeof(e));
	ok(perl_inc_trusted(&host, &inc, &e) == FSROOT_UNTRUSTED && has(e.msg, at("ww")),
	    "perl_inc_trusted: one untrusted entry fails it, named");
	buf_reset(&inc);
	ok(perl_inc_trusted(&host, &inc, &e) == 0, "perl_inc_trusted: an empty list passes");
	buf_release(&inc);
}

static void
test_find(void)
{
	char *p;
	struct stat st;

	p = perl_find("perl");
	if (stat("/usr/sbin/perl", &st) == -1)
		is_str(p, "/usr/bin/perl", "perl_find(\"perl\") is /usr/bin/perl");
	else
		ok(p != NULL && p[0] == '/', "perl_find(\"perl\") is absolute (%s)", p);
	free(p);

	setenv("PATH", at("bin"), 1);
	p = perl_find("perl");
	ok(p != NULL && strncmp(p, base, strlen(base)) != 0,
	    "the caller's PATH is not used: a perl in it is not found (%s)", p ? p : "(null)");
	free(p);
	setenv("PATH", "/usr/bin:/bin", 1);

	p = perl_find("/opt/perl/bin/perl");
	is_str(p, "/opt/perl/bin/perl", "a path with a slash is taken as it is");
	free(p);
	p = perl_find("no-such-program-for-perl-find");
	ok(p == NULL, "a name found nowhere: NULL");
	free(p);
}

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	must(chmod(path, mode));
}

static void
setup(void)
{
	char text[PATH_MAX + 64];

	must(mkdir(at("good"), 0755));
	must(mkdir(at("bin"), 0755));
	must(mkdir(at("ww"), 0777));
	must(chmod(at("ww"), 0777));
	must(mkdir(at("u"), 0755));
	must(symlink("/usr/bin/false", at("bin/false-perl")));
	must(symlink("/usr/bin/ls", at("bin/ls-perl")));
	must(symlink("/usr/bin/perl", at("bin/perl")));
	must(symlink("/usr/bin/perl", at("u/perl")));
	must(symlink(at("u"), at("tou")));
	snprintf(text, sizeof(text), "#!/usr/bin/perl\nopen my $f, '>', '%s';\n",
	    at("script-marker"));
	put(at("script-perl"), text, 0755);
	if (is_root) {
		must(chown(at("u"), NOBODY, NOBODY));
		must(mkdir(at("tree1"), 0755));
		must(mkdir(at("tree1/Evil"), 0755));
		must(chown(at("tree1/Evil"), NOBODY, NOBODY));
		must(mkdir(at("tree2"), 0755));
		must(mkdir(at("tree2/Lib"), 0755));
		put(at("tree2/Lib/Mod.pm"), "package Lib::Mod;\n1;\n", 0644);
		must(chown(at("tree2/Lib/Mod.pm"), NOBODY, NOBODY));
		must(mkdir(at("tree3"), 0755));
		must(symlink(at("u"), at("tree3/Via")));
		must(mkdir(at("tree4"), 0755));
		must(mkdir(at("tree4/a"), 0755));
		must(symlink("..", at("tree4/a/up")));
		must(symlink(at("tree4"), at("tree4/self")));
	}
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

int
main(void)
{
	char tmpl[] = "/tmp/test-perl.XXXXXX";
	const char *path = getenv("PATH");
	char *saved = strdup(path != NULL ? path : "/usr/bin:/bin");
	struct err e = ERR_INIT;

	if (access("/usr/bin/perl", X_OK) == -1) {
		printf("1..0 # SKIP /usr/bin/perl not installed\n");
		free(saved);
		return 0;
	}
	umask(022);
	is_root = geteuid() == 0;
	/* /tmp, not $TMPDIR: the trust rule needs a chain nobody else controls. */
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	setup();

	test_ask();
	test_dirs();
	test_find();

	setenv("PATH", saved, 1);
	free(saved);
	fsroot_close(&host);
	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
	return tap_done();
}
