/* test-discover.c: Bucardo.pm below fake roots, and through a real perl. */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "discover.h"
#include "tap.h"

#define NOBODY	65534

/* Where interpreters are found and judged: the live system. */
static struct fsroot host = FSROOT_INIT;

/* Options for a search below the fake root dir (opened into *r). */
static struct discover_options
below(struct fsroot *r, const char *dir, const char *home)
{
	struct discover_options o;
	struct err e = ERR_INIT;

	fsroot_close(r);
	if (fsroot_open(r, dir, &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		exit(1);
	}
	memset(&o, 0, sizeof(o));
	o.root = r;
	o.host = &host;
	o.path_env = "/usr/bin:/bin";
	o.home = home;
	return o;
}


/* Make every directory of base/rel, like mkdir -p. */
static void
mkdirs(const char *base, const char *rel)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

/* base/rel, with the directories above it made. */
static void
path_at(char *path, size_t size, const char *base, const char *rel)
{
	char *slash;

	snprintf(path, size, "%s/%s", base, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdirs(path, ".");
	*slash = '/';
}

static void
put(const char *base, const char *rel, const char *text, mode_t mode)
{
	char path[4096];
	FILE *f;

	path_at(path, sizeof(path), base, rel);
	unlink(path);
	if ((f = fopen(path, "w")) == NULL) {
		printf("# cannot write %s\n", path);
		return;
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
link_at(const char *base, const char *rel, const char *target)
{
	char path[4096];

	path_at(path, sizeof(path), base, rel);
	if (symlink(target, path) == -1)
		printf("# cannot link %s: %s\n", path, strerror(errno));
}

/* base/rel as a string the caller frees. */
static char *
at(const char *base, const char *rel)
{
	char *s;

	if (asprintf(&s, "%s/%s", base, rel) == -1)
		return NULL;
	return s;
}

/* Show, then forget, the message a failed call left. */
static void
diag(struct err *e)
{
	if (e->msg[0] != '\0')
		printf("#   err: %s\n", e->msg);
	e->msg[0] = '\0';
}

static int
has_searched(const struct discovery *d, const char *dir)
{
	size_t i;

	for (i = 0; i < d->nsearched; i++)
		if (strcmp(d->searched[i], dir) == 0)
			return 1;
	return 0;
}

static size_t
count_active(const struct discovery *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->ncopies; i++)
		n += d->copies[i].active != 0;
	return n;
}

/* The index of the copy whose real path is path, or -1. */
static long
copy_index(const struct discovery *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->ncopies; i++)
		if (strcmp(d->copies[i].path, path) == 0)
			return (long)i;
	return -1;
}

static void
test_two_copies(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *local, *pkg, *active = NULL;

	root = at(tmp, "two");
	put(root, "usr/share/perl5/Bucardo.pm", "package Bucardo;\n", 0644);
	put(root, "usr/local/share/perl/5.36.0/Bucardo.pm", "x\n", 0644);
	local = at(root, "usr/local/share/perl/5.36.0/Bucardo.pm");
	pkg = at(root, "usr/share/perl5/Bucardo.pm");
	o = below(&r, root, NULL);

	ok(discover_modules(&d, &o, &e) == 0,
	    "root: discover_modules succeeds");
	ok(d.ncopies == 2, "root: both copies found (got %zu)", d.ncopies);
	if (d.ncopies == 2) {
		is_str(d.copies[0].path, local, "root: /usr/local copy first");
		ok(d.copies[0].active, "root: /usr/local copy active");
		is_str(d.copies[1].path, pkg, "root: packaged copy second");
		ok(!d.copies[1].active, "root: packaged copy not active");
		is_str(d.copies[1].inner, "/usr/share/perl5/Bucardo.pm",
		    "root: inner is the path inside the root");
		ok(!d.copies[0].untrusted && !d.copies[1].untrusted &&
		    d.copies[1].why == NULL, "root: both trusted");
	}
	is_str(d.active, local, "root: d.active is the /usr/local copy");
	ok(d.warning == NULL, "root: nothing run, nothing to warn about");
	discovery_release(&d);

	ok(discover_active(&active, &o, &e) == 0,
	    "root: discover_active succeeds");
	is_str(active, local, "root: discover_active agrees");
	free(active);

	/* A leftover from before a perl upgrade ranks below the newer one. */
	put(root, "usr/local/share/perl/5.34.0/Bucardo.pm", "old\n", 0644);
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == 3,
	    "root: three copies with an older perl's directory");
	is_str(d.active, local, "root: newest perl version's copy active");
	discovery_release(&d);

	fsroot_close(&r);
	free(pkg);
	free(local);
	free(root);
}

static void
test_dedupe(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *real, *first;

	root = at(tmp, "dedupe");
	put(root, "usr/share/perl5/Bucardo.pm", "package Bucardo;\n", 0644);
	link_at(root, "usr/local/share/perl5/Bucardo.pm",
	    "../../../share/perl5/Bucardo.pm");
	link_at(root, "etc/perl/Bucardo.pm", "/usr/share/perl5/Bucardo.pm");
	real = at(root, "usr/share/perl5/Bucardo.pm");
	first = at(root, "etc/perl/Bucardo.pm");
	o = below(&r, root, NULL);

	ok(discover_modules(&d, &o, &e) == 0,
	    "dedupe: discover_modules succeeds");
	ok(d.ncopies == 1, "dedupe: one file behind three names (got %zu)",
	    d.ncopies);
	if (d.ncopies >= 1) {
		is_str(d.copies[0].path, real, "dedupe: real path reported");
		is_str(d.copies[0].inner, "/usr/share/perl5/Bucardo.pm",
		    "dedupe: its inner path, links resolved");
		ok(d.copies[0].active, "dedupe: it is active");
	}
	discovery_release(&d);
	fsroot_close(&r);
	free(first);
	free(real);
	free(root);
}

static void
test_links_stay_in_root(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *want, *dirlink;
	int rc;

	/* Absolute target: the root's /opt, not the host's. */
	root = at(tmp, "abs");
	put(root, "opt/bucardo/Bucardo.pm", "package Bucardo;\n", 0644);
	link_at(root, "usr/share/perl5/Bucardo.pm", "/opt/bucardo/Bucardo.pm");
	want = at(root, "opt/bucardo/Bucardo.pm");
	o = below(&r, root, NULL);
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == 1,
	    "abs link: one copy");
	if (d.ncopies == 1)
		is_str(d.copies[0].path, want,
		    "abs link: resolved within the root");
	discovery_release(&d);
	free(want);
	free(root);

	/* A directory link, matched by a wildcard, with an absolute target. */
	root = at(tmp, "dirlink");
	put(root, "srv/perl/Bucardo.pm", "package Bucardo;\n", 0644);
	mkdirs(root, "usr/local/share/perl");
	link_at(root, "usr/local/share/perl/5.36.0", "/srv/perl");
	want = at(root, "srv/perl/Bucardo.pm");
	dirlink = at(root, "usr/local/share/perl/5.36.0/Bucardo.pm");
	o = below(&r, root, NULL);
	rc = discover_modules(&d, &o, &e);
	ok(rc == 0, "dir link: discover_modules succeeds");
	ok(d.ncopies == 1,
	    "dir link: one copy (%zu)", d.ncopies);
	if (d.ncopies == 1) {
		is_str(d.copies[0].path, want,
		    "dir link: resolved within the root");
		is_str(d.copies[0].inner, "/srv/perl/Bucardo.pm", "dir link: inner");
	}
	discovery_release(&d);
	free(dirlink);
	free(want);
	free(root);

	/*
	 * Targets that exist on the host but not below the root: an absolute
	 * one, and a relative one climbing past the root.
	 */
	root = at(tmp, "escape");
	link_at(root, "usr/share/perl5/Bucardo.pm", "/etc/passwd");
	link_at(root, "etc/perl/Bucardo.pm",
	    "../../../../../../../../etc/passwd");
	link_at(root, "usr/local/share/perl5/Bucardo.pm", "Bucardo.pm");
	o = below(&r, root, NULL);
	ok(discover_modules(&d, &o, &e) == 0,
	    "escape: discover_modules succeeds");
	ok(d.ncopies == 0, "escape: no host file reported");
	discovery_release(&d);
	fsroot_close(&r);
	free(root);
}

