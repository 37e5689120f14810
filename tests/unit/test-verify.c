/* test-verify.c: perl -c verdicts, environment cleaning, time limits, no zombies. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verify.h"
#include "tap.h"

static int
has(const char *msg, const char *needle)
{
	if (msg != NULL && strstr(msg, needle) != NULL)
		return 1;
	printf("#   text:  %s\n#   lacks: %s\n", msg ? msg : "(null)", needle);
	return 0;
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
	if ((f = fopen(out, "w")) != NULL) {
		fputs(s, f);
		fclose(f);
	}
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
	return verify_perl_compiles(perl, file, keep, timeout, diag, e);
}

static void
test_verdicts(const char *dir)
{
	char good[PATH_MAX], bad[PATH_MAX], missing[PATH_MAX];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	int r;

	write_pm(good, dir, "Good.pm", "package Good;\nuse strict;\n"
	    "sub f { return 1 }\n1;\n");
	write_pm(bad, dir, "Bad.pm", "package Bad;\nuse strict;\n"
	    "my $x = ;\n1;\n");
	write_pm(missing, dir, "Missing.pm", "package Missing;\n"
	    "use Nonexistent::Module;\n1;\n");

	r = check("/usr/bin/perl", good, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "a valid module compiles (%d: %s)", r, e.msg);
	ok(has(diag.data, "syntax OK"), "diag holds perl's 'syntax OK'");

	r = check("perl", good, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "perl is found in PATH (%d: %s)", r, e.msg);

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

static void
test_env(const char *dir)
{
	char good[PATH_MAX], libdir[PATH_MAX], only[PATH_MAX], mod[PATH_MAX];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	int r;

	write_pm(good, dir, "Good.pm", "package Good;\n1;\n");

	setenv("PERL5OPT", "-MNonexistent", 1);
	r = check("/usr/bin/perl", good, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "PERL5OPT=-MNonexistent is cleaned (%d: %s)",
	    r, e.msg);
	r = check("/usr/bin/perl", good, 1, 30, &diag, &e);
	ok(r == PERL_FAILS && has(diag.data, "Can't locate Nonexistent.pm"),
	    "PERL5OPT is honoured with keep_perl_env");
	unsetenv("PERL5OPT");

	write_pm(libdir, dir, "lib", "");
	unlink(libdir);
	mkdir(libdir, 0755);
	write_pm(mod, libdir, "OnlyHere.pm", "package OnlyHere;\n1;\n");
	write_pm(only, dir, "UsesLib.pm", "package UsesLib;\nuse OnlyHere;\n1;\n");
	setenv("PERL5LIB", libdir, 1);
	r = check("/usr/bin/perl", only, 0, 30, &diag, &e);
	ok(r == PERL_FAILS && has(diag.data, "Can't locate OnlyHere.pm"),
	    "PERL5LIB is cleaned");
	r = check("/usr/bin/perl", only, 1, 30, &diag, &e);
	ok(r == PERL_COMPILES, "PERL5LIB is honoured with keep_perl_env (%d: %s)",
	    r, e.msg);
	unsetenv("PERL5LIB");
	ok(getenv("PERL5LIB") == NULL && getenv("PERL5OPT") == NULL,
	    "the caller's own environment is not modified by the check");
	buf_release(&diag);
}

static void
test_not_run(const char *dir)
{
	char good[PATH_MAX], notexec[PATH_MAX];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	char *oldpath;
	int r;

	write_pm(good, dir, "Good.pm", "package Good;\n1;\n");
	r = check("/nonexistent/perl", good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN, "a missing perl is not run (%d)", r);
	ok(has(e.msg, "/nonexistent/perl") && has(e.msg, "No such file"),
	    "the message names the missing perl");

	write_pm(notexec, dir, "perl", "#!/bin/sh\nexit 0\n");
	r = check(notexec, good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "Permission denied"),
	    "a perl that is not executable is not run (%d)", r);

	/* Passes every check before exec, so execve itself reports the error. */
	write_pm(notexec, dir, "garbage", "\x7f" "ELF not really\n");
	chmod(notexec, 0755);
	r = check(notexec, good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "Exec format error"),
	    "a perl execve refuses is not run (%d)", r);

	oldpath = strdup(getenv("PATH") ? getenv("PATH") : "");
	setenv("PATH", "/nonexistent:/also/nonexistent", 1);
	r = check("perl", good, 0, 30, &diag, &e);
	ok(r == PERL_NOT_RUN && has(e.msg, "not found in PATH"),
	    "perl absent from PATH is not run (%d)", r);

	/* A perl in the current directory is never picked, even via PATH. */
	write_pm(notexec, dir, "perl", "#!/bin/sh\nexit 0\n");
	chmod(notexec, 0755);
	if (chdir(dir) == 0) {
		setenv("PATH", ":.:/nonexistent", 1);
		r = check("perl", good, 0, 30, &diag, &e);
		ok(r == PERL_NOT_RUN, "relative PATH entries are skipped (%d)", r);
		must(chdir("/"));
	} else
		ok(0, "chdir %s", dir);
	setenv("PATH", oldpath, 1);
	free(oldpath);
	ok(no_children(), "no child left after failed starts");
	buf_release(&diag);
}

