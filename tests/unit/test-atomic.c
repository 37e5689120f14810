/* test-atomic.c: replacing files whole through their directory, keeping metadata, refusing what is unsafe. */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <linux/fs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "tap.h"

#define OLD	"package Bucardo;\nour $VERSION = '5.6.0';\n1;\n"
#define NEW	"package Bucardo;\nour $VERSION = '5.6.0'; # patched\n1;\n"
#define NOBODY	65534

/* The live system: every path of these tests is its own path inside it. */
static struct fsroot host = FSROOT_INIT;

static void
skip(const char *name, const char *why)
{
	ok(1, "%s # SKIP %s", name, why);
}

/* The refusal messages are the user interface: show each in the TAP log once. */
static int
has(const char *msg, const char *needle)
{
	static char shown[sizeof(((struct err *)0)->msg)];

	if (strstr(msg, needle) != NULL) {
		if (strcmp(msg, shown) != 0)
			printf("#   %s\n", msg);
		snprintf(shown, sizeof(shown), "%s", msg);
		return 1;
	}
	printf("#   message: %s\n#   lacks:   %s\n", msg, needle);
	return 0;
}

static void
path_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		printf("Bail out! path too long: %s/%s\n", dir, name);
		exit(1);
	}
}

static int
write_file(const char *path, const char *s)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(s, f);
	return fclose(f);
}

/* Returns 1 when path holds exactly want. */
static int
file_is(const char *path, const char *want)
{
	char got[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	if (strcmp(got, want) == 0)
		return 1;
	printf("#   %s holds: '%s'\n", path, got);
	return 0;
}

/* Counts files in dir that look like our temporary files. */
static int
temps_in(const char *dir)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strstr(d->d_name, ".bucardo-aiven.") != NULL) {
			printf("#   left behind: %s/%s\n", dir, d->d_name);
			n++;
		}
	closedir(dp);
	return n;
}

static int
subdir(char *out, const char *base, const char *name)
{
	path_join(out, base, name);
	return mkdir(out, 0755);
}

/* chattr +i / -i through the ioctl; -1 where the file system has no such flag. */
static int
set_immutable(const char *path, int on)
{
	int fd, flags, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		if (on)
			flags |= FS_IMMUTABLE_FL;
		else
			flags &= ~FS_IMMUTABLE_FL;
		rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return rc;
}

/* Open, stage new content and commit; 0 or -1 with e set. */
static int
replace(const char *path, const char *content, struct err *e)
{
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	int rc = -1;

	if (atomic_open(&t, &host, path, path, NULL, e) != 0)
		goto cleanup;
	if (atomic_stage(&s, &t, content, strlen(content), e) == -1)
		goto cleanup;
	rc = atomic_commit(&s, &t, e);
cleanup:
	atomic_abort(&s);
	atomic_release(&t);
	return rc;
}