static void
test_rhel_order(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *local, *vendor, *active = NULL;

	root = at(tmp, "rhel");
	put(root, "usr/share/perl5/Bucardo.pm", "x\n", 0644);
	put(root, "usr/share/perl5/vendor_perl/Bucardo.pm", "x\n", 0644);
	put(root, "home/alice/perl5/lib/perl5/Bucardo.pm", "x\n", 0644);
	put(root, "home/bob/perl5/lib/perl5/Bucardo.pm", "x\n", 0644);
	vendor = at(root, "usr/share/perl5/vendor_perl/Bucardo.pm");
	o = below(&r, root, "/home/alice");
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == 4,
	    "rhel: four copies");
	is_str(d.active, vendor, "rhel: vendor_perl before /usr/share/perl5");
	ok(count_active(&d) == 1, "rhel: exactly one copy marked active");
	discovery_release(&d);

	put(root, "usr/local/share/perl5/5.32/Bucardo.pm", "x\n", 0644);
	local = at(root, "usr/local/share/perl5/5.32/Bucardo.pm");
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == 5,
	    "rhel: five copies");
	is_str(d.active, local, "rhel: /usr/local before vendor_perl");
	discovery_release(&d);

	/* local::lib copies are never in a stock @INC. */
	o.home = "/home/carol";
	unlink(local);
	unlink(vendor);
	free(local);
	local = at(root, "usr/share/perl5/Bucardo.pm");
	unlink(local);
	ok(discover_active(&active, &o, &e) == 0 && active == NULL,
	    "rhel: home copies are not active");
	free(active);
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == 2,
	    "rhel: home copies still reported");
	discovery_release(&d);

	fsroot_close(&r);
	free(local);
	free(vendor);
	free(root);
}

/*
 * Each distribution's trees below a root: every copy found, and the one
 * its perl loads first marked active. Each case: the copies as they lie
 * (paths inside the root, in that perl's @INC order), the first active.
 */
struct tree_case {
	const char	*name;
	const char	*copies[4];
};

