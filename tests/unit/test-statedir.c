/* test-statedir.c: the state directory, created 0700, refused when anybody else controls it. */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statedir.h"
#include "tap.h"

#define NOBODY	65534

static char base[PATH_MAX];
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

static unsigned
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

/* statedir_open on the live root; the message into e, sd closed again unless keep. */
static int
open_sd(struct statedir *sd, const char *path, enum statedir_mode mode, struct err *e)
{
	struct fsroot r = FSROOT_INIT;
	int rc;

	memset(e, 0, sizeof(*e));
	if (fsroot_open(&r, "/", e) != 0)
		return -2;
	rc = statedir_open(sd, &r, path, mode, e);
	fsroot_close(&r);
	return rc;
}

static void
test_create(void)
{
	struct statedir sd = STATEDIR_INIT;
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct stat st;
	int rc;

	rc = open_sd(&sd, at("var/lib/state"), STATEDIR_CREATE, &e);
	ok(rc == 0 && sd.fd >= 0, "STATEDIR_CREATE makes the directory and its parents (%s)",
	    e.msg);
	ok(mode_of(at("var/lib/state")) == 0700, "the state directory is 0700 (%o)",
	    mode_of(at("var/lib/state")));
	ok(mode_of(at("var")) == 0755 && mode_of(at("var/lib")) == 0755,
	    "its parents are 0755 (%o %o)", mode_of(at("var")), mode_of(at("var/lib")));
	is_str(sd.path, at("var/lib/state"), "its path as the host sees it");
	ok(sd.fd >= 0 && fstat(sd.fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (fcntl(sd.fd, F_GETFD) & FD_CLOEXEC), "held open: a directory, close-on-exec");
	statedir_close(&sd);
	statedir_close(&sd);
	ok(sd.fd == -1 && sd.path == NULL, "statedir_close resets it and can be called twice");

	rc = open_sd(&sd, at("var/lib/state"), STATEDIR_READ, &e);
	ok(rc == 0 && sd.fd >= 0, "an existing one opens for reading (%s)", e.msg);
	statedir_close(&sd);

	rc = open_sd(&sd, at("var/lib/missing"), STATEDIR_READ, &e);
	ok(rc == 0 && sd.fd == -1 && access(at("var/lib/missing"), F_OK) == -1,
	    "STATEDIR_READ: a missing one is no error, fd -1, nothing made");
	statedir_close(&sd);

	/* Under --root the path is inside it. */
	must(mkdir(at("image"), 0755));
	must(fsroot_open(&r, at("image"), &e));
	rc = statedir_open(&sd, &r, "/var/lib/bucardo-aiven", STATEDIR_CREATE, &e);
	ok(rc == 0 && mode_of(at("image/var/lib/bucardo-aiven")) == 0700,
	    "under --root it is made inside the root (%s)", e.msg);
	is_str(sd.path, at("image/var/lib/bucardo-aiven"), "and its path is the host's");
	statedir_close(&sd);
	fsroot_close(&r);
}

static void
test_refuse(void)
{
	struct statedir sd = STATEDIR_INIT;
	struct err e = ERR_INIT;
	int rc;

	must(mkdir(at("good"), 0700));
	must(symlink(at("good"), at("link")));
	rc = open_sd(&sd, at("link"), STATEDIR_CREATE, &e);
	ok(rc == -1 && sd.fd == -1 && has(e.msg, "symbolic link"),
	    "a symlink to a good directory is refused");
	rc = open_sd(&sd, at("link"), STATEDIR_READ, &e);
	ok(rc == -1 && has(e.msg, "symbolic link"), "also for reading");
	statedir_close(&sd);

	must(mkdir(at("groupw"), 0700));
	must(chmod(at("groupw"), 0770));
	rc = open_sd(&sd, at("groupw"), STATEDIR_CREATE, &e);
	ok(rc == -1 && has(e.msg, "chmod 700") && has(e.msg, at("groupw")),
	    "a group-writable one is refused, saying what to do");
	must(mkdir(at("worldw"), 0700));
	must(chmod(at("worldw"), 0703));
	rc = open_sd(&sd, at("worldw"), STATEDIR_READ, &e);
	ok(rc == -1, "a world-writable one is refused, even for reading");
	must(mkdir(at("sticky"), 0700));
	must(chmod(at("sticky"), 01777));
	rc = open_sd(&sd, at("sticky"), STATEDIR_READ, &e);
	ok(rc == -1 && has(e.msg, "writable by group or others"),
	    "a sticky world-writable one is refused too (unlike a directory on the way)");

	{
		FILE *f = fopen(at("afile"), "w");

		if (f != NULL)
			fclose(f);
	}
	rc = open_sd(&sd, at("afile"), STATEDIR_CREATE, &e);
	ok(rc == -1 && has(e.msg, "not a directory"), "a file is refused");

	if (!is_root) {
		skip("one owned by another uid is refused", "needs root to chown");
		skip("one below a directory of another uid is refused", "needs root to chown");
		return;
	}
	must(mkdir(at("notmine"), 0700));
	must(chown(at("notmine"), NOBODY, NOBODY));
	rc = open_sd(&sd, at("notmine"), STATEDIR_READ, &e);
	ok(rc == -1 && has(e.msg, "uid 65534") && has(e.msg, "chown"),
	    "one owned by another uid is refused, naming the owner");
	must(mkdir(at("theirs"), 0755));
	must(chown(at("theirs"), NOBODY, NOBODY));
	rc = open_sd(&sd, at("theirs/state"), STATEDIR_CREATE, &e);
	ok(rc == -1 && has(e.msg, at("theirs")) && has(e.msg, "--state-dir") &&
	    access(at("theirs/state"), F_OK) == -1,
	    "one below a directory of another uid is refused, and not made");
}

/* As nobody: root's directory passes the trust rule, but is not nobody's own. */
static void
test_not_own(void)
{
	struct statedir sd = STATEDIR_INIT;
	struct err e = ERR_INIT;
	int status, r;
	pid_t pid;

	if (!is_root) {
		skip("a root-owned state directory is refused to another user", "needs root");
		return;
	}
	must(chmod(base, 0711));
	must(mkdir(at("rootowned"), 0755));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 || setuid(NOBODY) == -1)
			_exit(2);
		r = open_sd(&sd, at("rootowned"), STATEDIR_READ, &e);
		/* Root's directory (the packaged one): the advice is to run as root. */
		_exit(r == -1 && strstr(e.msg, "belongs to root: run it as root") != NULL &&
		    strstr(e.msg, "chown") == NULL ? 0 : 1);
	}
	r = pid > 0 && waitpid(pid, &status, 0) == pid;
	ok(r && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "as uid 65534, a root-owned state directory is refused: run it as root, says the message");
	must(chmod(base, 0700));
}

