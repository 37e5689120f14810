/* test-verify.c: perl -c verdicts, a clean environment, trusted code only, time limits, no zombies. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verify.h"
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

static void
write_pm(char *out, const char *dir, const char *name, const char *s)
{
	FILE *f;
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		printf("Bail out! path too long: %s/%s\n", dir, name);
		exit(1);
	}
	if ((f = fopen(out, "w")) == NULL) {
		printf("Bail out! cannot write %s: %s\n", out, strerror(errno));
		exit(1);
	}
	fputs(s, f);
	fclose(f);
}

/* A module whose BEGIN block leaves base/marker-NAME: proof that it ran. */
static void
evil_pm(const char *dir, const char *module, const char *marker)
{
	char path[PATH_MAX], name[256], text[PATH_MAX + 256];

	snprintf(text, sizeof(text), "package %s;\nBEGIN { open my $f, '>', '%s/marker-%s' }\n1;\n",
	    module, base, marker);
	snprintf(name, sizeof(name), "%s.pm", module);
	write_pm(path, dir, name, text);
}

static int
marker(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "marker-%s", name);
	return access(at(path), F_OK) == 0;
}

static int
no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* Run the check with a fresh diag and err; returns the verdict. */
static int
check(const char *perl, const char *file, int keep, unsigned timeout,
    struct buf *diag, struct err *e)
{
	buf_reset(diag);
	memset(e, 0, sizeof(*e));
	return verify_perl_compiles(&host, perl, file, keep, timeout, diag, e);
}

static void
test_verdicts(void)
{
	char good[PATH_MAX], bad[PATH_MAX], missing[PATH_MAX];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	int r;

	write_pm(good, base, "Good.pm", "package Good;\nuse strict;\n"
	    "sub f { return 1 }\n1;\n");
	write_pm(bad, base, "Bad.pm", "package Bad;\nuse strict;\n"
	    "my $x = ;\n1;\n");
	write_pm(missing, base, "Missing.pm", "package Missing;\n"
	    "use Nonexistent::Module;\n1;\n");

	r = check("/usr/bin/perl", good, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "a valid module compiles (%d: %s)", r, e.msg);
	ok(PERL_COMPILES != 0, "PERL_COMPILES is not 0, which means 'started'");
	ok(has(diag.data, "syntax OK"), "diag holds perl's 'syntax OK'");

	r = check("perl", good, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "perl is found by name (%d: %s)", r, e.msg);

	r = check("/usr/bin/perl", bad, 0, 30, &diag, &e);
	ok(r == PERL_FAILS, "a syntax error fails (%d: %s)", r, e.msg);
	ok(has(diag.data, "syntax error") && has(diag.data, "Bad.pm line 3"),
	    "diag names the line of the syntax error");

	r = check("/usr/bin/perl", missing, 0, 30, &diag, &e);
	ok(r == PERL_FAILS, "a missing dependency fails (%d: %s)", r, e.msg);
	ok(has(diag.data, "Can't locate Nonexistent/Module.pm"),
	    "diag says which module is missing");
	buf_release(&diag);
}

