/* test-never-open.c: a fifo planted where the tool reads a file is refused from its type, and never opened. */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "errmsg.h"
#include "store.h"
#include "tap.h"

#define BUCARDO	"/usr/share/perl5/Bucardo.pm"
#define OLD	"package Bucardo;\nour $VERSION = '5.6.0';\n1;\n"

/*
 * Opening a fifo, even with O_NONBLOCK, is an act: it wakes a writer
 * blocked in open(2) (whoever planted it learns that root came by, and the
 * tool then reads what they write). A device's open can act too. So each
 * is refused from its lstat, before any open, and what the tests watch is
 * the open itself: inotify reports IN_OPEN on the fifo's inode for any
 * open, blocking or not, by anybody.
 */
static int ino_fd = -1;

static int
watch(const char *path)
{
	return inotify_add_watch(ino_fd, path, IN_OPEN);
}

/* Was anything watched opened since the last call? Drains the queue. */
static int
opened(void)
{
	char evbuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd p = { ino_fd, POLLIN, 0 };
	int seen = 0;
	ssize_t n;

	while (poll(&p, 1, 0) == 1 && (n = read(ino_fd, evbuf, sizeof(evbuf))) > 0) {
		const char *at = evbuf;

		while (at < evbuf + n) {
			const struct inotify_event *ev = (const struct inotify_event *)(const void *)at;

			if (ev->mask & IN_OPEN)
				seen = 1;
			at += sizeof(*ev) + ev->len;
		}
	}
	return seen;
}

static struct fsroot host = FSROOT_INIT;

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
has(const char *msg, const char *needle)
{
	if (strstr(msg, needle) != NULL) {
		printf("#   %s\n", msg);
		return 1;
	}
	printf("#   message: %s\n#   lacks:   %s\n", msg, needle);
	return 0;
}

/* mkdir -p, mode 0700 for each directory made. */
static void
mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0700) == -1 && errno != EEXIST) {
				printf("Bail out! mkdir %s: %s\n", buf, strerror(errno));
				exit(1);
			}
			*p = '/';
		}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST) {
		printf("Bail out! mkdir %s: %s\n", buf, strerror(errno));
		exit(1);
	}
}

/* The watch itself: an open with O_NONBLOCK, which wakes no writer, is seen. */
static int
test_control(const char *base)
{
	char fifo[PATH_MAX];
	int fd, seen;

	path_join(fifo, base, "control");
	must(mkfifo(fifo, 0600));
	must(watch(fifo) == -1);
	opened();
	if ((fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) != -1)
		close(fd);
	seen = opened();
	ok(seen, "control: inotify reports an O_NONBLOCK open of a fifo");
	return seen ? 0 : -1;
}

/* A fifo named as the module itself. */
static void
test_module(const char *base)
{
	char dir[PATH_MAX], fifo[PATH_MAX];
	struct target t = TARGET_INIT;
	struct err e = ERR_INIT;
	int r;

	path_join(dir, base, "module");
	mkdirs(dir);
	path_join(fifo, dir, "Bucardo.pm");
	must(mkfifo(fifo, 0644));
	must(watch(fifo) == -1);
	opened();
	r = atomic_open(&t, &host, fifo, fifo, NULL, &e);
	ok(r == -1 && has(e.msg, "a named pipe, not a regular file"),
	    "atomic_open refuses a fifo named as the module");
	ok(!opened(), "and never opens it");
	atomic_release(&t);
}

/* A fifo named like a temporary file a killed run left beside the module. */
static void
test_sweep(const char *base)
{
	char dir[PATH_MAX], fifo[PATH_MAX];
	int dfd;

	path_join(dir, base, "sweep");
	mkdirs(dir);
	path_join(fifo, dir, ".Bucardo.pm.bucardo-aiven.Fifo01");
	must(mkfifo(fifo, 0600));
	must(watch(fifo) == -1);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		printf("Bail out! open %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	opened();
	atomic_sweep(dfd, "Bucardo.pm", 0);
	ok(access(fifo, F_OK) == 0, "atomic_sweep leaves a fifo named like a stale temporary file");
	ok(!opened(), "and never opens it");
	path_join(fifo, dir, ".Bucardo.pm.1f2e.gz.bucardo-aiven.Fifo02");
	must(mkfifo(fifo, 0600));
	must(watch(fifo) == -1);
	opened();
	atomic_sweep(dfd, "Bucardo.pm.", 1);
	ok(access(fifo, F_OK) == 0 && !opened(),
	    "nor one named like a temporary gzip copy (the sweep with a prefix)");
	close(dfd);
}

/* A fifo as the state directory's lock, and as a kept original. */
static void
test_store(const char *base)
{
	char state[PATH_MAX], lock[PATH_MAX], dir[PATH_MAX], gz[PATH_MAX], id[41];
	char name[PATH_MAX];
	struct store *s = NULL;
	struct buf got = BUF_INIT;
	struct err e = ERR_INIT;
	int r;

	path_join(state, base, "lockstate");
	mkdirs(state);
	path_join(lock, state, "lock");
	must(mkfifo(lock, 0600));
	must(watch(lock) == -1);
	opened();
	r = store_open(&s, &host, state, STORE_WRITE, 0, &e);
	ok(r == -1 && has(e.msg, "not a plain file of ours"), "store_open refuses a fifo as its lock");
	ok(!opened(), "and never opens it");
	store_close(s);
	s = NULL;

	path_join(state, base, "state");
	if (store_open(&s, &host, state, STORE_WRITE, 0, &e) == -1) {
		ok(0, "open a store: %s", e.msg);
		return;
	}
	if (store_blob_id(s, OLD, strlen(OLD), id, &e) == -1) {
		ok(0, "hash the original: %s", e.msg);
		store_close(s);
		return;
	}
	path_join(dir, state, "originals/usr/share/perl5");
	mkdirs(dir);
	snprintf(name, sizeof(name), "Bucardo.pm.%s.gz", id);
	path_join(gz, dir, name);
	must(mkfifo(gz, 0600));
	must(watch(gz) == -1);
	opened();
	r = store_keep_original(s, BUCARDO, OLD, strlen(OLD), id, &e);
	ok(r == -1 && has(e.msg, "not a regular file"),
	    "store_keep_original refuses a fifo where the gzip copy of that original goes");
	ok(!opened(), "and never opens it");
	r = store_read_kept(s, BUCARDO, id, &got, &e);
	ok(r == -1 && got.len == 0 && has(e.msg, "not a regular file"),
	    "store_read_kept refuses it too");
	ok(!opened(), "without opening it");
	buf_release(&got);
	store_close(s);
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	char base[] = "/tmp/test-never-open.XXXXXX";
	struct err e = ERR_INIT;

	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	if ((ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		printf("1..0 # SKIP inotify: %s\n", strerror(errno));
		return 0;
	}
	/* Real git in the store must not read the caller's configuration. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	umask(022);

	if (test_control(base) == 0) {
		test_module(base);
		test_sweep(base);
		test_store(base);
	}

	close(ino_fd);
	fsroot_close(&host);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