static const struct tree_case tree_cases[] = {
	{ "alpine", { "usr/local/lib/perl5/site_perl", "usr/local/share/perl5/site_perl",
	    "usr/lib/perl5/vendor_perl", "usr/share/perl5/vendor_perl" } },
	{ "alpine make install", { "usr/local/share/perl5/site_perl",
	    "usr/share/perl5/vendor_perl" } },
	{ "arch", { "usr/lib/perl5/5.38/site_perl", "usr/share/perl5/site_perl",
	    "usr/lib/perl5/5.38/vendor_perl", "usr/share/perl5/vendor_perl" } },
	{ "arch site over vendor", { "usr/share/perl5/site_perl",
	    "usr/share/perl5/vendor_perl" } },
	{ "opensuse", { "usr/lib/perl5/site_perl/5.36.0", "usr/lib/perl5/vendor_perl/5.36.0" } },
	{ "opensuse newest perl", { "usr/lib/perl5/vendor_perl/5.38.2",
	    "usr/lib/perl5/vendor_perl/5.36.0" } },
	{ "freebsd", { "usr/local/lib/perl5/site_perl/mach/5.36",
	    "usr/local/lib/perl5/site_perl" } },
	{ "debian", { "usr/local/share/perl/5.36.0", "usr/share/perl5",
	    "usr/local/lib/site_perl" } },
	{ "el8", { "usr/local/share/perl5", "usr/share/perl5/vendor_perl", "usr/share/perl5" } },
};

static void
test_trees(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *want, dir[256], *active = NULL;
	size_t i, j, n;
	long k;

	for (i = 0; i < sizeof(tree_cases) / sizeof(tree_cases[0]); i++) {
		const struct tree_case *tc = &tree_cases[i];

		snprintf(dir, sizeof(dir), "trees/%zu", i);
		root = at(tmp, dir);
		for (n = 0; n < 4 && tc->copies[n] != NULL; n++) {
			snprintf(dir, sizeof(dir), "%s/Bucardo.pm", tc->copies[n]);
			put(root, dir, "package Bucardo;\n", 0644);
		}
		o = below(&r, root, NULL);
		ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == n,
		    "%s: every copy found (%zu of %zu)", tc->name, d.ncopies, n);
		for (j = 0; j < n; j++) {
			snprintf(dir, sizeof(dir), "%s/Bucardo.pm", tc->copies[j]);
			want = at(root, dir);
			k = copy_index(&d, want);
			ok(k >= 0 && d.copies[k].active == (j == 0) && !d.copies[k].untrusted,
			    "%s: %s found, %s", tc->name, tc->copies[j],
			    j == 0 ? "active" : "not active");
			if (j == 0) {
				is_str(d.active, want, "%s: d.active", tc->name);
				ok(discover_active(&active, &o, &e) == 0 && active != NULL &&
				    strcmp(active, want) == 0, "%s: discover_active agrees", tc->name);
				free(active);
				active = NULL;
			}
			free(want);
		}
		ok(count_active(&d) == 1, "%s: exactly one copy active", tc->name);
		discovery_release(&d);
		free(root);
	}
	fsroot_close(&r);
}

/* perlbrew, plenv and local::lib: below every home, /opt and $PERLBREW_ROOT; never active. */
static void
test_home_trees(const char *tmp)
{
	static const char *const homes[] = {
		"home/bob/perl5/perlbrew/perls/perl-5.38.0/lib/site_perl/5.38.0",
		"root/perl5/perlbrew/perls/perl-5.36.1/lib/site_perl/5.36.1",
		"opt/perlbrew/perls/perl-5.38.0/lib/site_perl/5.38.0",
		"srv/brew/perls/perl-5.34.0/lib/site_perl/5.34.0",
		"home/bob/.plenv/versions/5.38.0/lib/perl5/site_perl/5.38.0",
		"root/.plenv/versions/5.36.0/lib/perl5/site_perl/5.36.0",
		"home/carol/perl5/lib/perl5",
		"root/perl5/lib/perl5",
		"var/lib/svc/perl5/perlbrew/perls/perl-5.36.0/lib/site_perl/5.36.0",
	};
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *want, rel[256], *active = NULL, *pattern;
	size_t i, n = sizeof(homes) / sizeof(homes[0]);
	long k;

	root = at(tmp, "homes");
	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "%s/Bucardo.pm", homes[i]);
		put(root, rel, "package Bucardo;\n", 0644);
	}
	o = below(&r, root, "/var/lib/svc");
	o.perlbrew_root = "/srv/brew";
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == n,
	    "homes: every copy found (%zu of %zu)", d.ncopies, n);
	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "%s/Bucardo.pm", homes[i]);
		want = at(root, rel);
		k = copy_index(&d, want);
		ok(k >= 0 && !d.copies[k].active, "homes: %s found, not active", homes[i]);
		free(want);
	}
	ok(d.active == NULL && count_active(&d) == 0, "homes: none is active under a root");
	discovery_release(&d);
	ok(discover_active(&active, &o, &e) == 0 && active == NULL,
	    "homes: discover_active finds none");

	/* Without $PERLBREW_ROOT its tree is not looked in; a packaged copy is active. */
	o.perlbrew_root = NULL;
	put(root, "usr/share/perl5/Bucardo.pm", "package Bucardo;\n", 0644);
	want = at(root, "usr/share/perl5/Bucardo.pm");
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == n,
	    "homes: PERLBREW_ROOT unset: its copy not found, the packaged one is (%zu)",
	    d.ncopies);
	is_str(d.active, want, "homes: the packaged copy is active");
	pattern = at(root, "home/*/.plenv/versions/*/lib/perl5/site_perl/5.*");
	ok(!has_searched(&d, pattern), "homes: a matching pattern is not listed as such");
	free(pattern);
	discovery_release(&d);
	free(want);

	/* With no homes at all, the patterns are listed as searched. */
	free(root);
	root = at(tmp, "nohomes");
	mkdirs(root, "usr");
	o = below(&r, root, NULL);
	ok(discover_modules(&d, &o, &e) == 0 && d.ncopies == 0, "no homes: nothing found");
	pattern = at(root, "home/*/perl5/perlbrew/perls/*/lib/site_perl/5.*");
	ok(has_searched(&d, pattern), "no homes: the perlbrew pattern below /home is listed");
	free(pattern);
	pattern = at(root, "opt/perlbrew/perls/*/lib/site_perl/5.*");
	ok(has_searched(&d, pattern), "no homes: /opt/perlbrew is listed");
	free(pattern);
	pattern = at(root, "root/.plenv/versions/*/lib/perl5/site_perl/5.*");
	ok(has_searched(&d, pattern), "no homes: root's plenv is listed");
	free(pattern);
	discovery_release(&d);
	fsroot_close(&r);
	free(root);
}