static void
test_replace(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], prefix[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	struct stat before, tmpst, after;
	int r;

	subdir(dir, base, "replace");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);
	chmod(file, 0640);
	stat(file, &before);

	r = atomic_open(&t, &host, file, file, NULL, &e);
	ok(r == 0, "open a regular file (%s)", e.msg);
	ok(t.content.len == strlen(OLD) &&
	    memcmp(t.content.data, OLD, t.content.len) == 0,
	    "open reads the whole content");
	ok(t.fd >= 0 && t.st.st_ino == before.st_ino, "open keeps the fd and its stat");
	is_str(t.path, file, "path is kept as given");
	is_str(t.asked, file, "the path asked for inside the root is kept");
	is_str(t.real, file, "real: the host path of the file");
	is_str(t.inner, file, "inner: on the live system, the same");
	is_str(t.name, "Bucardo.pm", "name: the file's name in its directory");
	ok(t.dirfd >= 0 && t.root == &host, "the directory is held open, the root borrowed");

	r = atomic_stage(&s, &t, NEW, strlen(NEW), &e);
	ok(r == 0, "stage (%s)", e.msg);
	path_join(prefix, dir, ".Bucardo.pm.bucardo-aiven.");
	ok(s.tmp != NULL && strncmp(s.tmp, ".Bucardo.pm.bucardo-aiven.", 26) == 0 &&
	    strlen(s.tmp) == 26 + 6, "temporary file is named .Bucardo.pm.bucardo-aiven.XXXXXX "
	    "(%s)", s.tmp ? s.tmp : "null");
	ok(s.tmp_host != NULL && strncmp(s.tmp_host, prefix, strlen(prefix)) == 0 &&
	    strcmp(s.tmp_host + strlen(prefix), s.tmp + 26) == 0,
	    "beside the original, as the host sees it (%s)", s.tmp_host ? s.tmp_host : "null");
	ok(s.dirfd == t.dirfd && s.fd >= 0, "staged in the target's directory descriptor");
	ok(s.tmp_host != NULL && stat(s.tmp_host, &tmpst) == 0 &&
	    (tmpst.st_mode & 07777) == 0640, "staged file already has mode 0640");
	ok(s.tmp_host != NULL && file_is(s.tmp_host, NEW), "staged file holds the new content");
	ok(file_is(file, OLD), "original untouched while staged");

	r = atomic_commit(&s, &t, &e);
	ok(r == 0, "commit (%s)", e.msg);
	ok(s.tmp == NULL && s.fd == -1 && s.tmp_host == NULL, "commit leaves nothing staged");
	ok(file_is(file, NEW), "file holds the new content");
	ok(stat(file, &after) == 0 && after.st_ino != before.st_ino,
	    "file is a new inode (replaced by rename, not rewritten)");
	ok((after.st_mode & 07777) == 0640, "mode 0640 preserved (got %04o)",
	    (unsigned)(after.st_mode & 07777));
	ok(after.st_uid == before.st_uid && after.st_gid == before.st_gid,
	    "owner and group unchanged");
	ok(temps_in(dir) == 0, "no temporary file left after commit");

	atomic_abort(&s);
	atomic_release(&t);
	atomic_release(&t);
	ok(t.fd == -1 && t.dirfd == -1 && t.path == NULL && t.real == NULL && t.inner == NULL &&
	    t.asked == NULL && t.name == NULL && t.root == NULL,
	    "release resets the target and can be called twice");
}

static void
test_xattr(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], val[64];
	struct err e = ERR_INIT;
	ssize_t n;

	subdir(dir, base, "xattr");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);
	if (setxattr(file, "user.test", "hello", 5, 0) == -1) {
		skip("user.* xattr preserved", "file system lacks user xattrs");
		return;
	}
	ok(replace(file, NEW, &e) == 0, "replace a file with an xattr (%s)", e.msg);
	n = getxattr(file, "user.test", val, sizeof(val));
	ok(n == 5 && memcmp(val, "hello", 5) == 0, "user.test xattr preserved");
	ok(temps_in(dir) == 0, "no temporary file left");
}

static void
test_owner(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct trust_report tr = TRUST_REPORT_INIT;
	struct target t = TARGET_INIT;
	struct err e = ERR_INIT;
	struct stat st;
	int r;

	if (geteuid() != 0) {
		skip("group and set-gid mode preserved", "needs root to chown");
		skip("a file owned by another uid is refused", "needs root to chown");
		return;
	}
	subdir(dir, base, "owner");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);
	must(chown(file, 0, NOBODY));
	must(chmod(file, 02750));
	ok(replace(file, NEW, &e) == 0, "replace a file of group 65534, mode 2750 (%s)", e.msg);
	ok(stat(file, &st) == 0 && st.st_uid == 0 && st.st_gid == NOBODY,
	    "owner and group 0:65534 preserved");
	ok((st.st_mode & 07777) == 02750, "mode 2750 preserved, set-gid included (%04o)",
	    (unsigned)(st.st_mode & 07777));

	/*
	 * Changed by design: a file owned by another uid used to be patched
	 * (keeping its owner); its owner could change it under root's feet,
	 * so it now fails the trust rule and is not even read.
	 */
	must(chown(file, NOBODY, NOBODY));
	must(chmod(file, 0444));
	memset(&e, 0, sizeof(e));
	r = atomic_open(&t, &host, file, file, &tr, &e);
	ok(r == FSROOT_UNTRUSTED && t.fd == -1 && t.content.len == 0,
	    "a file owned by 65534 is refused by atomic_open: FSROOT_UNTRUSTED, nothing read");
	ok(tr.fault == TRUST_OWNER && tr.uid == NOBODY && tr.path != NULL &&
	    strcmp(tr.path, file) == 0, "the report names the file and uid 65534");
	ok(has(e.msg, file) && has(e.msg, "uid 65534"), "and so does the message");
	ok(file_is(file, NEW) && temps_in(dir) == 0, "the file is untouched");
	trust_report_release(&tr);
	atomic_release(&t);
}