static void
test_limits(const char *dir)
{
	char slow[PATH_MAX], quiet[PATH_MAX], chatty[PATH_MAX], dash[PATH_MAX];
	struct buf diag = BUF_INIT;
	struct err e = ERR_INIT;
	struct timespec t0, t1;
	double took;
	int r;

	write_pm(slow, dir, "Slow.pm", "package Slow;\nBEGIN { sleep 30 }\n1;\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = check("/usr/bin/perl", slow, 0, 1, &diag, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(r == -1 && has(e.msg, "no answer within 1 s"),
	    "a perl that hangs is stopped (%d)", r);
	ok(took < 5.0, "and quickly (%.2f s)", took);
	ok(no_children(), "no zombie left after the timeout");

	/* Closes stderr first, so the end of the pipe says nothing. */
	write_pm(quiet, dir, "Quiet.pm",
	    "package Quiet;\nBEGIN { close STDERR; sleep 30 }\n1;\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = check("/usr/bin/perl", quiet, 0, 1, &diag, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(r == -1 && took < 5.0,
	    "a perl that closes stderr and hangs is stopped (%d, %.2f s)", r, took);
	ok(no_children(), "no zombie left");

	write_pm(chatty, dir, "Chatty.pm", "package Chatty;\n"
	    "BEGIN { print STDERR 'x' x 200000; print STDOUT 'y' x 200000 }\n1;\n");
	r = check("/usr/bin/perl", chatty, 0, 30, &diag, &e);
	ok(r == PERL_COMPILES, "a chatty perl does not block on its pipe (%d: %s)",
	    r, e.msg);
	ok(diag.len == 8192, "diag is capped at 8 KiB (%zu)", diag.len);

	write_pm(dash, dir, "-w.pm", "package Dash;\n1;\n");
	if (chdir(dir) == 0) {
		r = check("/usr/bin/perl", "-w.pm", 0, 30, &diag, &e);
		ok(r == PERL_COMPILES && has(diag.data, "syntax OK"),
		    "a file named like a switch is checked as a file (%d)", r);
	} else
		ok(0, "chdir %s", dir);

	r = verify_perl_compiles("/usr/bin/perl", slow, 0, 1, NULL, &e);
	ok(r == -1, "diag may be NULL (%d)", r);
	ok(no_children(), "no zombie left at the end");
	buf_release(&diag);
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

int
main(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char base[PATH_MAX];

	if (access("/usr/bin/perl", X_OK) == -1) {
		printf("1..0 # SKIP /usr/bin/perl not installed\n");
		return 0;
	}
	snprintf(base, sizeof(base), "%s/test-verify.XXXXXX",
	    tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}

	test_verdicts(base);
	test_env(base);
	test_not_run(base);
	test_limits(base);

	if (chdir("/") == 0)
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