/*
 * The script below a root: the first `bucardo` on the standard PATH, read
 * for its $VERSION (never run), and a link's target directory.
 */
static void
test_root_script(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct buf big = BUF_INIT;
	char *root, *want, *local, *other, *fifo;
	size_t i;
	int rc;

	root = at(tmp, "script");
	put(root, "usr/share/perl5/Bucardo.pm", "package Bucardo;\nour $VERSION = '5.6.0';\n", 0644);
	put(root, "usr/bin/bucardo", "#!/usr/bin/perl\nour $VERSION = '5.6.0';\n", 0755);
	want = at(root, "usr/bin/bucardo");
	o = below(&r, root, NULL);
	ok(discover_modules(&d, &o, &e) == 0, "script: discover_modules succeeds");
	is_str(d.script, want, "script: ROOT/usr/bin/bucardo");
	is_str(d.script_version, "5.6.0", "script: its version");
	is_str(d.active_version, "5.6.0", "script: the active copy's version");
	ok(d.script_link == NULL && d.other == NULL, "script: no link, nothing else named");
	discovery_release(&d);
	free(want);

	/* /usr/local/bin comes first on PATH; an older CPAN copy in front. */
	put(root, "usr/local/bin/bucardo", "#!/usr/bin/env perl\n# x\nour $VERSION = '5.5.0';\n",
	    0755);
	put(root, "usr/local/share/perl/5.36.0/Bucardo.pm",
	    "package Bucardo;\n=head1 x\n\nour $VERSION = '9.9.9';\n\n=cut\n\n"
	    "our $VERSION = '5.4.1';\n", 0644);
	want = at(root, "usr/local/bin/bucardo");
	local = at(root, "usr/local/share/perl/5.36.0/Bucardo.pm");
	ok(discover_modules(&d, &o, &e) == 0, "local script: discover_modules succeeds");
	is_str(d.script, want, "local script: ROOT/usr/local/bin/bucardo first");
	is_str(d.script_version, "5.5.0", "local script: its version");
	is_str(d.active, local, "local script: the CPAN copy is active");
	is_str(d.active_version, "5.4.1", "local script: its version, POD skipped");
	discovery_release(&d);
	ok(discover_first(&d, &o, &e) == 0 && d.active_version != NULL &&
	    strcmp(d.active_version, "5.4.1") == 0 && d.script_version != NULL,
	    "local script: discover_first reads the versions too");
	discovery_release(&d);
	free(want);

	/* A script with no x bit is not on PATH; one that is a fifo is not read, nor waited on. */
	want = at(root, "usr/local/bin/bucardo");
	must(chmod(want, 0644));
	ok(discover_modules(&d, &o, &e) == 0 && d.script != NULL &&
	    strstr(d.script, "/usr/bin/bucardo") != NULL,
	    "no x bit: passed over for ROOT/usr/bin/bucardo (%s)", d.script ? d.script : "(null)");
	discovery_release(&d);
	unlink(want);
	fifo = at(root, "usr/local/sbin/bucardo");
	mkdirs(root, "usr/local/sbin");
	if (mkfifo(fifo, 0755) == -1)
		printf("# mkfifo: %s\n", strerror(errno));
	alarm(5);
	rc = discover_modules(&d, &o, &e);
	alarm(0);
	ok(rc == 0 && d.script != NULL && strstr(d.script, "/usr/bin/bucardo") != NULL,
	    "fifo: not taken for the script, and does not block");
	discovery_release(&d);
	unlink(fifo);
	free(fifo);

	/* A version past the prefix read is unknown, not guessed. */
	for (i = 0; i < 70000 / 64; i++)
		buf_puts(&big, "# padding padding padding padding padding padding padding pad\n");
	buf_puts(&big, "our $VERSION = '1.0';\n");
	put(root, "usr/bin/bucardo", big.data, 0755);
	buf_release(&big);
	ok(discover_modules(&d, &o, &e) == 0 && d.script_version == NULL,
	    "far version: not read past the prefix");
	discovery_release(&d);
	put(root, "usr/bin/bucardo", "#!/usr/bin/perl\nour $VERSION = '5.6.0';\n", 0755);

	/* A link into a checkout: other names the copy beside its target. */
	put(root, "opt/checkout/bucardo", "#!/usr/bin/env perl\nour $VERSION = '5.7.0';\n", 0755);
	put(root, "opt/checkout/Bucardo.pm", "package Bucardo;\nour $VERSION = '5.7.0';\n", 0644);
	link_at(root, "usr/local/bin/bucardo", "/opt/checkout/bucardo");
	other = at(root, "opt/checkout/Bucardo.pm");
	ok(discover_modules(&d, &o, &e) == 0, "root link: discover_modules succeeds");
	is_str(d.active, local, "root link: the @INC copy stays active");
	is_str(d.other, other, "root link: the copy beside the target, inside the root");
	is_str(d.script_link, "/opt/checkout/bucardo", "root link: its target as read");
	is_str(d.script_version, "5.7.0", "root link: the script read through the link");
	is_str(d.other_version, "5.7.0", "root link: the other copy's version");
	ok(copy_index(&d, other) >= 0, "root link: the other copy is listed");
	discovery_release(&d);

	/* A link whose target leaves the root is resolved inside it. */
	unlink(want);
	link_at(root, "usr/local/bin/bucardo", "../../../../../../../../opt/checkout/bucardo");
	ok(discover_modules(&d, &o, &e) == 0 && d.other != NULL && strcmp(d.other, other) == 0,
	    "root link: a relative target climbing out stays in the root");
	ok(d.other_start != NULL && strstr(d.other_start, "not on PATH") == NULL,
	    "root link: relative, so only a start from the link's directory is named");
	discovery_release(&d);

	/* Untrusted: a checkout another user owns is named, its version not read. Root only. */
	if (geteuid() == 0) {
		char *dir = at(root, "opt/checkout");

		must(chown(dir, NOBODY, NOBODY));
		ok(discover_modules(&d, &o, &e) == 0 && d.other != NULL &&
		    d.other_version == NULL && d.script_version != NULL,
		    "untrusted checkout: named; its module is not read, the script is");
		discovery_release(&d);
		free(dir);
	} else
		ok(1, "untrusted checkout # SKIP needs root to chown");

	fsroot_close(&r);
	free(other);
	free(local);
	free(want);
	free(root);
}