/* Run as 65534 on a root-owned file in a directory 65534 may write. */
static void
test_wrong_owner(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	int status, r;
	pid_t pid;

	if (geteuid() != 0) {
		skip("staging refused when the owner cannot be kept",
		    "needs root to set up a file owned by someone else");
		return;
	}
	chmod(base, 0711);
	subdir(dir, base, "wrongowner");
	must(chown(dir, 65534, 65534));
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(2);
		fsroot_close(&host);
		if (fsroot_open(&host, "/", &e) != 0)
			_exit(3);
		r = atomic_open(&t, &host, file, file, NULL, &e);
		if (r == 0)
			r = atomic_stage(&s, &t, NEW, strlen(NEW), &e);
		r = r == -1 && has(e.msg, "owner 0:0") &&
		    has(e.msg, "run as root") && s.tmp == NULL &&
		    temps_in(dir) == 0;
		atomic_release(&t);
		fflush(stdout);
		_exit(r ? 0 : 1);
	}
	r = pid > 0 && waitpid(pid, &status, 0) == pid;
	ok(r && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "as 65534 in its own directory, staging a root-owned file is refused: the owner "
	    "cannot be kept, nothing left");
	ok(file_is(file, OLD), "original untouched");
}

static void
test_symlink(const char *base)
{
	char dir[PATH_MAX], realdir[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	char got[PATH_MAX], want[PATH_MAX], other[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	struct stat st;
	ssize_t n;
	int r;

	subdir(dir, base, "symlink");
	subdir(realdir, dir, "real");
	path_join(target, realdir, "Bucardo.pm");
	path_join(link, dir, "Bucardo.pm");
	write_file(target, OLD);
	must(symlink("real/Bucardo.pm", link));

	r = atomic_open(&t, &host, link, link, NULL, &e);
	ok(r == 0, "open through a symlink (%s)", e.msg);
	ok(realpath(target, want) != NULL && t.real != NULL &&
	    strcmp(t.real, want) == 0, "real is the link's target");
	r = atomic_stage(&s, &t, NEW, strlen(NEW), &e);
	ok(r == 0 && s.tmp_host != NULL && strncmp(s.tmp_host, want, strlen(want) - 10) == 0,
	    "staged beside the target, not the link (%s)", e.msg);
	r = atomic_commit(&s, &t, &e);
	ok(r == 0, "commit through a symlink (%s)", e.msg);
	atomic_release(&t);

	ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "link is still a symlink");
	n = readlink(link, got, sizeof(got) - 1);
	got[n < 0 ? 0 : n] = '\0';
	is_str(got, "real/Bucardo.pm", "link still points where it did");
	ok(file_is(target, NEW), "link target holds the new content");
	ok(temps_in(dir) == 0 && temps_in(realdir) == 0, "no temporary file left");

	/* The link is pointed elsewhere between open and commit. */
	subdir(got, dir, "other");
	path_join(other, got, "Bucardo.pm");
	write_file(other, OLD);
	memset(&e, 0, sizeof(e));
	atomic_open(&t, &host, link, link, NULL, &e);
	ok(atomic_stage(&s, &t, OLD, strlen(OLD), &e) == 0, "stage (%s)", e.msg);
	unlink(link);
	must(symlink("other/Bucardo.pm", link));
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "now leads to") && has(e.msg, other) &&
	    has(e.msg, "nothing written"), "commit refuses a retargeted link");
	ok(file_is(target, NEW) && file_is(other, OLD) && temps_in(realdir) == 0,
	    "old and new targets untouched, no temporary file left");
	atomic_release(&t);

	/*
	 * Pointed at /dev/null: that is world-writable, so the trust rule
	 * refuses it before the "now leads to" check (it was asserted before).
	 */
	memset(&e, 0, sizeof(e));
	unlink(link);
	must(symlink("real/Bucardo.pm", link));
	atomic_open(&t, &host, link, link, NULL, &e);
	ok(atomic_stage(&s, &t, OLD, strlen(OLD), &e) == 0, "stage (%s)", e.msg);
	unlink(link);
	must(symlink("/dev/null", link));
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "nothing written"), "commit refuses a link retargeted to "
	    "/dev/null");
	ok(file_is(target, NEW) && temps_in(realdir) == 0,
	    "old target untouched, no temporary file left");
	atomic_release(&t);
}

