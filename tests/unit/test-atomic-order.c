/* test-atomic-order.c: what reaches the disk before and after each rename, and a staged file swapped before commit. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "tap.h"

#define OLD	"package Bucardo;\nour $VERSION = '5.6.0';\n1;\n"
#define NEW	"package Bucardo;\nour $VERSION = '5.6.0'; # patched\n1;\n"
#define EVIL	"package Bucardo;\nour $VERSION = '5.6.0'; # planted\n1;\n"

/*
 * This program defines fsync, fdatasync, renameat, renameat2 and linkat, so
 * the calls atomic.c and fsroot.c make resolve to these: each one is
 * recorded, with the inode it acts on, then made as a raw system call. The
 * order of the record is the order in which data and names were made
 * durable.
 */
enum ev_kind { EV_FSYNC, EV_RENAME, EV_LINK };

struct ev {
	enum ev_kind	kind;
	dev_t		dev;
	ino_t		ino;		/* fsync: the file; rename, link: the file named */
	char		name[NAME_MAX + 1];	/* rename, link: the new name */
};

static struct ev evs[256];
static size_t nev;

static void
record(enum ev_kind kind, const struct stat *st, const char *name)
{
	if (nev == sizeof(evs) / sizeof(evs[0]))
		return;
	evs[nev].kind = kind;
	evs[nev].dev = st != NULL ? st->st_dev : 0;
	evs[nev].ino = st != NULL ? st->st_ino : 0;
	snprintf(evs[nev].name, sizeof(evs[nev].name), "%s", name != NULL ? name : "");
	nev++;
}

int
fsync(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0)
		record(EV_FSYNC, &st, NULL);
	return (int)syscall(SYS_fsync, fd);
}

int
fdatasync(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0)
		record(EV_FSYNC, &st, NULL);
	return (int)syscall(SYS_fdatasync, fd);
}

int
renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	struct stat st;

	if (fstatat(olddirfd, oldpath, &st, AT_SYMLINK_NOFOLLOW) == 0)
		record(EV_RENAME, &st, newpath);
#ifdef SYS_renameat
	return (int)syscall(SYS_renameat, olddirfd, oldpath, newdirfd, newpath);
#else
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, 0);
#endif
}

int
renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
{
	struct stat st;

	if (fstatat(olddirfd, oldpath, &st, AT_SYMLINK_NOFOLLOW) == 0)
		record(EV_RENAME, &st, newpath);
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

int
linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	struct stat st;

	if (fstatat(olddirfd, oldpath, &st, AT_SYMLINK_NOFOLLOW) == 0)
		record(EV_LINK, &st, newpath);
	return (int)syscall(SYS_linkat, olddirfd, oldpath, newdirfd, newpath, flags);
}