static void
test_none(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *dir, *pattern, *active = (char *)"sentinel";

	root = at(tmp, "empty");
	mkdirs(root, "usr/share");
	dir = at(root, "usr/share/perl5");
	pattern = at(root, "usr/local/share/perl/5.*");
	o = below(&r, root, NULL);
	ok(discover_modules(&d, &o, &e) == 0,
	    "none: discover_modules succeeds");
	ok(d.ncopies == 0 && d.active == NULL, "none: no copies");
	ok(d.nsearched > 0, "none: searched list not empty (%zu)", d.nsearched);
	ok(has_searched(&d, dir), "none: searched ROOT/usr/share/perl5");
	ok(has_searched(&d, pattern), "none: unmatched pattern listed");
	discovery_release(&d);
	ok(discover_active(&active, &o, &e) == 0 && active == NULL,
	    "none: discover_active gives NULL");

	/* A missing root now fails where it is opened, before any search. */
	fsroot_close(&r);
	ok(fsroot_open(&r, "/nonexistent/bucardo-aiven-root", &e) == -1, "missing root fails");
	ok(strstr(e.msg, "/nonexistent/bucardo-aiven-root") != NULL,
	    "missing root: message names it (%s)", e.msg);
	fsroot_close(&r);
	free(pattern);
	free(dir);
	free(root);
}

/* Copies others control are reported, marked, never hidden. Root only. */
static void
test_untrusted(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *theirs, *dir, *local;
	long i;
	int rc;

	if (geteuid() != 0) {
		ok(1, "untrusted copies are reported and marked # SKIP needs root to chown");
		return;
	}
	root = at(tmp, "untrusted");
	put(root, "usr/share/perl5/Bucardo.pm", "x\n", 0644);
	put(root, "usr/local/share/perl/5.36.0/Bucardo.pm", "x\n", 0644);
	put(root, "etc/perl/Bucardo.pm", "x\n", 0664);
	dir = at(root, "usr/share/perl5");
	theirs = at(root, "usr/share/perl5/Bucardo.pm");
	local = at(root, "usr/local/share/perl/5.36.0/Bucardo.pm");
	must(chown(dir, NOBODY, NOBODY));
	free(dir);
	dir = at(root, "etc/perl/Bucardo.pm");
	must(chown(dir, 0, NOBODY));
	o = below(&r, root, NULL);
	rc = discover_modules(&d, &o, &e);
	ok(rc == 0 && d.ncopies == 3, "untrusted: all three copies reported (%zu)", d.ncopies);
	if ((i = copy_index(&d, theirs)) >= 0) {
		ok(d.copies[i].untrusted, "untrusted: the copy in a directory of 65534 is marked");
		ok(d.copies[i].fault_uid == NOBODY && d.copies[i].fault_path != NULL &&
		    strstr(d.copies[i].fault_path, "/usr/share/perl5") != NULL &&
		    strstr(d.copies[i].fault_path, "Bucardo.pm") == NULL,
		    "untrusted: the fault is that directory, owned by 65534 (%s)",
		    d.copies[i].fault_path ? d.copies[i].fault_path : "(null)");
		ok(d.copies[i].why != NULL && strstr(d.copies[i].why, "not trusted") != NULL &&
		    strstr(d.copies[i].why, "uid 65534") != NULL, "untrusted: why says so (%s)",
		    d.copies[i].why ? d.copies[i].why : "(null)");
		is_str(d.copies[i].inner, "/usr/share/perl5/Bucardo.pm",
		    "untrusted: still located inside the root");
	} else
		ok(0, "untrusted: the copy in a directory of 65534 is reported");
	if ((i = copy_index(&d, dir)) >= 0)
		ok(d.copies[i].untrusted && d.copies[i].fault_path != NULL &&
		    strcmp(d.copies[i].fault_path, dir) == 0,
		    "untrusted: a copy group 65534 may write is marked, the fault its own");
	else
		ok(0, "untrusted: the group-writable copy is reported");
	if ((i = copy_index(&d, local)) >= 0)
		ok(!d.copies[i].untrusted && d.copies[i].why == NULL &&
		    d.copies[i].fault_path == NULL, "untrusted: the good copy is not marked");
	else
		ok(0, "untrusted: the good copy is reported");
	discovery_release(&d);
	fsroot_close(&r);
	free(local);
	free(theirs);
	free(dir);
	free(root);
}