/* What the caller's environment holds never reaches perl, but PERL5LIB/PERLLIB on request. */
static void
test_env(void)
{
	char good[PATH_MAX], only[PATH_MAX], strictly[PATH_MAX], opt[PATH_MAX * 2], db[PATH_MAX * 2];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	char cwd[PATH_MAX];
	int r, keep;

	write_pm(good, base, "Good.pm", "package Good;\n1;\n");
	evil_pm(at("evil"), "Evil", "opt");
	snprintf(opt, sizeof(opt), "-I%s -MEvil", at("evil"));
	setenv("PERL5OPT", opt, 1);
	for (keep = 0; keep <= 1; keep++) {
		r = check("/usr/bin/perl", good, keep, 30, &diag, &e);
		ok(r == PERL_COMPILES && !marker("opt"),
		    "PERL5OPT=-I... -MEvil never reaches perl, keep_perl_env %d (%d: %s)", keep,
		    r, e.msg);
	}
	unsetenv("PERL5OPT");

	snprintf(db, sizeof(db), "BEGIN { open my $f, '>', '%s' }", at("marker-db"));
	setenv("PERL5OPT", "-d", 1);
	setenv("PERL5DB", db, 1);
	for (keep = 0; keep <= 1; keep++) {
		r = check("/usr/bin/perl", good, keep, 30, &diag, &e);
		ok(r == PERL_COMPILES && !marker("db"),
		    "PERL5OPT=-d with PERL5DB never reach perl, keep_perl_env %d (%d)", keep, r);
	}
	unsetenv("PERL5OPT");
	unsetenv("PERL5DB");

	/* A module only the current directory holds, with "." asked for at the end of @INC. */
	evil_pm(at("cwd"), "Hostile", "cwd");
	write_pm(strictly, base, "UsesHostile.pm", "package UsesHostile;\nuse Hostile;\n1;\n");
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	must(chdir(at("cwd")));
	setenv("PERL_USE_UNSAFE_INC", "1", 1);
	for (keep = 0; keep <= 1; keep++) {
		r = check("/usr/bin/perl", strictly, keep, 30, &diag, &e);
		ok(r == PERL_FAILS && has(diag.data, "Can't locate Hostile.pm") && !marker("cwd"),
		    "PERL_USE_UNSAFE_INC=1 with a hostile ./Hostile.pm: not loaded, keep_perl_env "
		    "%d (%d)", keep, r);
	}
	unsetenv("PERL_USE_UNSAFE_INC");
	must(chdir(cwd));

	setenv("LD_PRELOAD", "/nonexistent/libevil.so", 1);
	r = check("/usr/bin/perl", good, 1, 30, &diag, &e);
	ok(r == PERL_COMPILES && diag.data != NULL && strstr(diag.data, "LD_PRELOAD") == NULL,
	    "LD_PRELOAD never reaches perl, even with keep_perl_env (%d)", r);
	unsetenv("LD_PRELOAD");

	write_pm(only, base, "UsesLib.pm", "package UsesLib;\nuse OnlyHere;\n1;\n");
	write_pm(good, at("lib"), "OnlyHere.pm", "package OnlyHere;\n1;\n");
	setenv("PERL5LIB", at("lib"), 1);
	r = check("/usr/bin/perl", only, 0, 30, &diag, &e);
	ok(r == PERL_FAILS && has(diag.data, "Can't locate OnlyHere.pm"),
	    "PERL5LIB is cleaned");
	r = check("/usr/bin/perl", only, 1, 30, &diag, &e);
	ok(r == PERL_COMPILES, "PERL5LIB naming a trusted directory is honoured with "
	    "keep_perl_env (%d: %s)", r, e.msg);
	unsetenv("PERL5LIB");
	setenv("PERLLIB", at("lib"), 1);
	r = check("/usr/bin/perl", only, 0, 30, &diag, &e);
	ok(r == PERL_FAILS, "PERLLIB is cleaned");
	r = check("/usr/bin/perl", only, 1, 30, &diag, &e);
	ok(r == PERL_COMPILES, "PERLLIB naming a trusted directory is honoured with "
	    "keep_perl_env (%d: %s)", r, e.msg);
	unsetenv("PERLLIB");
	ok(getenv("PERL5LIB") == NULL && getenv("PERL5OPT") == NULL,
	    "the caller's own environment is not modified by the check");
	buf_release(&diag);
}

/* The archname perl adds below each PERL5LIB directory, e.g. x86_64-linux-gnu-thread-multi. */
static int
archname(char *out, size_t size)
{
	FILE *p;
	size_t n;

	if ((p = popen("/usr/bin/perl -MConfig -e 'print $Config{archname}'", "r")) == NULL)
		return -1;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p) == 0 && n > 0 ? 0 : -1;
}