static void
test_abort(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], tmp[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;

	subdir(dir, base, "abort");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);

	atomic_open(&t, &host, file, file, NULL, &e);
	ok(atomic_stage(&s, &t, NEW, strlen(NEW), &e) == 0, "stage (%s)", e.msg);
	snprintf(tmp, sizeof(tmp), "%s", s.tmp_host ? s.tmp_host : "");
	ok(access(tmp, F_OK) == 0, "staged file exists before abort");
	atomic_abort(&s);
	ok(s.tmp == NULL && s.fd == -1 && access(tmp, F_OK) == -1,
	    "abort removes the staged file");
	atomic_abort(&s);
	ok(1, "abort twice is harmless");
	ok(file_is(file, OLD), "original untouched after abort");
	ok(temps_in(dir) == 0, "no temporary file left after abort");
	ok(atomic_commit(&s, &t, &e) == -1, "commit with nothing staged refused");
	atomic_release(&t);
}

/* Something else writes the file between open and commit: commit refuses. */
static void
test_changed(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], other[PATH_MAX];
	const char *theirs = "package Bucardo;\nour $VERSION = '5.6.1';\n1;\n";
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	struct timespec ts[2];
	int r;

	subdir(dir, base, "changed");
	path_join(file, dir, "Bucardo.pm");
	path_join(other, dir, "upgrade.tmp");
	write_file(file, OLD);

	atomic_open(&t, &host, file, file, NULL, &e);
	ok(atomic_stage(&s, &t, NEW, strlen(NEW), &e) == 0, "stage (%s)", e.msg);
	write_file(file, theirs);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += 100;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, file, ts, 0);
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "changed while being patched") &&
	    has(e.msg, "nothing written") && has(e.msg, "run again"),
	    "commit refuses a file rewritten in place");
	ok(file_is(file, theirs), "the other writer's content is kept");
	ok(s.tmp == NULL && temps_in(dir) == 0, "no temporary file left after refusal");
	atomic_release(&t);

	/* Replaced by rename, as dpkg does: a new inode. */
	write_file(file, OLD);
	memset(&e, 0, sizeof(e));
	atomic_open(&t, &host, file, file, NULL, &e);
	ok(atomic_stage(&s, &t, NEW, strlen(NEW), &e) == 0, "stage (%s)", e.msg);
	write_file(other, OLD);
	rename(other, file);
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "changed while being patched"),
	    "commit refuses a file replaced by another inode of the same size");
	ok(file_is(file, OLD) && temps_in(dir) == 0,
	    "replacement kept, no temporary file left");
	atomic_release(&t);

	/* Removed. */
	memset(&e, 0, sizeof(e));
	atomic_open(&t, &host, file, file, NULL, &e);
	ok(atomic_stage(&s, &t, NEW, strlen(NEW), &e) == 0, "stage (%s)", e.msg);
	unlink(file);
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "disappeared"), "commit refuses a removed file");
	ok(access(file, F_OK) == -1 && temps_in(dir) == 0,
	    "nothing recreated, no temporary file left");
	atomic_release(&t);

	/* Turned into a symlink. */
	write_file(other, OLD);
	write_file(file, OLD);
	memset(&e, 0, sizeof(e));
	atomic_open(&t, &host, file, file, NULL, &e);
	ok(atomic_stage(&s, &t, NEW, strlen(NEW), &e) == 0, "stage (%s)", e.msg);
	unlink(file);
	must(symlink("upgrade.tmp", file));
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "nothing written"),
	    "commit refuses a file that became a symlink");
	ok(file_is(other, OLD) && temps_in(dir) == 0,
	    "symlink target untouched, no temporary file left");
	atomic_release(&t);
}

static void
test_nonregular(const char *base)
{
	char dir[PATH_MAX], fifo[PATH_MAX];
	struct target t = TARGET_INIT;
	struct err e = ERR_INIT;

	subdir(dir, base, "nonregular");
	ok(atomic_open(&t, &host, dir, dir, NULL, &e) == -1 && has(e.msg, "a directory") &&
	    has(e.msg, "not a regular file"), "a directory is refused");
	ok(t.fd == -1 && t.dirfd == -1 && t.path == NULL, "target reset after refusal");

	path_join(fifo, dir, "Bucardo.pm");
	if (mkfifo(fifo, 0644) == -1) {
		skip("a fifo is refused", "mkfifo failed");
		return;
	}
	memset(&e, 0, sizeof(e));
	alarm(5);
	ok(atomic_open(&t, &host, fifo, fifo, NULL, &e) == -1 && has(e.msg, "named pipe"),
	    "a fifo is refused (without blocking on it)");
	alarm(0);
	memset(&e, 0, sizeof(e));
	ok(atomic_open(&t, &host, "/dev/null", "/dev/null", NULL, &e) == -1 &&
	    has(e.msg, "character device"), "a character device is refused");
	atomic_release(&t);
}

