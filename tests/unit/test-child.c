/* test-child.c: children run only from trusted ELF programs, with a clean environment and a deadline. */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

#define NOBODY	65534
#define CLEAN_ENV	"PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n"
/* child.c's CHILD_ENV_MAX: how many extra_env entries it takes. */
#define ENV_MAX		16

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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* Copy the program from to to, with mode. */
static void
copy(const char *from, const char *to, mode_t mode)
{
	char chunk[65536];
	ssize_t n;
	int in, out;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		printf("Bail out! cannot copy %s to %s: %s\n", from, to, strerror(errno));
		exit(1);
	}
	while ((n = read(in, chunk, sizeof(chunk))) > 0)
		if (write(out, chunk, (size_t)n) != n) {
			printf("Bail out! cannot write %s\n", to);
			exit(1);
		}
	close(in);
	close(out);
	must(chmod(to, mode));
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

/* What one run gave. */
struct ran {
	int		 start;		/* child_start's result */
	int		 finish;	/* child_finish's, or 99 when not reached */
	int		 status;
	pid_t		 pid;		/* the child, also its process group */
	pid_t		 pid_after;	/* sp.pid once child_finish returned */
	double		 took;
	struct buf	 out;
	struct buf	 err;
	char		 msg[1024];
};

static void
ran_release(struct ran *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
}

/* What the next run() passes as cmd.input. */
static int run_input = -1;

static void
run(struct ran *r, const char *const *argv, const char *const *env, unsigned timeout_ms,
    int capture, size_t out_limit, size_t err_keep)
{
	struct child sp;
	struct child_cmd cmd;
	struct err e = ERR_INIT;
	double t0 = now_s();

	memset(r, 0, sizeof(*r));
	r->finish = 99;
	r->status = -1;
	cmd = (struct child_cmd)CHILD_CMD_INIT;
	cmd.argv = argv;
	cmd.extra_env = env;
	cmd.timeout_ms = timeout_ms;
	cmd.capture_stdout = capture;
	cmd.input = run_input;
	r->start = child_start(&sp, &host, &cmd, &e);
	r->pid = sp.pid;
	if (r->start == 0)
		r->finish = child_finish(&sp, &r->out, out_limit, &r->err, err_keep, &r->status,
		    &e);
	r->pid_after = sp.pid;
	child_abort(&sp);
	r->took = now_s() - t0;
	snprintf(r->msg, sizeof(r->msg), "%s", e.msg);
	if (r->out.data == NULL)
		buf_puts(&r->out, "");
	if (r->err.data == NULL)
		buf_puts(&r->err, "");
}

static int
exited(const struct ran *r, int code)
{
	return r->start == 0 && r->finish == 0 && WIFEXITED(r->status) &&
	    WEXITSTATUS(r->status) == code;
}

/* Processes of group pgid still alive (zombies do not count: they are dead). */
static int
group_alive(pid_t pgid)
{
	char path[300], text[512], *p;
	struct dirent *de;
	DIR *d;
	FILE *f;
	size_t n;
	int alive = 0, pgrp;
	char state;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		if ((p = strrchr(text, ')')) == NULL ||
		    sscanf(p + 1, " %c %*d %d", &state, &pgrp) != 2)
			continue;
		if (pgrp == pgid && state != 'Z' && state != 'X')
			alive++;
	}
	closedir(d);
	return alive;
}

/* Group members take a moment to die after SIGKILL: wait up to 2 s. */
static int
group_gone(pid_t pgid)
{
	int i, n = -1;

	for (i = 0; i < 200; i++) {
		if ((n = group_alive(pgid)) == 0)
			return 1;
		usleep(10000);
	}
	printf("#   %d process(es) of group %d still alive\n", n, (int)pgid);
	return 0;
}