/* keep_perl_env: a directory that is relative or that others control means perl -c is not run. */
static void
test_untrusted_lib(void)
{
	char uses[PATH_MAX], cwd[PATH_MAX], arch[256], sub[PATH_MAX * 2], mixed[PATH_MAX * 3];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	int r;

	write_pm(uses, base, "UsesEvil.pm", "package UsesEvil;\nuse Evil;\n1;\n");
	evil_pm(at("rel"), "Evil", "rel");
	evil_pm(at("ww"), "Evil", "ww");

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	must(chdir(base));
	setenv("PERL5LIB", "rel", 1);
	r = check("/usr/bin/perl", uses, 1, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "relative") && !marker("rel"),
	    "keep_perl_env with a relative PERL5LIB: PERL_NOT_RUN, its BEGIN never runs (%d)", r);
	must(chdir(cwd));

	setenv("PERL5LIB", at("ww"), 1);
	r = check("/usr/bin/perl", uses, 1, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, at("ww")) && has(e.msg, "PERL5LIB") &&
	    !marker("ww"), "keep_perl_env with PERL5LIB naming a world-writable directory: "
	    "PERL_NOT_RUN, never run (%d)", r);
	snprintf(mixed, sizeof(mixed), "%s:%s", at("lib"), at("ww"));
	setenv("PERL5LIB", mixed, 1);
	r = check("/usr/bin/perl", uses, 1, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && !marker("ww"), "one bad directory among good ones is enough");
	setenv("PERL5LIB", at("ww/missing"), 1);
	r = check("/usr/bin/perl", uses, 1, 30, &diag, &e);
	ok(r == PERL_NOT_RUN, "a missing directory below it too: it could be made");
	unsetenv("PERL5LIB");
	setenv("PERLLIB", at("ww"), 1);
	r = check("/usr/bin/perl", uses, 1, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "PERLLIB") && !marker("ww"),
	    "PERLLIB is judged the same way");
	unsetenv("PERLLIB");
	setenv("PERL5LIB", at("ww"), 1);
	r = check("/usr/bin/perl", uses, 0, 30, &diag, &e);
	ok(r == PERL_FAILS && has(diag.data, "Can't locate Evil.pm") && !marker("ww"),
	    "without keep_perl_env the same PERL5LIB is simply not passed");
	unsetenv("PERL5LIB");

	if (is_root) {
		evil_pm(at("u"), "Evil", "u");
		must(chown(at("u"), NOBODY, NOBODY));
		setenv("PERL5LIB", at("u"), 1);
		r = check("/usr/bin/perl", uses, 1, 30, &diag, &e);
		ok(r == PERL_NOT_RUN && has(e.msg, at("u")) && has(e.msg, "uid 65534") &&
		    !marker("u"), "keep_perl_env with PERL5LIB naming a directory of 65534: "
		    "PERL_NOT_RUN, its BEGIN never runs (%d)", r);
		unsetenv("PERL5LIB");
	} else
		skip("keep_perl_env with PERL5LIB naming a directory of 65534",
		    "needs root to chown");

	/*
	 * perl puts DIR/ARCHNAME and DIR/VERSION before each PERL5LIB
	 * directory DIR when they exist (perlrun): judging DIR alone is not
	 * enough.
	 */
	if (archname(arch, sizeof(arch)) == 0) {
		must(mkdir(at("archlib"), 0755));
		snprintf(sub, sizeof(sub), "%s/%s", at("archlib"), arch);
		must(mkdir(sub, 0777));
		must(chmod(sub, 0777));
		evil_pm(sub, "Evil", "arch");
		setenv("PERL5LIB", at("archlib"), 1);
		r = check("/usr/bin/perl", uses, 1, 30, &diag, &e);
		ok(r == PERL_NOT_RUN && !marker("arch"), "keep_perl_env with PERL5LIB=DIR, DIR/%s world-writable: "
		    "PERL_NOT_RUN, never run (%d, marker %s)", arch, r,
		    marker("arch") ? "made" : "absent");
		unsetenv("PERL5LIB");
	} else
		skip("PERL5LIB's archname subdirectory is judged", "cannot ask perl its archname");
	ok(no_children(), "no child left");
	buf_release(&diag);
}

/*
 * Run the check of file in a child with a private mount namespace (root
 * only) where from is bind-mounted onto onto: a way to make perl's own
 * @INC hold what a test needs without touching the host. Returns the
 * verdict, or -2 when no namespace can be made here (msg says why).
 */
static int
ns_check(const char *from, const char *onto, const char *file, char *msg, size_t size)
{
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	int status, r, fds[2];
	ssize_t n;
	pid_t pid;

	must(pipe(fds));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (unshare(CLONE_NEWNS) == -1 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1 ||
		    mount(from, onto, "none", MS_BIND, NULL) == -1) {
			snprintf(e.msg, sizeof(e.msg), "mount namespace: %s", strerror(errno));
			r = -2;
		} else {
			/* A root opened before unshare(2) would still see the old mounts. */
			fsroot_close(&host);
			if (fsroot_open(&host, "/", &e) == 0)
				r = check("/usr/bin/perl", file, 0, 30, &diag, &e);
			else
				r = -3;
		}
		if (write(fds[1], e.msg, strlen(e.msg)) < 0)
			_exit(100);
		_exit(r + 10);
	}
	close(fds[1]);
	memset(msg, 0, size);
	n = read(fds[0], msg, size - 1);
	close(fds[0]);
	if (n < 0 || pid == -1 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -3;
	return WEXITSTATUS(status) - 10;
}