static void
test_size(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct target t = TARGET_INIT;
	struct err e = ERR_INIT;
	int fd;

	subdir(dir, base, "size");
	path_join(file, dir, "Bucardo.pm");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	must(ftruncate(fd, 9 * 1024 * 1024));
	close(fd);
	ok(atomic_open(&t, &host, file, file, NULL, &e) == -1 && has(e.msg, "limit 8 MiB") &&
	    has(e.msg, "is this the right file?"), "a 9 MiB file is refused");

	fd = open(file, O_WRONLY | O_TRUNC);
	must(ftruncate(fd, ATOMIC_SIZE_LIMIT));
	close(fd);
	memset(&e, 0, sizeof(e));
	ok(atomic_open(&t, &host, file, file, NULL, &e) == 0 && t.content.len == ATOMIC_SIZE_LIMIT,
	    "a file of exactly the limit is read (%s)", e.msg);
	atomic_release(&t);
}

static void
test_missing(const char *base)
{
	char file[PATH_MAX];
	struct target t = TARGET_INIT;
	struct err e = ERR_INIT;

	path_join(file, base, "nowhere/Bucardo.pm");
	ok(atomic_open(&t, &host, file, file, NULL, &e) == -1 && has(e.msg, "no such file") &&
	    has(e.msg, file), "a missing file is refused, naming it");
	ok(t.path == NULL && t.fd == -1, "target reset after refusal");
	atomic_release(&t);
}

static void
test_immutable(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	int r;

	subdir(dir, base, "immutable");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);
	if (set_immutable(file, 1) == -1) {
		skip("immutable file refused", "cannot chattr +i here");
		skip("immutable directory refused", "cannot chattr +i here");
		return;
	}
	atomic_open(&t, &host, file, file, NULL, &e);
	ok(atomic_stage(&s, &t, NEW, strlen(NEW), &e) == 0, "stage (%s)", e.msg);
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "immutable (chattr +i)") &&
	    has(e.msg, "chattr -i"), "commit over an immutable file is refused");
	ok(file_is(file, OLD) && temps_in(dir) == 0,
	    "immutable file untouched, no temporary file left");
	atomic_release(&t);
	set_immutable(file, 0);

	memset(&e, 0, sizeof(e));
	atomic_open(&t, &host, file, file, NULL, &e);
	if (set_immutable(dir, 1) == -1) {
		skip("immutable directory refused", "cannot chattr +i a directory");
		atomic_release(&t);
		return;
	}
	r = atomic_stage(&s, &t, NEW, strlen(NEW), &e);
	ok(r == -1 && has(e.msg, "is immutable") &&
	    has(e.msg, "chattr -i"), "stage in an immutable directory is refused");
	set_immutable(dir, 0);
	ok(s.tmp == NULL && file_is(file, OLD) && temps_in(dir) == 0,
	    "original untouched, no temporary file left");
	atomic_release(&t);
}

static void
test_readonly(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	int r;

	subdir(dir, base, "readonly");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);

	if (geteuid() != 0) {
		chmod(dir, 0555);
		atomic_open(&t, &host, file, file, NULL, &e);
		r = atomic_stage(&s, &t, NEW, strlen(NEW), &e);
		ok(r == -1 && has(e.msg, "Permission denied") &&
		    has(e.msg, "run as root"),
		    "stage in a read-only directory is refused");
		chmod(dir, 0755);
		ok(file_is(file, OLD) && temps_in(dir) == 0,
		    "original untouched, no temporary file left");
		atomic_release(&t);
		skip("read-only mount refused", "needs root to bind-mount");
		return;
	}
	skip("read-only directory refused",
	    "root bypasses directory permissions (see the immutable test)");

	if (mount(dir, dir, "none", MS_BIND, NULL) == -1) {
		printf("# mount --bind: %s\n", strerror(errno));
		skip("read-only mount refused", "cannot bind-mount here");
		return;
	}
	if (mount("none", dir, "none", MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == -1) {
		printf("# mount -o remount,bind,ro: %s\n", strerror(errno));
		umount2(dir, MNT_DETACH);
		skip("read-only mount refused", "cannot remount read-only here");
		return;
	}
	atomic_open(&t, &host, file, file, NULL, &e);
	r = atomic_stage(&s, &t, NEW, strlen(NEW), &e);
	ok(r == -1 && has(e.msg, "Read-only file system") &&
	    has(e.msg, "remount"), "stage on a read-only mount is refused");
	atomic_release(&t);
	umount2(dir, MNT_DETACH);
	ok(file_is(file, OLD) && temps_in(dir) == 0,
	    "original untouched, no temporary file left");
}