static void
test_subdir(void)
{
	struct statedir sd = STATEDIR_INIT;
	struct err e = ERR_INIT;
	struct stat st, want;
	int fd, rc;

	rc = open_sd(&sd, at("sub"), STATEDIR_CREATE, &e);
	ok(rc == 0, "open a state directory for subdirectories (%s)", e.msg);
	if (rc != 0)
		return;

	fd = statedir_subdir(&sd, "originals/usr/share", 1, &e);
	ok(fd >= 0 && mode_of(at("sub/originals")) == 0700 &&
	    mode_of(at("sub/originals/usr")) == 0700 &&
	    mode_of(at("sub/originals/usr/share")) == 0700,
	    "statedir_subdir makes each missing directory 0700 (%s)", e.msg);
	ok(fd >= 0 && fstat(fd, &st) == 0 && stat(at("sub/originals/usr/share"), &want) == 0 &&
	    st.st_ino == want.st_ino, "and returns the last one");
	if (fd >= 0)
		close(fd);
	fd = statedir_subdir(&sd, "originals/usr/share", 0, &e);
	ok(fd >= 0, "an existing one opens without create");
	if (fd >= 0)
		close(fd);
	errno = 0;
	fd = statedir_subdir(&sd, "originals/nothing", 0, &e);
	ok(fd == -1 && errno == ENOENT && access(at("sub/originals/nothing"), F_OK) == -1,
	    "a missing one without create: -1, ENOENT, nothing made");

	/* A link planted where a directory should be is never followed. */
	must(mkdir(at("elsewhere"), 0700));
	must(symlink(at("elsewhere"), at("sub/originals/planted")));
	memset(&e, 0, sizeof(e));
	fd = statedir_subdir(&sd, "originals/planted/x", 1, &e);
	ok(fd == -1 && has(e.msg, "not a directory") &&
	    access(at("elsewhere/x"), F_OK) == -1,
	    "a planted symlink on the way is refused, nothing made through it");
	memset(&e, 0, sizeof(e));
	fd = statedir_subdir(&sd, "originals/planted", 0, &e);
	ok(fd == -1 && has(e.msg, "not a directory"), "a planted symlink as the last is refused");
	{
		FILE *f = fopen(at("sub/originals/afile"), "w");

		if (f != NULL)
			fclose(f);
	}
	fd = statedir_subdir(&sd, "originals/afile", 1, &e);
	ok(fd == -1 && has(e.msg, "not a directory"), "a file is refused");
	errno = 0;
	fd = statedir_subdir(&sd, "originals/../../escape", 1, &e);
	ok(fd == -1 && errno == EINVAL && access(at("escape"), F_OK) == -1,
	    ".. is refused: EINVAL, nothing made");
	fd = statedir_subdir(&sd, "./x", 1, &e);
	ok(fd == -1 && errno == EINVAL, ". is refused");
	fd = statedir_subdir(&sd, "//originals//usr/", 0, &e);
	ok(fd >= 0, "extra slashes are harmless");
	if (fd >= 0)
		close(fd);
	statedir_close(&sd);
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
	char tmpl[] = "/tmp/test-statedir.XXXXXX";

	umask(022);
	is_root = geteuid() == 0;
	/* /tmp, not $TMPDIR: the trust rule needs a chain nobody else controls. */
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_create();
	test_refuse();
	test_not_own();
	test_subdir();

	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
	return tap_done();
}