/*
 * perl's own @INC made untrusted: /etc/perl (the first entry of Debian's
 * @INC) covered by a directory of 65534 holding Evil.pm. perl -c must
 * not run at all.
 */
static void
test_untrusted_inc(void)
{
	char uses[PATH_MAX], sub[PATH_MAX * 2], msg[1024];
	struct stat st;
	int r;

	if (!is_root || stat("/etc/perl", &st) == -1 || !S_ISDIR(st.st_mode) ||
	    stat("/usr/local", &st) == -1) {
		skip("an untrusted directory in perl's own @INC: perl -c not run",
		    "needs root, /etc/perl and /usr/local");
		return;
	}
	must(mkdir(at("hostile-inc"), 0755));
	evil_pm(at("hostile-inc"), "Evil", "inc");
	must(chown(at("hostile-inc"), NOBODY, NOBODY));
	write_pm(uses, base, "UsesEvilInc.pm", "package UsesEvilInc;\nuse Evil;\n1;\n");
	r = ns_check(at("hostile-inc"), "/etc/perl", uses, msg, sizeof(msg));
	if (r == -2) {
		skip("an untrusted directory in perl's own @INC: perl -c not run", msg);
		return;
	}
	ok(r == PERL_NOT_RUN && has(msg, "/etc/perl") && has(msg, "uid 65534"),
	    "with a directory of 65534 as /etc/perl in @INC, perl -c is not run: PERL_NOT_RUN, "
	    "naming it (%d)", r);
	ok(!marker("inc"), "and the module there never ran (no marker)");
	ok(stat("/etc/perl", &st) == 0 && st.st_uid == 0, "the host's /etc/perl is untouched");

	/*
	 * A trusted @INC directory (/usr/local/lib/site_perl, below a
	 * root-owned /usr/local) holding a namespace directory Evil/ that
	 * 65534 owns: "use Evil::Mod" loads Evil/Mod.pm from it.
	 */
	must(mkdir(at("local"), 0755));
	must(mkdir(at("local/lib"), 0755));
	must(mkdir(at("local/lib/site_perl"), 0755));
	snprintf(sub, sizeof(sub), "%s", at("local/lib/site_perl/Evil"));
	must(mkdir(sub, 0755));
	evil_pm(sub, "Mod", "sub");
	must(chown(sub, NOBODY, NOBODY));
	write_pm(uses, base, "UsesEvilSub.pm", "package UsesEvilSub;\nuse Evil::Mod;\n1;\n");
	r = ns_check(at("local"), "/usr/local", uses, msg, sizeof(msg));
	ok(r == PERL_NOT_RUN && !marker("sub"),
	    "a directory of 65534 below a trusted @INC entry: perl -c not run (%d, marker %s)",
	    r, marker("sub") ? "made" : "absent");
	ok(stat("/usr/local", &st) == 0 && st.st_uid == 0, "the host's /usr/local is untouched");
}