/* A full disk: a 64 KiB tmpfs holding a 40 KiB file has no room for a copy. */
static void
test_full(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], *big;
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	size_t len = 40 * 1024;
	FILE *f;
	int r;

	subdir(dir, base, "full");
	if (geteuid() != 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0755") == -1) {
		skip("stage on a full file system refused",
		    "needs root and a tmpfs mount");
		return;
	}
	path_join(file, dir, "Bucardo.pm");
	big = malloc(len + 1);
	memset(big, '#', len);
	big[len] = '\0';
	if ((f = fopen(file, "w")) != NULL) {
		fwrite(big, 1, len, f);
		fclose(f);
	}
	atomic_open(&t, &host, file, file, NULL, &e);
	big[0] = 'x';
	r = atomic_stage(&s, &t, big, len, &e);
	ok(r == -1 && has(e.msg, "No space left on device") &&
	    has(e.msg, "free some space"), "stage on a full file system refused");
	ok(s.tmp == NULL && temps_in(dir) == 0 && t.content.len == len,
	    "no temporary file left on the full file system");
	atomic_release(&t);
	free(big);
	umount2(dir, MNT_DETACH);
}

/* A second name would keep the old content: refused. */
static void
test_hardlink(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], other[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	int r;

	subdir(dir, base, "hardlink");
	path_join(file, dir, "Bucardo.pm");
	path_join(other, dir, "Other.pm");
	write_file(file, OLD);
	must(link(file, other));
	ok(atomic_open(&t, &host, file, file, NULL, &e) == 0, "open a file with two names (%s)",
	    e.msg);
	r = atomic_stage(&s, &t, NEW, strlen(NEW), &e);
	ok(r == -1 && has(e.msg, "2 hard links") && has(e.msg, "-samefile"),
	    "staging a file with two hard links is refused, saying how to find the other");
	ok(s.tmp == NULL && temps_in(dir) == 0 && file_is(file, OLD) && file_is(other, OLD),
	    "both names untouched, nothing left");
	atomic_release(&t);
}

/* Under --root: links resolved inside the root, names kept inside and outside it. */
static void
test_root(const char *base)
{
	char img[PATH_MAX], dir[PATH_MAX], file[PATH_MAX], link[PATH_MAX], want[PATH_MAX * 2];
	struct fsroot r = FSROOT_INIT;
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	int rc;

	subdir(img, base, "image");
	subdir(dir, img, "opt");
	subdir(dir, img, "opt/real");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);
	subdir(link, img, "usr");
	subdir(link, img, "usr/share");
	subdir(link, img, "usr/share/perl5");
	path_join(link, img, "usr/share/perl5/Bucardo.pm");
	must(symlink("/opt/real/Bucardo.pm", link));
	must(fsroot_open(&r, img, &e));

	rc = atomic_open(&t, &r, link, "/usr/share/perl5/Bucardo.pm", NULL, &e);
	ok(rc == 0, "under --root: open through an absolute link inside the root (%s)", e.msg);
	is_str(t.inner, "/opt/real/Bucardo.pm", "under --root: inner is the target inside the root");
	snprintf(want, sizeof(want), "%s/opt/real/Bucardo.pm", img);
	is_str(t.real, want, "under --root: real is the target as the host sees it");
	is_str(t.asked, "/usr/share/perl5/Bucardo.pm", "under --root: asked is kept");
	ok(atomic_stage(&s, &t, NEW, strlen(NEW), &e) == 0 &&
	    atomic_commit(&s, &t, &e) == 0, "under --root: stage and commit (%s)", e.msg);
	ok(file_is(file, NEW), "under --root: the target inside the root holds the new content");
	atomic_release(&t);

	/* The same link made to escape: it leads inside the root, where nothing is. */
	unlink(link);
	must(symlink("../../../../../../../../../etc/passwd", link));
	memset(&e, 0, sizeof(e));
	rc = atomic_open(&t, &r, link, "/usr/share/perl5/Bucardo.pm", NULL, &e);
	ok(rc == -1 && has(e.msg, "no such file"),
	    "under --root: a link climbing out of the root does not reach the host's /etc/passwd");
	atomic_release(&t);
	fsroot_close(&r);
}

