/* test-running.c: a live Bucardo MCP, told from stale and garbled pid files. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "running.h"
#include "tap.h"

#define NOBODY	65534

/* The live system: pid directories are paths inside it, as the host sees them. */
static struct fsroot host = FSROOT_INIT;

static void
write_pidfile(const char *dir, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bucardo.mcp.pid", dir);
	if ((f = fopen(path, "w")) == NULL) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* Bucardo's own format: pid, how it was started, when. */
static void
write_pid(const char *dir, pid_t pid)
{
	char text[256];

	snprintf(text, sizeof(text), "%d\n/usr/bin/bucardo start\n"
	    "Mon Jan  1 00:00:00 2024\n", (int)pid);
	write_pidfile(dir, text);
}

/*
 * Start argv[0] as its own process group (so a shell's children die with
 * it) and wait until it has exec'd: before that, /proc shows our own
 * command line.
 */
static pid_t
spawn(const char *prog, char *const argv[])
{
	char path[64], buf[256];
	FILE *f;
	size_t n;
	pid_t pid;
	int i;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		execv(prog, argv);
		_exit(127);
	}
	setpgid(pid, pid);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	for (i = 0; i < 500; i++) {
		if ((f = fopen(path, "r")) != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = '\0';
			if (strcmp(buf, argv[0]) == 0)
				break;
		}
		usleep(10000);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_mcp(const char *dir)
{
	struct bucardo_daemon d;
	struct err e = ERR_INIT;
	char *const argv[] = { "Bucardo Master Control Program v5.6.0.", "30",
	    NULL };
	time_t now;
	pid_t pid;
	int rv;

	if ((pid = spawn("/bin/sleep", argv)) == -1) {
		ok(0, "fork: %s", strerror(errno));
		return;
	}
	write_pid(dir, pid);
	now = time(NULL);
	rv = running_bucardo(&host, dir, &d, &e);
	ok(rv == 1, "mcp: running");
	if (rv != 1)
		printf("#   rv %d: %s\n", rv, e.msg);
	ok(d.pid == pid, "mcp: pid %d", (int)d.pid);
	ok(d.started >= now - 5 && d.started <= now + 5,
	    "mcp: started %lld s from now", (long long)(d.started - now));

	/* Killed but not yet reaped: a zombie has no command line. */
	kill(pid, SIGKILL);
	usleep(100000);
	ok(running_bucardo(&host, dir, &d, &e) == 0, "zombie: not running");
	waitpid(pid, NULL, 0);
	ok(running_bucardo(&host, dir, &d, &e) == 0 && d.pid == 0,
	    "exited: stale pid file, not running");
}

static void
test_before_retitle(const char *dir)
{
	struct bucardo_daemon d;
	struct err e = ERR_INIT;
	char *const argv[] = { "perl", "-c", "sleep 30; exit 0",
	    "/usr/bin/bucardo", NULL };
	pid_t pid;

	if ((pid = spawn("/bin/sh", argv)) == -1) {
		ok(0, "fork: %s", strerror(errno));
		return;
	}
	write_pid(dir, pid);
	ok(running_bucardo(&host, dir, &d, &e) == 1 && d.pid == pid,
	    "perl /usr/bin/bucardo: running");
	reap(pid);
}

static void
test_not_bucardo(const char *dir)
{
	struct bucardo_daemon d;
	struct err e = ERR_INIT;
	char *const argv[] = { "Bucardoish", "30", NULL };
	char *const argv2[] = { "sh", "-c", "sleep 30; exit 0",
	    "/src/bucardo-aiven/build/tests/test-running", NULL };
	pid_t pid;

	write_pid(dir, getpid());
	ok(running_bucardo(&host, dir, &d, &e) == 0, "own pid: not bucardo");

	if ((pid = spawn("/bin/sleep", argv)) != -1) {
		write_pid(dir, pid);
		ok(running_bucardo(&host, dir, &d, &e) == 0,
		    "argv0 merely starting with Bucardo: not bucardo");
		reap(pid);
	}
	if ((pid = spawn("/bin/sh", argv2)) != -1) {
		write_pid(dir, pid);
		ok(running_bucardo(&host, dir, &d, &e) == 0,
		    "bucardo only inside a path: not bucardo");
		reap(pid);
	}
}

static void
test_files(const char *dir)
{
	struct bucardo_daemon d;
	struct err e = ERR_INIT;
	char path[4096], missing[4096], text[64];
	FILE *f;
	long pid_max = 4194304;
	int rv;

	snprintf(missing, sizeof(missing), "%s/nope", dir);
	ok(running_bucardo(&host, missing, &d, &e) == 0, "missing directory: 0");
	snprintf(path, sizeof(path), "%s/bucardo.mcp.pid", dir);
	unlink(path);
	ok(running_bucardo(&host, dir, &d, &e) == 0, "missing pid file: 0");

	/* pid_max itself is never a process id. */
	if ((f = fopen("/proc/sys/kernel/pid_max", "r")) != NULL) {
		if (fscanf(f, "%ld", &pid_max) != 1)
			pid_max = 4194304;
		fclose(f);
	}
	snprintf(text, sizeof(text), "%ld\n", pid_max);
	write_pidfile(dir, text);
	ok(running_bucardo(&host, dir, &d, &e) == 0, "no such process: 0");

	write_pidfile(dir, "hello\n");
	e.msg[0] = '\0';
	rv = running_bucardo(&host, dir, &d, &e);
	ok(rv == -1, "garbage: -1");
	ok(strstr(e.msg, path) != NULL && strstr(e.msg, "not a process id"),
	    "garbage: message names the file (%s)", e.msg);
	write_pidfile(dir, "");
	ok(running_bucardo(&host, dir, &d, &e) == -1, "empty: -1");
	write_pidfile(dir, "0\n");
	ok(running_bucardo(&host, dir, &d, &e) == -1, "pid 0: -1");
	write_pidfile(dir, "-5\n");
	ok(running_bucardo(&host, dir, &d, &e) == -1, "negative: -1");
	write_pidfile(dir, "99999999999\n");
	ok(running_bucardo(&host, dir, &d, &e) == -1, "out of range: -1");
	write_pidfile(dir, "12 34\n");
	ok(running_bucardo(&host, dir, &d, &e) == -1, "two numbers: -1");
	snprintf(text, sizeof(text), "  %ld \r\n", pid_max);
	write_pidfile(dir, text);
	ok(running_bucardo(&host, dir, &d, &e) == 0, "blanks around the pid: parsed");

	/* Unreadable: a directory where the file should be. */
	unlink(path);
	mkdir(path, 0700);
	e.msg[0] = '\0';
	ok(running_bucardo(&host, dir, &d, &e) == -1, "unreadable: -1");
	ok(strstr(e.msg, path) != NULL && strstr(e.msg, "a directory") != NULL,
	    "unreadable: message (%s)", e.msg);
	rmdir(path);
}

/*
 * The pid directory may belong to the bucardo user, who could put anything
 * there: the file is read whatever its owner, but never through a link and
 * never from a fifo (which would block).
 */
static void
test_hostile(const char *dir)
{
	struct bucardo_daemon d;
	struct err e = ERR_INIT;
	struct fsroot under = FSROOT_INIT;
	char *const argv[] = { "Bucardo Master Control Program v5.6.0.", "30", NULL };
	char path[4096], real[4096], sub[4096];
	pid_t pid;
	int rv;

	snprintf(path, sizeof(path), "%s/bucardo.mcp.pid", dir);
	snprintf(sub, sizeof(sub), "%s/elsewhere", dir);
	snprintf(real, sizeof(real), "%s/elsewhere/bucardo.mcp.pid", dir);
	if ((pid = spawn("/bin/sleep", argv)) == -1) {
		ok(0, "fork: %s", strerror(errno));
		return;
	}
	mkdir(sub, 0755);
	write_pid(sub, pid);
	ok(running_bucardo(&host, sub, &d, &e) == 1 && d.pid == pid,
	    "control: the live MCP's pid file is read");
	unlink(path);
	must(symlink(real, path));
	e.msg[0] = '\0';
	rv = running_bucardo(&host, dir, &d, &e);
	ok(rv == -1 && d.pid == 0 && strstr(e.msg, "symbolic link") != NULL,
	    "a pid file that is a symlink is not followed (%d: %s)", rv, e.msg);
	unlink(path);

	if (mkfifo(path, 0644) == 0) {
		alarm(5);
		rv = running_bucardo(&host, dir, &d, &e);
		alarm(0);
		ok(rv == -1 && strstr(e.msg, "named pipe") != NULL,
		    "a fifo as the pid file: refused without blocking (%s)", e.msg);
		unlink(path);
	} else
		ok(0, "mkfifo %s: %s", path, strerror(errno));

	/* Under --root the pid directory is a path inside the root. */
	must(fsroot_open(&under, dir, &e));
	ok(running_bucardo(&under, "/elsewhere", &d, &e) == 1 && d.pid == pid,
	    "under --root: ROOT/elsewhere/bucardo.mcp.pid is read");
	fsroot_close(&under);

	if (geteuid() == 0) {
		must(chown(sub, NOBODY, NOBODY));
		must(chown(real, NOBODY, NOBODY));
		ok(running_bucardo(&host, sub, &d, &e) == 1 && d.pid == pid,
		    "a pid file of 65534 in a directory of 65534 is still read");
	} else
		ok(1, "a pid file of another user is still read # SKIP needs root to chown");
	reap(pid);
	unlink(real);
	rmdir(sub);
}

int
main(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[1024], path[2048];
	struct err e = ERR_INIT;

	if (tmpdir == NULL || tmpdir[0] != '/')
		tmpdir = "/tmp";
	snprintf(dir, sizeof(dir), "%s/test-running.XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	test_mcp(dir);
	test_before_retitle(dir);
	test_not_bucardo(dir);
	test_files(dir);
	test_hostile(dir);

	snprintf(path, sizeof(path), "%s/bucardo.mcp.pid", dir);
	unlink(path);
	if (rmdir(dir) == -1)
		printf("# could not remove %s: %s\n", dir, strerror(errno));
	fsroot_close(&host);
	return tap_done();
}