static void
test_runs(void)
{
	const char *const t[] = { "/bin/true", NULL };
	const char *const f[] = { "/bin/false", NULL };
	const char *const cat[] = { "/usr/bin/cat", NULL };
	const char *const echo[] = { "/usr/bin/echo", "hello", NULL };
	const char *const sig[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	struct ran r;

	run(&r, t, NULL, 5000, 0, 0, 0);
	ok(exited(&r, 0), "a trusted ELF (/bin/true, through the /bin link) runs (%s)", r.msg);
	ok(r.pid > 0 && r.pid_after == -1, "child_finish leaves no pid behind");
	ran_release(&r);
	run(&r, f, NULL, 5000, 0, 0, 0);
	ok(exited(&r, 1), "its exit status is given (/bin/false: 1)");
	ran_release(&r);
	run(&r, sig, NULL, 5000, 0, 0, 0);
	ok(r.finish == 0 && WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL,
	    "a child killed by a signal: its status says so");
	ran_release(&r);
	run(&r, cat, NULL, 5000, 1, 100, 0);
	ok(exited(&r, 0) && r.out.len == 0 && r.took < 4,
	    "stdin is /dev/null: cat ends at once with nothing");
	ran_release(&r);
	run(&r, echo, NULL, 5000, 0, 100, 0);
	ok(exited(&r, 0) && r.out.len == 0, "stdout not captured goes nowhere");
	ran_release(&r);
	run(&r, echo, NULL, 5000, 1, 100, 0);
	is_str(r.out.data, "hello\n", "captured stdout");
	ran_release(&r);
}

static void
test_env(void)
{
	const char *const env[] = { "/usr/bin/env", NULL };
	const char *const extra[] = { "FOO=bar", "PERL5LIB=/given", NULL };
	const char *many[ENV_MAX + 2];
	const char *const touch[] = { "/usr/bin/touch", at("many-marker"), NULL };
	const char *const pwd[] = { "/bin/pwd", NULL };
	char cwd[PATH_MAX];
	struct ran r;
	size_t i;

	setenv("PERL5OPT", "-Mwarnings", 1);
	setenv("PERL5LIB", "/tmp/x", 1);
	setenv("PERL_USE_UNSAFE_INC", "1", 1);
	setenv("LD_PRELOAD", "/nonexistent/libevil.so", 1);
	setenv("LD_LIBRARY_PATH", "/tmp", 1);
	setenv("PERL5DB", "BEGIN { die }", 1);
	run(&r, env, NULL, 5000, 1, 4096, 0);
	is_str(r.out.data, CLEAN_ENV, "the child's environment is PATH and LC_ALL only, "
	    "whatever the caller's (PERL5OPT, PERL5LIB, LD_PRELOAD... set)");
	ran_release(&r);
	run(&r, env, extra, 5000, 1, 4096, 0);
	is_str(r.out.data, CLEAN_ENV "FOO=bar\nPERL5LIB=/given\n",
	    "plus extra_env, in order");
	ran_release(&r);
	unsetenv("PERL5OPT");
	unsetenv("PERL5LIB");
	unsetenv("PERL_USE_UNSAFE_INC");
	unsetenv("LD_PRELOAD");
	unsetenv("LD_LIBRARY_PATH");
	unsetenv("PERL5DB");

	for (i = 0; i < ENV_MAX + 1; i++)
		many[i] = "X=1";
	many[i] = NULL;
	run(&r, touch, many, 5000, 0, 0, 0);
	ok(r.start == -1 && has(r.msg, "too many") && access(at("many-marker"), F_OK) == -1,
	    "more than %d extra entries: refused, nothing run", ENV_MAX);
	ran_release(&r);
	many[ENV_MAX] = NULL;
	run(&r, touch, many, 5000, 0, 0, 0);
	ok(exited(&r, 0), "exactly %d extra entries are taken (%s)", ENV_MAX, r.msg);
	ran_release(&r);
	unlink(at("many-marker"));

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	must(chdir(base));
	run(&r, pwd, NULL, 5000, 1, 4096, 0);
	is_str(r.out.data, "/\n", "the child's current directory is /, not the caller's");
	ran_release(&r);
	must(chdir(cwd));
}

static void
test_fds(void)
{
	const char *const ls[] = { "/usr/bin/ls", "-l", "/proc/self/fd/", NULL };
	struct ran r;
	int fd, high;

	fd = open(at("inherit-marker"), O_RDWR | O_CREAT, 0600);	/* no O_CLOEXEC */
	high = fd != -1 ? dup2(fd, 200) : -1;
	ok(fd != -1 && high == 200 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "set-up: descriptors %d and 200 open without close-on-exec", fd);
	run(&r, ls, NULL, 5000, 1, 65536, 0);
	ok(exited(&r, 0) && has(r.out.data, " 0 -> /dev/null") && has(r.out.data, " 1 -> pipe:"),
	    "the child's 0 is /dev/null and its 1 our pipe");
	ok(strstr(r.out.data, "inherit-marker") == NULL && strstr(r.out.data, " 200 -> ") == NULL,
	    "no descriptor beyond 0-2 is inherited");
	if (strstr(r.out.data, "inherit-marker") != NULL)
		printf("%s", r.out.data);
	ran_release(&r);

	/* cmd.input: the one descriptor passed on, as CHILD_INPUT_FD. */
	{
		const char *const cat[] = { "/usr/bin/cat", "/dev/fd/3", NULL };

		put(at("input-data"), "what the caller judged\n", 0600);
		run_input = open(at("input-data"), O_RDONLY | O_CLOEXEC);
		run(&r, cat, NULL, 5000, 1, 65536, 0);
		ok(exited(&r, 0) && strcmp(r.out.data, "what the caller judged\n") == 0,
		    "cmd.input: the child reads it as /dev/fd/3 (%s)", r.msg);
		ran_release(&r);
		run(&r, ls, NULL, 5000, 1, 65536, 0);
		ok(exited(&r, 0) && has(r.out.data, " 3 -> ") && has(r.out.data, "input-data") &&
		    strstr(r.out.data, "inherit-marker") == NULL &&
		    strstr(r.out.data, " 200 -> ") == NULL,
		    "cmd.input: descriptor 3 is the input, and nothing else is inherited");
		ran_release(&r);
		close(run_input);
		run_input = -1;
	}
	if (high != -1)
		close(high);
	if (fd != -1)
		close(fd);
}

static void
test_refused(void)
{
	const char *const missing[] = { "/nonexistent/prog", NULL };
	const char *const rel[] = { "true", NULL };
	const char *const dir[] = { "/usr/bin", NULL };
	char marker[PATH_MAX];
	const char *script[] = { at("runme.sh"), NULL };
	const char *noexec[] = { at("noexec"), NULL };
	const char *fake[] = { at("fake-elf"), NULL };
	struct ran r;

	snprintf(marker, sizeof(marker), "%s", at("script-marker"));
	{
		char text[PATH_MAX + 64];

		snprintf(text, sizeof(text), "#!/bin/sh\n/usr/bin/touch %s\n", marker);
		put(at("runme.sh"), text, 0755);
	}
	run(&r, script, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_NOT_RUN && has(r.msg, "(a script or no x bit)"),
	    "a script (shebang line) is never run: CHILD_NOT_RUN");
	ok(access(marker, F_OK) == -1, "its commands did not run (no marker)");
	ran_release(&r);

	run(&r, missing, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_NOT_RUN && has(r.msg, "/nonexistent/prog") &&
	    has(r.msg, "No such file"), "a missing program: CHILD_NOT_RUN, naming it");
	ran_release(&r);
	run(&r, rel, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_NOT_RUN && has(r.msg, "not an absolute path"),
	    "a relative program name: CHILD_NOT_RUN");
	ran_release(&r);
	run(&r, dir, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_NOT_RUN, "a directory: CHILD_NOT_RUN");
	ran_release(&r);

	copy("/bin/true", at("noexec"), 0644);
	run(&r, noexec, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_NOT_RUN && has(r.msg, "no x bit"),
	    "an ELF without the x bit: CHILD_NOT_RUN");
	ran_release(&r);

	put(at("fake-elf"), "\177ELF but not really\n", 0755);
	run(&r, fake, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_NOT_RUN && has(r.msg, "Exec format error"),
	    "ELF magic the kernel refuses: CHILD_NOT_RUN, with exec's reason");
	ran_release(&r);
	ok(no_children(), "no child left after refusals");
}

/* A copy of touch that works where trusted, and never runs where not. */
static void
test_untrusted(void)
{
	const char *good[] = { at("good/touch"), at("good-marker"), NULL };
	const char *bad[] = { at("u/touch"), at("u-marker"), NULL };
	const char *own[] = { at("good/nobodys-touch"), at("own-marker"), NULL };
	const char *gw[] = { at("gw/touch"), at("gw-marker"), NULL };
	struct ran r;

	if (!is_root) {
		skip("a program in a directory of 65534 is never run", "needs root to chown");
		return;
	}
	run(&r, good, NULL, 5000, 0, 0, 0);
	ok(exited(&r, 0) && access(at("good-marker"), F_OK) == 0,
	    "control: the copy of touch in a root-owned directory runs and makes its marker");
	ran_release(&r);

	run(&r, bad, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_UNTRUSTED, "the same copy in a directory owned by 65534: "
	    "CHILD_UNTRUSTED (%d)", r.start);
	ok(access(at("u-marker"), F_OK) == -1, "and it never ran (no marker)");
	ok(has(r.msg, at("u")) && has(r.msg, "uid 65534") && has(r.msg, "not run"),
	    "the message names the directory and its owner");
	ran_release(&r);

	run(&r, own, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_UNTRUSTED && access(at("own-marker"), F_OK) == -1,
	    "a program owned by 65534 in a good directory: CHILD_UNTRUSTED, never run");
	ran_release(&r);

	run(&r, gw, NULL, 5000, 0, 0, 0);
	ok(r.start == CHILD_UNTRUSTED && access(at("gw-marker"), F_OK) == -1,
	    "a program in a directory group 65534 may write: CHILD_UNTRUSTED, never run");
	ran_release(&r);
	ok(no_children(), "no child left");
}

static void
test_deadline(void)
{
	const char *const sleep30[] = { "/usr/bin/sleep", "30", NULL };
	const char *const family[] = { "/bin/sh", "-c", "/usr/bin/sleep 30 & /usr/bin/sleep 30",
	    NULL };
	const char *const orphan[] = { "/bin/sh", "-c",
	    "/usr/bin/sleep 30 </dev/null >/dev/null 2>&1 & exit 0", NULL };
	const char *const silent[] = { "/bin/sh", "-c", "exec >&- 2>&-; /usr/bin/sleep 30", NULL };
	const char *const yes[] = { "/usr/bin/yes", NULL };
	const char *const head4096[] = { "/usr/bin/head", "-c", "4096", "/dev/zero", NULL };
	const char *const head4097[] = { "/usr/bin/head", "-c", "4097", "/dev/zero", NULL };
	const char *const noisy[] = { "/usr/bin/ls", "/nonexistent-child-test", NULL };
	struct child sp;
	struct child_cmd cmd;
	struct err e = ERR_INIT;
	struct ran r;
	pid_t pid;

	run(&r, sleep30, NULL, 300, 0, 0, 0);
	ok(r.start == 0 && r.finish == -1 && has(r.msg, "no answer within 1 s") &&
	    has(r.msg, "killed"), "a child past its 300 ms deadline is killed");
	ok(r.took < 2.0, "at the deadline (%.2f s)", r.took);
	ok(kill(r.pid, 0) == -1 && errno == ESRCH && no_children(), "and reaped: no zombie");
	ran_release(&r);

	run(&r, family, NULL, 300, 0, 0, 0);
	ok(r.finish == -1 && r.took < 2.0, "a shell with a background child: killed at the "
	    "deadline (%.2f s)", r.took);
	ok(r.pid > 0 && group_gone(r.pid), "no process of its group remains");
	ok(no_children(), "no zombie");
	ran_release(&r);

	run(&r, silent, NULL, 300, 1, 4096, 0);
	ok(r.finish == -1 && has(r.msg, "killed") && r.took < 2.0,
	    "a child that closes its stdout and stderr, then sleeps: the deadline still holds "
	    "(%.2f s)", r.took);
	ok(r.pid > 0 && group_gone(r.pid) && no_children(), "and it is killed and reaped");
	ran_release(&r);

	run(&r, orphan, NULL, 10000, 0, 0, 0);
	ok(exited(&r, 0) && r.took < 4.0, "a shell that leaves a detached child exits in time");
	ok(r.pid > 0 && group_gone(r.pid), "what it left behind is killed too");
	ran_release(&r);

	run(&r, yes, NULL, 10000, 1, 4096, 0);
	ok(r.start == 0 && r.finish == -1 && has(r.msg, "File too large"),
	    "stdout beyond the limit is an error (EFBIG)");
	ok(r.took < 4.0 && no_children() && r.pid > 0 && group_gone(r.pid),
	    "without waiting for the deadline (%.2f s), the child killed and reaped", r.took);
	ran_release(&r);
	run(&r, head4096, NULL, 10000, 1, 4096, 0);
	ok(exited(&r, 0) && r.out.len == 4096, "exactly the limit is taken (%zu)", r.out.len);
	ran_release(&r);
	run(&r, head4097, NULL, 10000, 1, 4096, 0);
	ok(r.finish == -1, "one byte more is not");
	ran_release(&r);

	run(&r, noisy, NULL, 5000, 0, 0, 5);
	ok(exited(&r, 2) && r.err.len == 5, "stderr beyond err_keep is dropped, not an error "
	    "(%zu bytes kept)", r.err.len);
	ran_release(&r);

	/* child_abort on a live child. */
	cmd = (struct child_cmd)CHILD_CMD_INIT;
	cmd.argv = sleep30;
	cmd.timeout_ms = 10000;
	ok(child_start(&sp, &host, &cmd, &e) == 0, "start a sleep (%s)", e.msg);
	pid = sp.pid;
	child_abort(&sp);
	ok(sp.pid == -1 && sp.out == -1 && sp.err == -1 && sp.program == NULL,
	    "child_abort resets the child");
	ok(kill(pid, 0) == -1 && errno == ESRCH && no_children(),
	    "child_abort kills and reaps a live child");
	child_abort(&sp);
	ok(1, "child_abort twice is harmless");
}

static void
setup(void)
{
	if (mkdir(at("good"), 0755) == -1 || mkdir(at("u"), 0755) == -1 ||
	    mkdir(at("gw"), 0775) == -1)
		exit(1);
	must(chmod(at("gw"), 0775));
	copy("/usr/bin/touch", at("good/touch"), 0755);
	copy("/usr/bin/touch", at("u/touch"), 0755);
	copy("/usr/bin/touch", at("good/nobodys-touch"), 0755);
	copy("/usr/bin/touch", at("gw/touch"), 0755);
	if (!is_root)
		return;
	must(chown(at("u"), NOBODY, NOBODY));
	must(chown(at("good/nobodys-touch"), NOBODY, NOBODY));
	must(chmod(at("good/nobodys-touch"), 0755));
	must(chown(at("gw"), 0, NOBODY));
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
	char tmpl[] = "/tmp/test-child.XXXXXX";
	struct err e = ERR_INIT;

	umask(022);
	is_root = geteuid() == 0;
	/* /tmp, not $TMPDIR: programs run only from a chain nobody else controls. */
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	setup();

	test_runs();
	test_env();
	test_fds();
	test_refused();
	test_untrusted();
	test_deadline();
	ok(no_children(), "no zombie at the end");

	fsroot_close(&host);
	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
	return tap_done();
}