/* The trust rule as atomic_open applies it; root only. */
static void
test_untrusted(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], gdir[PATH_MAX], gfile[PATH_MAX];
	struct trust_report tr = TRUST_REPORT_INIT;
	struct target t = TARGET_INIT;
	struct err e = ERR_INIT;
	int r;

	if (geteuid() != 0) {
		skip("a file in a directory of 65534 is refused", "needs root to chown");
		return;
	}
	subdir(dir, base, "untrusted");
	path_join(file, dir, "Bucardo.pm");
	write_file(file, OLD);
	must(chown(dir, NOBODY, NOBODY));
	r = atomic_open(&t, &host, file, file, &tr, &e);
	ok(r == FSROOT_UNTRUSTED && t.fd == -1 && t.content.len == 0 && tr.path != NULL &&
	    strcmp(tr.path, dir) == 0 && tr.uid == NOBODY,
	    "a root-owned file in a directory of 65534: FSROOT_UNTRUSTED, naming the directory");
	trust_report_release(&tr);
	atomic_release(&t);

	subdir(gdir, base, "groupw");
	path_join(gfile, gdir, "Bucardo.pm");
	write_file(gfile, OLD);
	must(chown(gfile, 0, NOBODY));
	must(chmod(gfile, 0664));
	memset(&e, 0, sizeof(e));
	r = atomic_open(&t, &host, gfile, gfile, &tr, &e);
	ok(r == FSROOT_UNTRUSTED && tr.fault == TRUST_GROUP_WRITABLE && tr.gid == NOBODY,
	    "a file group 65534 may write: FSROOT_UNTRUSTED");
	trust_report_release(&tr);
	atomic_release(&t);
}