static void
test_not_run(void)
{
	char good[PATH_MAX], notexec[PATH_MAX], fake[PATH_MAX], cwdperl[PATH_MAX];
	char cwd[PATH_MAX], *oldpath;
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	int r;

	write_pm(good, base, "Good.pm", "package Good;\n1;\n");
	r = check("/nonexistent/perl", good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN, "a missing perl is not run (%d)", r);
	ok(has(e.msg, "/nonexistent/perl") && has(e.msg, "No such file"),
	    "the message names the missing perl");

	write_pm(notexec, base, "perl", "#!/bin/sh\nexit 0\n");
	r = check(notexec, good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "no x bit"),
	    "a perl that is not executable is not run (%d)", r);
	chmod(notexec, 0755);
	r = check(notexec, good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "(a script or no x bit)"),
	    "a shebang script posing as perl is not run, even executable (%d)", r);

	/* Passes every check before exec, so execve itself reports the error. */
	write_pm(fake, base, "garbage", "\x7f" "ELF not really\n");
	chmod(fake, 0755);
	r = check(fake, good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "Exec format error"),
	    "a perl execve refuses is not run (%d)", r);

	if (is_root) {
		must(mkdir(at("theirs"), 0755));
		must(symlink("/usr/bin/perl", at("theirs/perl")));
		must(chown(at("theirs"), NOBODY, NOBODY));
		r = check(at("theirs/perl"), good, 0, 30, &diag, &e);
		ok(r == PERL_NOT_RUN && has(e.msg, at("theirs")) && has(e.msg, "uid 65534"),
		    "a perl reached through a directory of 65534 is not run (%d)", r);
	} else
		skip("a perl reached through a directory of 65534 is not run", "needs root");

	/* The caller's PATH plays no part: perl is looked for in child.h's CHILD_PATH. */
	oldpath = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", "/nonexistent:/also/nonexistent", 1);
	r = check("perl", good, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "perl is found with PATH=/nonexistent: the caller's PATH is not "
	    "used (%d: %s)", r, e.msg);

	/* A perl in the current directory is never picked, even via PATH. */
	snprintf(cwdperl, sizeof(cwdperl), "%s", at("cwdperl/perl"));
	must(mkdir(at("cwdperl"), 0755));
	must(symlink("/usr/bin/false", cwdperl));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	must(chdir(at("cwdperl")));
	setenv("PATH", ":.:/nonexistent", 1);
	r = check("perl", good, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "a 'perl' in the current directory is not picked, even with . "
	    "in PATH (%d: %s)", r, e.msg);
	must(chdir(cwd));
	setenv("PATH", oldpath, 1);
	free(oldpath);
	ok(no_children(), "no child left after failed starts");
	buf_release(&diag);
}

static void
test_limits(void)
{
	char slow[PATH_MAX], quiet[PATH_MAX], chatty[PATH_MAX], dash[PATH_MAX];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	struct timespec t0, t1;
	double took;
	int r;

	write_pm(slow, base, "Slow.pm", "package Slow;\nBEGIN { sleep 30 }\n1;\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = check("/usr/bin/perl", slow, 0, 1, &diag, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(r == -1 && has(e.msg, "no answer within 1 s"),
	    "a perl that hangs is stopped (%d)", r);
	ok(took < 5.0, "and quickly (%.2f s)", took);
	ok(no_children(), "no zombie left after the timeout");

	/* Closes stderr first, so the end of the pipe says nothing. */
	write_pm(quiet, base, "Quiet.pm",
	    "package Quiet;\nBEGIN { close STDERR; sleep 30 }\n1;\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = check("/usr/bin/perl", quiet, 0, 1, &diag, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(r == -1 && took < 5.0,
	    "a perl that closes stderr and hangs is stopped (%d, %.2f s)", r, took);
	ok(no_children(), "no zombie left");

	write_pm(chatty, base, "Chatty.pm", "package Chatty;\n"
	    "BEGIN { print STDERR 'x' x 200000; print STDOUT 'y' x 200000 }\n1;\n");
	r = check("/usr/bin/perl", chatty, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "a chatty perl does not block on its pipe (%d: %s)",
	    r, e.msg);
	ok(diag.len == 8192, "diag is capped at 8 KiB (%zu)", diag.len);

	/*
	 * perl is given /dev/fd/3, never the file's name: a name like a
	 * switch cannot become one (perl would read stdin, -w, and pass).
	 */
	write_pm(dash, base, "-w.pm", "package Dash;\nsub f { 1 +; }\n1;\n");
	buf_reset(&diag);
	r = check("/usr/bin/perl", dash, 0, 30, &diag, &e);
	ok(r == PERL_FAILS && has(diag.data, "-w.pm line 2"),
	    "a file named like a switch is compiled as the file it is (%d)", r);

	r = verify_perl_compiles(&host, "/usr/bin/perl", slow, 0, 1, NULL, &e);
	ok(r == -1, "diag may be NULL (%d)", r);
	ok(no_children(), "no zombie left at the end");
	buf_release(&diag);
}