/* The first event of kind naming name (rename, link), or -1. */
static long
find_named(enum ev_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < nev; i++)
		if (evs[i].kind == kind && strcmp(evs[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Is there an fsync of (dev, ino) among events [from, to)? */
static int
fsynced(const struct stat *st, long from, long to)
{
	long i;

	for (i = from; i < to && i < (long)nev; i++)
		if (evs[i].kind == EV_FSYNC && evs[i].dev == st->st_dev && evs[i].ino == st->st_ino)
			return 1;
	return 0;
}

static void
show_events(void)
{
	static const char *const words[] = { "fsync", "rename to", "link as" };
	size_t i;

	for (i = 0; i < nev; i++)
		printf("#   %zu: %s inode %lu %s\n", i, words[evs[i].kind],
		    (unsigned long)evs[i].ino, evs[i].name);
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
write_file(const char *path, const char *s)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(s, f);
	return fclose(f);
}

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

/* A directory dir/name holding Bucardo.pm with OLD; file gets its path. */
static void
setup(char *dir, char *file, const char *base, const char *name)
{
	path_join(dir, base, name);
	must(mkdir(dir, 0755));
	path_join(file, dir, "Bucardo.pm");
	must(write_file(file, OLD));
}

/*
 * stage and commit: the new file's content reaches the disk before the
 * rename makes it the module, and the rename itself (the directory) after.
 */
static void
test_commit_order(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	struct stat staged, dirst;
	long ren;

	setup(dir, file, base, "order");
	must(atomic_open(&t, &host, file, file, NULL, &e));
	nev = 0;
	must(atomic_stage(&s, &t, NEW, strlen(NEW), &e));
	must(fstat(s.fd, &staged));
	ok(atomic_commit(&s, &t, &e) == 0 && file_is(file, NEW), "stage and commit (%s)", e.msg);
	must(stat(dir, &dirst));
	ren = find_named(EV_RENAME, "Bucardo.pm");
	ok(ren >= 0 && evs[ren].ino == staged.st_ino, "the staged file is renamed to Bucardo.pm");
	ok(ren >= 0 && fsynced(&staged, 0, ren),
	    "the staged file is fsynced before the rename");
	ok(ren >= 0 && fsynced(&dirst, ren + 1, (long)nev),
	    "the directory is fsynced after the rename");
	if (ren < 0 || !fsynced(&staged, 0, ren) || !fsynced(&dirst, ren + 1, (long)nev))
		show_events();
	atomic_abort(&s);
	atomic_release(&t);
}

/* atomic_write_at (the gzip copies, the watch list), replacing and not. */
static void
test_write_at_order(const char *base)
{
	static const struct { unsigned flags; enum ev_kind kind; const char *what; } ways[] = {
		{ 0, EV_RENAME, "rename" },
		{ ATOMIC_NOREPLACE, EV_LINK, "link (ATOMIC_NOREPLACE)" },
	};
	char dir[PATH_MAX], file[PATH_MAX];
	struct err e = ERR_INIT;
	struct stat made, dirst;
	size_t i;
	long at;
	int dfd;

	for (i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		setup(dir, file, base, i == 0 ? "writeat" : "writeat-noreplace");
		must(unlink(file));
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			printf("Bail out! open %s: %s\n", dir, strerror(errno));
			exit(1);
		}
		nev = 0;
		ok(atomic_write_at(dfd, dir, "Bucardo.pm", NEW, strlen(NEW), 0600, ways[i].flags,
		    &e) == 0 && file_is(file, NEW), "atomic_write_at by %s (%s)", ways[i].what, e.msg);
		must(stat(file, &made));
		must(stat(dir, &dirst));
		at = find_named(ways[i].kind, "Bucardo.pm");
		ok(at >= 0 && evs[at].ino == made.st_ino, "%s: the file is put in place by a %s",
		    ways[i].what, ways[i].what);
		ok(at >= 0 && fsynced(&made, 0, at), "%s: the file is fsynced before", ways[i].what);
		ok(at >= 0 && fsynced(&dirst, at + 1, (long)nev),
		    "%s: the directory is fsynced after", ways[i].what);
		if (at < 0 || !fsynced(&made, 0, at) || !fsynced(&dirst, at + 1, (long)nev))
			show_events();
		close(dfd);
	}
}

/*
 * Between stage and commit (where perl -c checks the staged file, and where
 * a crash point can pause a real run) the temporary file is replaced by
 * another with the same name, or removed. Commit must not rename whatever
 * now has that name: the module keeps its content.
 */
static void
test_swapped(const char *base)
{
	char dir[PATH_MAX], file[PATH_MAX], evil[PATH_MAX], tmp[PATH_MAX];
	struct target t = TARGET_INIT;
	struct staged s = STAGED_INIT;
	struct err e = ERR_INIT;
	int r;

	setup(dir, file, base, "swapped");
	path_join(evil, dir, "evil");
	must(atomic_open(&t, &host, file, file, NULL, &e));
	must(atomic_stage(&s, &t, NEW, strlen(NEW), &e));
	path_join(tmp, dir, s.tmp);
	must(write_file(evil, EVIL));
	must(rename(evil, tmp));
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "removed or replaced") && has(e.msg, "nothing written"),
	    "commit refuses a staged file replaced by another under its name");
	ok(file_is(file, OLD), "the module keeps its content (neither the staged nor the planted one)");
	unlink(tmp);
	atomic_abort(&s);
	atomic_release(&t);

	/* The same name, the same content, another inode: still not the file checked. */
	must(atomic_open(&t, &host, file, file, NULL, &e));
	must(atomic_stage(&s, &t, NEW, strlen(NEW), &e));
	path_join(tmp, dir, s.tmp);
	must(write_file(evil, NEW));
	must(rename(evil, tmp));
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "removed or replaced") && file_is(file, OLD),
	    "commit refuses a copy with the same bytes: what perl -c checked is the inode staged");
	unlink(tmp);
	atomic_abort(&s);
	atomic_release(&t);

	must(atomic_open(&t, &host, file, file, NULL, &e));
	must(atomic_stage(&s, &t, NEW, strlen(NEW), &e));
	path_join(tmp, dir, s.tmp);
	must(unlink(tmp));
	r = atomic_commit(&s, &t, &e);
	ok(r == -1 && has(e.msg, "removed or replaced") && file_is(file, OLD),
	    "commit refuses a staged file removed before it");
	atomic_abort(&s);
	atomic_release(&t);
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
	char base[] = "/tmp/test-atomic-order.XXXXXX";
	struct err e = ERR_INIT;

	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	umask(022);

	test_commit_order(base);
	test_write_at_order(base);
	test_swapped(base);

	fsroot_close(&host);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