static int
make_file(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
test_write_at(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct err e = ERR_INIT;
	struct stat st;
	int dfd, r;

	subdir(dir, base, "write_at");
	path_join(file, dir, "list");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	umask(077);
	r = atomic_write_at(dfd, dir, "list", "one\n", 4, 0644, 0, &e);
	umask(022);
	ok(r == 0 && file_is(file, "one\n"), "atomic_write_at makes a new file (%s)", e.msg);
	ok(stat(file, &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_uid == geteuid(),
	    "with the mode asked for, whatever the umask (%04o), owned by the caller",
	    (unsigned)(st.st_mode & 07777));
	r = atomic_write_at(dfd, dir, "list", "two\n", 4, 0600, 0, &e);
	ok(r == 0 && file_is(file, "two\n") && stat(file, &st) == 0 &&
	    (st.st_mode & 07777) == 0600, "and replaces it whole");
	errno = 0;
	memset(&e, 0, sizeof(e));
	r = atomic_write_at(dfd, dir, "list", "three\n", 6, 0600, ATOMIC_NOREPLACE, &e);
	ok(r == -1 && errno == EEXIST && has(e.msg, "exists already"),
	    "ATOMIC_NOREPLACE over an existing file: EEXIST");
	ok(file_is(file, "two\n") && temps_in(dir) == 0, "which is left as it was, nothing left");
	r = atomic_write_at(dfd, dir, "new", "fresh\n", 6, 0600, ATOMIC_NOREPLACE, &e);
	path_join(file, dir, "new");
	ok(r == 0 && file_is(file, "fresh\n") && temps_in(dir) == 0,
	    "ATOMIC_NOREPLACE makes a new file, nothing left beside it");

	must(make_file(dfd, ".list.bucardo-aiven.Stale1", "stale"));
	r = atomic_write_at(dfd, dir, "list", "four\n", 5, 0600, 0, &e);
	ok(r == 0 && !exists_at(dfd, ".list.bucardo-aiven.Stale1"),
	    "a stale temporary file of a killed run is removed first");
	path_join(file, dir, "dangling");
	must(symlink("nowhere", file));
	errno = 0;
	r = atomic_write_at(dfd, dir, "dangling", "x\n", 2, 0600, ATOMIC_NOREPLACE, &e);
	ok(r == -1 && errno == EEXIST && temps_in(dir) == 0 && access(file, F_OK) == -1,
	    "ATOMIC_NOREPLACE over a dangling symlink: EEXIST, nothing made through it");
	close(dfd);
}

static void
test_sweep(const char *base)
{
	char dir[PATH_MAX], target[PATH_MAX];
	int dfd, held;

	subdir(dir, base, "sweep");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	must(make_file(dfd, ".Bucardo.pm.bucardo-aiven.AbC123", "stale"));
	must(make_file(dfd, ".Bucardo.pm.bucardo-aiven.Live42", "live"));
	must(make_file(dfd, ".Bucardo.pm.bucardo-aiven.short", "x"));
	must(make_file(dfd, "Bucardo.pm.bucardo-aiven.NoDot1", "x"));
	must(make_file(dfd, ".Other.pm.bucardo-aiven.AbC123", "x"));
	must(make_file(dfd, ".Bucardo.pm.1f2e.gz.bucardo-aiven.GzTmp1", "x"));
	must(make_file(dfd, ".Other.pm.1f2e.gz.bucardo-aiven.GzTmp1", "x"));
	must(mkfifoat(dfd, ".Bucardo.pm.bucardo-aiven.Fifo01", 0600));
	must(mkdirat(dfd, ".Bucardo.pm.bucardo-aiven.Dir001", 0700));
	path_join(target, dir, "precious");
	write_file(target, "keep me\n");
	must(symlinkat("precious", dfd, ".Bucardo.pm.bucardo-aiven.Link01"));
	held = openat(dfd, ".Bucardo.pm.bucardo-aiven.Live42", O_RDONLY | O_CLOEXEC);
	must(flock(held, LOCK_EX | LOCK_NB));

	alarm(5);
	atomic_sweep(dfd, "Bucardo.pm", 0);
	alarm(0);
	ok(!exists_at(dfd, ".Bucardo.pm.bucardo-aiven.AbC123"),
	    "atomic_sweep removes a stale temporary file");
	ok(exists_at(dfd, ".Bucardo.pm.bucardo-aiven.Live42"),
	    "but not one a live run holds locked");
	ok(exists_at(dfd, ".Bucardo.pm.bucardo-aiven.Fifo01") &&
	    exists_at(dfd, ".Bucardo.pm.bucardo-aiven.Dir001"),
	    "a fifo or a directory of that name is left alone (and not opened: no hang)");
	ok(exists_at(dfd, ".Bucardo.pm.bucardo-aiven.Link01") && file_is(target, "keep me\n"),
	    "a symlink of that name is left alone, and its target");
	ok(exists_at(dfd, ".Bucardo.pm.bucardo-aiven.short") &&
	    exists_at(dfd, "Bucardo.pm.bucardo-aiven.NoDot1") &&
	    exists_at(dfd, ".Other.pm.bucardo-aiven.AbC123") &&
	    exists_at(dfd, ".Bucardo.pm.1f2e.gz.bucardo-aiven.GzTmp1"),
	    "names not exactly ours for that file are left alone");
	atomic_sweep(dfd, "Bucardo.pm.", 1);
	ok(!exists_at(dfd, ".Bucardo.pm.1f2e.gz.bucardo-aiven.GzTmp1") &&
	    exists_at(dfd, ".Other.pm.1f2e.gz.bucardo-aiven.GzTmp1"),
	    "with prefix: every temporary file whose name starts with .NAME, and no other");
	close(held);
	atomic_sweep(dfd, "Bucardo.pm", 0);
	ok(!exists_at(dfd, ".Bucardo.pm.bucardo-aiven.Live42"), "once unlocked it is stale");
	close(dfd);
}

/* atomic_stage sweeps beside the file before it makes its own. */
static void
test_stage_sweeps(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], stale[PATH_MAX];
	struct err e = ERR_INIT;

	subdir(dir, base, "stagesweep");
	path_join(file, dir, "Bucardo.pm");
	path_join(stale, dir, ".Bucardo.pm.bucardo-aiven.Killed");
	write_file(file, OLD);
	write_file(stale, "left by a killed run");
	ok(replace(file, NEW, &e) == 0 && access(stale, F_OK) == -1 && temps_in(dir) == 0,
	    "a killed run's temporary file is removed by the next stage (%s)", e.msg);
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

int
main(void)
{
	char base[] = "/tmp/test-atomic.XXXXXX";
	struct err e = ERR_INIT;

	/* /tmp, not $TMPDIR: files are written only in a chain nobody else controls. */
	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	umask(022);

	test_replace(base);
	test_xattr(base);
	test_owner(base);
	test_wrong_owner(base);
	test_symlink(base);
	test_abort(base);
	test_changed(base);
	test_nonregular(base);
	test_size(base);
	test_missing(base);
	test_immutable(base);
	test_readonly(base);
	test_full(base);
	test_hardlink(base);
	test_root(base);
	test_untrusted(base);
	test_write_at(base);
	test_sweep(base);
	test_stage_sweeps(base);

	fsroot_close(&host);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