/* Things named Bucardo.pm that are not files; a fifo must not block the search. */
static void
test_odd(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *root, *fifo;
	int rc;

	root = at(tmp, "odd");
	put(root, "usr/share/perl5/Bucardo.pm", "x\n", 0644);
	mkdirs(root, "usr/local/share/perl5");
	fifo = at(root, "usr/local/share/perl5/Bucardo.pm");
	if (mkfifo(fifo, 0644) == -1)
		printf("# mkfifo: %s\n", strerror(errno));
	mkdirs(root, "etc/perl/Bucardo.pm");
	o = below(&r, root, NULL);
	alarm(5);
	rc = discover_modules(&d, &o, &e);
	alarm(0);
	ok(rc == 0 && d.ncopies == 1,
	    "odd: a fifo and a directory named Bucardo.pm are no copies, and do not block (%zu)",
	    d.ncopies);
	discovery_release(&d);
	fsroot_close(&r);
	free(fifo);
	free(root);
}

static void
test_live(const char *tmp)
{
	struct discovery d = DISCOVERY_INIT;
	struct discover_options o;
	struct fsroot live = FSROOT_INIT, under = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct timeval t0, t1;
	const char *host_path = getenv("PATH");
	char *path_env = NULL, *lib, *libpm, *app, *apppm, *perl, *found, *bin2;
	char *shebang = NULL, *active = NULL;
	long i_lib, i_app;
	int rc;

	if (host_path == NULL)
		host_path = "/usr/bin:/bin";
	must(fsroot_open(&live, "/", &e));
	memset(&o, 0, sizeof(o));
	o.root = &live;
	o.host = &host;
	perl = discover_perl(&o);
	ok(perl != NULL && perl[0] == '/', "discover_perl: absolute (%s)",
	    perl ? perl : "(null)");
	if (perl == NULL) {
		printf("# no perl on PATH: skipping live tests\n");
		fsroot_close(&live);
		return;
	}

	lib = at(tmp, "live/lib");
	put(lib, "Bucardo.pm", "package Bucardo;\n", 0644);
	libpm = at(lib, "Bucardo.pm");
	put(tmp, "live/bin/bucardo", "#!/usr/bin/env perl\nprint 1;\n", 0755);
	if (asprintf(&path_env, "%s/live/bin:%s", tmp, host_path) == -1)
		return;
	o.path_env = path_env;
	/* Changed: PERL5LIB comes in the options, no longer from the environment. */
	o.perl5lib = lib;

	gettimeofday(&t0, NULL);
	ok(discover_modules(&d, &o, &e) == 0,
	    "live: discover_modules succeeds");
	diag(&e);
	gettimeofday(&t1, NULL);
	printf("# live discover_modules: %.1f ms\n",
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_usec - t0.tv_usec) / 1e3);
	ok(d.warning == NULL, "live: perl was asked, no warning (%s)",
	    d.warning ? d.warning : "");
	found = discover_perl(&o);
	ok(found != NULL && found[0] == '/' && strstr(found, "/live/") == NULL,
	    "live: the script's env perl resolved on PATH (%s)", found ? found : "(null)");
	free(found);
	is_str(d.active, libpm, "live: PERL5LIB copy is active");
	ok(d.ncopies >= 1 && d.copies[0].active &&
	    strcmp(d.copies[0].path, libpm) == 0, "live: and listed first");
	ok(count_active(&d) == 1, "live: exactly one copy marked active");
	ok(has_searched(&d, lib), "live: PERL5LIB directory searched");
	discovery_release(&d);
	ok(discover_active(&active, &o, &e) == 0, "live: discover_active");
	is_str(active, libpm, "live: discover_active agrees");
	free(active);
	active = NULL;
	setenv("PERL5LIB", "/nonexistent/from-env", 1);
	o.perl5lib = NULL;
	o.perllib = lib;
	ok(discover_modules(&d, &o, &e) == 0 && d.active != NULL && strcmp(d.active, libpm) == 0 &&
	    !has_searched(&d, "/nonexistent/from-env"),
	    "live: PERLLIB is used when PERL5LIB is unset; the environment's is ignored");
	discovery_release(&d);
	unsetenv("PERL5LIB");
	o.perllib = NULL;
	o.perl5lib = lib;

	/*
	 * A symlinked script started through PATH: Bucardo cuts $0 to
	 * "bucardo" (its directory is on PATH), so -l looks in the current
	 * directory and @INC stays as it is. The copy beside the target is
	 * what a start from the link's directory loads: named, not active.
	 */
	app = at(tmp, "live/app");
	put(app, "bucardo", "#!/usr/bin/env perl\nour $VERSION = '5.6.0';\n", 0755);
	put(app, "Bucardo.pm", "package Bucardo;\nour $VERSION = '5.7.0';\n", 0644);
	link_at(tmp, "live/bin2/bucardo", "../app/bucardo");
	apppm = at(app, "Bucardo.pm");
	bin2 = at(tmp, "live/bin2");
	free(path_env);
	if (asprintf(&path_env, "%s/live/bin2:%s", tmp, host_path) == -1)
		return;
	o.path_env = path_env;
	ok(discover_modules(&d, &o, &e) == 0,
	    "link: discover_modules succeeds");
	diag(&e);
	is_str(d.active, libpm, "link: started through PATH, the PERL5LIB copy is active");
	i_app = copy_index(&d, apppm);
	i_lib = copy_index(&d, libpm);
	ok(i_lib == 0 && i_app > 0 && !d.copies[i_app].active,
	    "link: the copy beside the target is listed, after, not active (%ld, %ld)",
	    i_app, i_lib);
	is_str(d.other, apppm, "link: the other start loads the copy beside the target");
	ok(d.other_start != NULL && strstr(d.other_start, bin2) != NULL &&
	    strstr(d.other_start, "not on PATH") == NULL,
	    "link: from the link's directory only, for a relative link (%s)",
	    d.other_start ? d.other_start : "(null)");
	is_str(d.script_link, "../app/bucardo", "link: its target, as read");
	ok(d.script != NULL && strcmp(d.script, "") != 0 && strstr(d.script, "/live/bin2/bucardo"),
	    "link: the script by the name PATH finds it by (%s)", d.script ? d.script : "(null)");
	is_str(d.script_version, "5.6.0", "link: the script's version read through the link");
	is_str(d.other_version, "5.7.0", "link: the other copy's version");
	ok(d.active_version == NULL, "link: the PERL5LIB stand-in has no version");
	discovery_release(&d);

	/* discover_first: the same answer, stopping at the active copy. */
	ok(discover_first(&d, &o, &e) == 0, "link: discover_first succeeds");
	is_str(d.active, libpm, "link: discover_first's active copy");
	is_str(d.other, apppm, "link: discover_first names the other copy too");
	discovery_release(&d);
	ok(discover_active(&active, &o, &e) == 0, "link: discover_active");
	is_str(active, libpm, "link: discover_active agrees");
	free(active);
	active = NULL;

	/*
	 * A PATH entry with a trailing slash: bash starts "DIR/bucardo",
	 * whose directory "DIR" is not the entry "DIR/", so $0 is not cut
	 * and the link's target directory goes before @INC.
	 */
	free(path_env);
	if (asprintf(&path_env, "%s/live/bin2/:%s", tmp, host_path) == -1)
		return;
	o.path_env = path_env;
	ok(discover_modules(&d, &o, &e) == 0, "uncut: discover_modules succeeds");
	is_str(d.active, apppm, "uncut: $0 not cut: the target's directory wins");
	ok(d.script != NULL && strstr(d.script, "//") == NULL,
	    "uncut: the script named as bash starts it (%s)", d.script ? d.script : "(null)");
	ok(d.other == NULL && d.ncopies > 0 && d.copies[0].active,
	    "uncut: no other start to name; the active copy listed first");
	discovery_release(&d);

	/* The link's own directory also on PATH, as written: cut again. */
	free(path_env);
	if (asprintf(&path_env, "%s/live/bin2/:%s/live/bin2:%s", tmp, tmp, host_path) == -1)
		return;
	o.path_env = path_env;
	ok(discover_modules(&d, &o, &e) == 0 && d.active != NULL &&
	    strcmp(d.active, libpm) == 0 && d.other != NULL,
	    "cut: an entry equal to $0's directory anywhere on PATH cuts it");
	discovery_release(&d);

	/* An absolute link: a start by a path off PATH loads the target's copy too. */
	{
		char *target = at(app, "bucardo");

		link_at(tmp, "live/bin3/bucardo", target);
		free(target);
	}
	free(path_env);
	if (asprintf(&path_env, "%s/live/bin3:%s", tmp, host_path) == -1)
		return;
	o.path_env = path_env;
	ok(discover_modules(&d, &o, &e) == 0, "abs link: discover_modules succeeds");
	is_str(d.active, libpm, "abs link: through PATH, the PERL5LIB copy");
	is_str(d.other, apppm, "abs link: the other copy");
	ok(d.other_start != NULL && strstr(d.other_start, "not on PATH") != NULL,
	    "abs link: a start by a path off PATH is named (%s)",
	    d.other_start ? d.other_start : "(null)");
	discovery_release(&d);

	/* The copy beside the target is the active one anyway: nothing to name. */
	o.perl5lib = app;
	ok(discover_modules(&d, &o, &e) == 0 && d.active != NULL &&
	    strcmp(d.active, apppm) == 0 && d.other == NULL,
	    "same copy: both starts load it, no other named");
	is_str(d.active_version, "5.7.0", "same copy: the active copy's version");
	discovery_release(&d);
	o.perl5lib = lib;

	/* "#!/path/to/perl -T": perl ignores PERL5LIB, and so do we. */
	if (asprintf(&shebang, "#!%s -T\n", perl) == -1)
		return;
	put(tmp, "live/bin/bucardo", shebang, 0755);
	free(path_env);
	if (asprintf(&path_env, "%s/live/bin:%s", tmp, host_path) == -1)
		return;
	o.path_env = path_env;
	ok(discover_modules(&d, &o, &e) == 0,
	    "taint: discover_modules succeeds");
	diag(&e);
	found = discover_perl(&o);
	is_str(found, perl, "taint: the shebang interpreter is used");
	free(found);
	ok(d.active == NULL || strcmp(d.active, libpm) != 0,
	    "taint: PERL5LIB copy not active");
	ok(copy_index(&d, libpm) == -1,
	    "taint: PERL5LIB directory not in @INC");
	discovery_release(&d);
	free(shebang);

	/* No bucardo script on PATH: perl on PATH. */
	link_at(tmp, "live/perlonly/perl", perl);
	free(path_env);
	if (asprintf(&path_env, "%s/live/perlonly", tmp) == -1)
		return;
	o.path_env = path_env;
	ok(discover_modules(&d, &o, &e) == 0,
	    "no script: discover_modules succeeds");
	diag(&e);
	found = discover_perl(&o);
	ok(found != NULL && strstr(found, "/live/perlonly/perl") != NULL,
	    "no script: perl from PATH (%s)", found ? found : "(null)");
	free(found);
	is_str(d.active, libpm, "no script: PERL5LIB copy active");
	discovery_release(&d);

	/*
	 * A perl that fails is an error, not "none found". Changed: a #!
	 * script is no longer run as perl, so an ELF that fails stands in.
	 */
	link_at(tmp, "live/badperl/perl", "/usr/bin/ls");
	free(path_env);
	if (asprintf(&path_env, "%s/live/badperl", tmp) == -1)
		return;
	o.path_env = path_env;
	ok(discover_modules(&d, &o, &e) == -1, "bad perl: fails");
	ok(strstr(e.msg, "status 2: ") != NULL && strstr(e.msg, "invalid option") != NULL,
	    "bad perl: says why (%s)", e.msg);
	discovery_release(&d);

	/* A perl that may not be run: the copies are still reported, ranked as usual. */
	put(tmp, "live/scriptperl/perl", "#!/bin/sh\necho broken >&2\nexit 3\n", 0755);
	free(path_env);
	if (asprintf(&path_env, "%s/live/scriptperl", tmp) == -1)
		return;
	o.path_env = path_env;
	e.msg[0] = '\0';
	rc = discover_modules(&d, &o, &e);
	ok(rc == 0 && d.warning != NULL &&
	    strstr(d.warning, "(a script or no x bit)") != NULL && strstr(d.warning, "guessed") != NULL,
	    "script perl: not run; a warning says the order is guessed (%s)",
	    d.warning ? d.warning : e.msg);
	ok(copy_index(&d, libpm) == -1, "script perl: PERL5LIB is not walked without perl's @INC");
	discovery_release(&d);
	if (geteuid() == 0) {
		link_at(tmp, "live/theirs/perl", perl);
		{
			char *theirs = at(tmp, "live/theirs");

			must(chown(theirs, NOBODY, NOBODY));
			free(theirs);
		}
		free(path_env);
		if (asprintf(&path_env, "%s/live/theirs", tmp) == -1)
			return;
		o.path_env = path_env;
		rc = discover_modules(&d, &o, &e);
		ok(rc == 0 && d.warning != NULL && strstr(d.warning, "not trusted") != NULL && strstr(d.warning, "uid 65534"),
		    "untrusted perl: not run; the warning says why (%s)",
		    d.warning ? d.warning : "(null)");
		discovery_release(&d);
	} else
		ok(1, "untrusted perl: not run # SKIP needs root to chown");

	/* Under a root, nothing runs and discover_perl is the host's perl on PATH. */
	must(fsroot_open(&under, tmp, &e));
	o.root = &under;
	o.path_env = host_path;
	free(perl);
	perl = discover_perl(&o);
	ok(perl != NULL && perl[0] == '/', "discover_perl under a root: %s",
	    perl ? perl : "(null)");

	fsroot_close(&under);
	fsroot_close(&live);
	free(perl);
	free(path_env);
	free(apppm);
	free(app);
	free(bin2);
	free(libpm);
	free(lib);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int
main(void)
{
	/* /tmp, not $TMPDIR: perl runs only from a chain nobody else controls. */
	const char *tmpdir = "/tmp";
	struct err e = ERR_INIT;
	char *tmpl = NULL, *tmp;

	if (asprintf(&tmpl, "%s/test-discover.XXXXXX", tmpdir) == -1 ||
	    mkdtemp(tmpl) == NULL || (tmp = realpath(tmpl, NULL)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	test_two_copies(tmp);
	test_dedupe(tmp);
	test_links_stay_in_root(tmp);
	test_rhel_order(tmp);
	test_trees(tmp);
	test_home_trees(tmp);
	test_root_script(tmp);
	test_none(tmp);
	test_untrusted(tmp);
	test_odd(tmp);
	test_live(tmp);

	fsroot_close(&host);
	if (nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", tmp);
	free(tmp);
	free(tmpl);
	return tap_done();
}