/* vouch once, then start, finish, and abort. */
static void
test_halves(void)
{
	char good[PATH_MAX], slow[PATH_MAX], bad[PATH_MAX];
	struct perl_vouch v, missing;
	struct perl_run run;
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	int r, gfd, sfd;

	r = verify_perl_vouch(&v, &host, "/usr/bin/perl", 0);
	ok(r == 0 && v.verdict == 0 && strcmp(v.perl, "/usr/bin/perl") == 0,
	    "verify_perl_vouch: the system perl and its @INC may run (%d: %s)", r, v.why.msg);
	write_pm(good, base, "Good.pm", "package Good;\n1;\n");
	gfd = open(good, O_RDONLY | O_CLOEXEC);
	r = verify_perl_start(&run, &host, &v, gfd, 30, &e);
	ok(r == 0 && run.running, "verify_perl_start: 0 once perl runs (%d: %s)", r, e.msg);
	r = verify_perl_finish(&run, good, &diag, &e);
	ok(r == PERL_COMPILES && !run.running, "verify_perl_finish: the verdict (%d)", r);
	verify_perl_abort(&run);
	ok(1, "abort after finish is harmless");
	r = verify_perl_finish(&run, good, &diag, &e);
	ok(r == -1 && has(e.msg, "not started"), "finish twice: -1");
	lseek(gfd, 0, SEEK_SET);
	r = verify_perl_start(&run, &host, &v, gfd, 30, &e);
	ok(r == 0 && verify_perl_finish(&run, good, NULL, &e) == PERL_COMPILES,
	    "one vouch serves several checks");

	/* perl compiles what the descriptor reads, whatever the path names by then. */
	lseek(gfd, 0, SEEK_SET);
	write_pm(bad, base, "Good.new", "package Good;\nsub f { 1 +; }\n1;\n");
	rename(bad, good);
	r = verify_perl_start(&run, &host, &v, gfd, 30, &e);
	ok(r == 0 && verify_perl_finish(&run, good, NULL, &e) == PERL_COMPILES,
	    "perl -c reads the descriptor it was given, not the path replaced meanwhile");
	close(gfd);
	buf_reset(&diag);
	r = verify_perl_compiles(&host, "/usr/bin/perl", good, 0, 30, &diag, &e);
	ok(r == PERL_FAILS && diag.data != NULL && has(diag.data, good) &&
	    !has(diag.data, "/dev/fd/"), "perl's diagnostics name the file, not /dev/fd/3 (%s)",
	    diag.data ? diag.data : "none");

	write_pm(slow, base, "Slow.pm", "package Slow;\nBEGIN { sleep 30 }\n1;\n");
	sfd = open(slow, O_RDONLY | O_CLOEXEC);
	r = verify_perl_start(&run, &host, &v, sfd, 30, &e);
	close(sfd);
	ok(r == 0, "start a slow check (%d)", r);
	verify_perl_abort(&run);
	verify_perl_abort(&run);
	ok(!run.running && no_children(), "verify_perl_abort kills and reaps it; twice is harmless");

	r = verify_perl_vouch(&missing, &host, "/nonexistent/perl", 0);
	ok(r == PERL_NOT_RUN, "vouch for a missing perl: PERL_NOT_RUN (%s)", missing.why.msg);
	r = verify_perl_start(&run, &host, &missing, -1, 30, &e);
	ok(r == PERL_NOT_RUN && !run.running && has(e.msg, "/nonexistent/perl"),
	    "start under that vouch: PERL_NOT_RUN, and why");
	verify_perl_abort(&run);
	verify_vouch_release(&missing);
	verify_vouch_release(&v);
	buf_release(&diag);
}

static void
setup(void)
{
	must(mkdir(at("evil"), 0755));
	must(mkdir(at("cwd"), 0755));
	must(mkdir(at("lib"), 0755));
	must(mkdir(at("rel"), 0755));
	must(mkdir(at("ww"), 0777));
	must(chmod(at("ww"), 0777));
	must(mkdir(at("u"), 0755));
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
	char tmpl[] = "/tmp/test-verify.XXXXXX";
	struct err e = ERR_INIT;

	if (access("/usr/bin/perl", X_OK) == -1) {
		printf("1..0 # SKIP /usr/bin/perl not installed\n");
		return 0;
	}
	umask(022);
	is_root = geteuid() == 0;
	/* /tmp, not $TMPDIR: perl runs only when what it loads is in a trusted chain. */
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	setup();

	test_verdicts();
	test_env();
	test_untrusted_lib();
	test_untrusted_inc();
	test_not_run();
	test_limits();
	test_halves();

	fsroot_close(&host);
	if (chdir("/") == 0 && nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
	return tap_done();
}
