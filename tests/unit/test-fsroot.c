/* test-fsroot.c: paths resolved inside a root, one judged component at a time, on real files. */
#include <sys/acl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsroot.h"
#include "tap.h"

#define NOBODY	65534

static char base[PATH_MAX];	/* the temporary directory, canonical */
static char R[PATH_MAX + 8];	/* base/root: the --root most cases use */
static int is_root;

static void
skip(const char *name, const char *why)
{
	ok(1, "%s # SKIP %s", name, why);
}

/* base/rel (or R/rel with *rel == '@'), in one of a few rotating buffers. */
static const char *
B(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
B(const char *fmt, ...)
{
	static char bufs[16][3 * PATH_MAX];
	static int next;
	char rel[PATH_MAX], *out = bufs[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (rel[0] == '@')
		snprintf(out, 3 * PATH_MAX, "%s%s", R, rel + 1);
	else
		snprintf(out, 3 * PATH_MAX, "%s%s", base, rel);
	return out;
}

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	if ((f = fopen(path, "w")) == NULL) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	must(chmod(path, mode));
}

static void
dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		printf("Bail out! mkdir %s: %s\n", path, strerror(errno));
		exit(1);
	}
	must(chmod(path, mode));
}

static void
sym(const char *target, const char *path)
{
	unlink(path);
	must(symlink(target, path));
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}


static int
has(const char *msg, const char *needle)
{
	if (msg != NULL && strstr(msg, needle) != NULL)
		return 1;
	printf("#   message: %s\n#   lacks:   %s\n", msg ? msg : "(null)", needle);
	return 0;
}

/* What one fsroot_locate gave, copied out, everything released. */
struct res {
	int		 rc;
	int		 err;
	int		 fd;		/* loc.fd was open */
	int		 dirfd;		/* loc.dirfd was open */
	mode_t		 type;		/* S_IFMT of loc.st; 0 when absent */
	mode_t		 mode;		/* permission bits of loc.st */
	char		 inner[PATH_MAX];
	char		 host[PATH_MAX];
	char		 name[NAME_MAX + 1];
	char		 content[64];	/* the first bytes of loc.fd, for a regular file */
	enum trust_fault fault;
	char		 tr_path[PATH_MAX];
	uid_t		 tr_uid;
	gid_t		 tr_gid;
	char		 msg[1024];
};

static void
locate(struct res *o, struct fsroot *r, const char *inner, unsigned flags)
{
	struct fsloc loc;
	struct trust_report tr = TRUST_REPORT_INIT;
	struct err e = ERR_INIT;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	errno = 0;
	o->rc = fsroot_locate(r, inner, flags, &loc, &tr, &e);
	o->err = o->rc == -1 ? errno : 0;
	o->fd = loc.fd != -1;
	o->dirfd = loc.dirfd != -1;
	o->type = loc.st.st_mode & S_IFMT;
	o->mode = loc.st.st_mode & 07777;
	snprintf(o->inner, sizeof(o->inner), "%s", loc.inner ? loc.inner : "");
	snprintf(o->host, sizeof(o->host), "%s", loc.host ? loc.host : "");
	snprintf(o->name, sizeof(o->name), "%s", loc.name ? loc.name : "");
	if (loc.fd != -1 && S_ISREG(loc.st.st_mode) &&
	    (n = pread(loc.fd, o->content, sizeof(o->content) - 1, 0)) > 0)
		o->content[n] = '\0';
	o->fault = tr.fault;
	snprintf(o->tr_path, sizeof(o->tr_path), "%s", tr.path ? tr.path : "");
	o->tr_uid = tr.uid;
	o->tr_gid = tr.gid;
	snprintf(o->msg, sizeof(o->msg), "%s", e.msg);
	fsloc_release(&loc);
	trust_report_release(&tr);
}

static void
show(const char *what, const struct res *o)
{
	printf("#   %s: rc %d errno %d (%s) inner '%s' type %o fault %d at '%s': %s\n", what,
	    o->rc, o->err, o->err ? strerror(o->err) : "-", o->inner, (unsigned)o->type,
	    (int)o->fault, o->tr_path, o->msg);
}

static void
test_open(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	char file[PATH_MAX];
	int rc;

	ok(fsroot_open(&r, R, &e) == 0, "open a --root directory (%s)", e.msg);
	is_str(r.host, R, "its host path is kept, canonical");
	ok(r.fd >= 0 && r.judge_top == 0, "the root itself is not judged under --root");
	ok(r.rule.self == geteuid(), "the rule's self is the effective user");
	fsroot_close(&r);
	fsroot_close(&r);
	ok(r.fd == -1 && r.host == NULL, "close resets the root and can be called twice");

	rc = fsroot_open(&r, B("/root/../root/"), &e);
	ok(rc == 0 && strcmp(r.host, R) == 0,
	    "a --root given with .. and a trailing slash is made canonical (%s)",
	    r.host ? r.host : "(null)");
	fsroot_close(&r);

	ok(fsroot_open(&r, "/", &e) == 0 && strcmp(r.host, "") == 0 && r.judge_top == 1,
	    "/ is the live system: host \"\", the top judged");
	fsroot_close(&r);
	ok(fsroot_open(&r, NULL, &e) == 0 && strcmp(r.host, "") == 0 && r.judge_top == 1,
	    "NULL is the live system too");
	fsroot_close(&r);

	memset(&e, 0, sizeof(e));
	ok(fsroot_open(&r, B("/no-such-root"), &e) == -1 && has(e.msg, B("/no-such-root")),
	    "a missing --root fails, naming it");
	fsroot_close(&r);
	snprintf(file, sizeof(file), "%s", B("/outside/secret"));
	memset(&e, 0, sizeof(e));
	ok(fsroot_open(&r, file, &e) == -1 && has(e.msg, "must be a directory"),
	    "a --root that is a file fails");
	fsroot_close(&r);
}

/* Absolute links, relative links and .. all stay inside the root. */
static void
test_confined(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct res o;

	must(fsroot_open(&r, R, &e));

	locate(&o, &r, "/etc/file", FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.content, "inside\n") == 0 && o.fd && o.dirfd,
	    "a plain file inside the root is opened");
	is_str(o.inner, "/etc/file", "its inner path");
	is_str(o.host, B("@/etc/file"), "its host path");
	is_str(o.name, "file", "its name in its directory");

	locate(&o, &r, "/abs", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.content, "inside\n") == 0,
	    "an absolute link (/etc/file) starts again at the root");
	is_str(o.inner, "/etc/file", "and its inner path is the target's");
	is_str(o.host, B("@/etc/file"), "and its host path is below the root");

	locate(&o, &r, "/etc/sub/abs", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.inner, "/etc/file") == 0,
	    "so does one two directories down");

	locate(&o, &r, "/etc/up", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.inner, "/etc/file") == 0,
	    "a relative link climbing far above the root stops at the root");

	locate(&o, &r, "/../../../etc/./file", FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.inner, "/etc/file") == 0,
	    ".. in the path never climbs above the root; . is skipped");

	/* The outside file exists: none of these may reach it. */
	locate(&o, &r, "/esc-rel", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ENOENT && strcmp(o.content, "") == 0,
	    "a relative link to ../outside/secret does not leave the root");
	if (o.rc != -1)
		show("esc-rel", &o);
	locate(&o, &r, "/esc-abs", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ENOENT,
	    "an absolute link to the outside file's host path does not leave the root");
	locate(&o, &r, "/updir/updir/updir/outside/secret", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ENOENT, "a directory link to .. does not leave the root");
	locate(&o, &r, "/../outside/secret", FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ENOENT, "/../outside/secret does not leave the root");

	/* The same names inside the root lead to the root's decoy. */
	dir(B("@/outside"), 0755);
	put(B("@/outside/secret"), "decoy\n", 0644);
	locate(&o, &r, "/esc-rel", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.content, "decoy\n") == 0 &&
	    strcmp(o.inner, "/outside/secret") == 0,
	    "with ROOT/outside/secret made, the relative link reads the decoy");
	locate(&o, &r, "/updir/updir/outside/secret", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.content, "decoy\n") == 0,
	    "and so does the .. directory link");
	unlink(B("@/outside/secret"));
	rmdir(B("@/outside"));

	fsroot_close(&r);
}

static void
test_links(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct res o;
	char name[32], target[32];
	int i;

	must(fsroot_open(&r, R, &e));

	locate(&o, &r, "/loop1", FS_FOLLOW);
	ok(o.rc == -1 && o.err == ELOOP, "a symlink loop gives ELOOP");
	locate(&o, &r, "/loop1/x", 0);
	ok(o.rc == -1 && o.err == ELOOP, "a loop on the way gives ELOOP");
	locate(&o, &r, "/self", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ELOOP, "a link to itself gives ELOOP");

	/* 40 links are followed, as the kernel does; the 41st is refused. */
	dir(B("@/chain"), 0755);
	put(B("@/chain/target"), "end\n", 0644);
	for (i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "/chain/c%d", i);
		if (i == 40)
			snprintf(target, sizeof(target), "target");
		else
			snprintf(target, sizeof(target), "c%d", i + 1);
		sym(target, B("@%s", name));
	}
	locate(&o, &r, "/chain/c1", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.content, "end\n") == 0, "a chain of 40 links resolves");
	locate(&o, &r, "/chain/c0", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ELOOP, "a chain of 41 links gives ELOOP");

	/* FS_FOLLOW decides only for the last component. */
	locate(&o, &r, "/abs", 0);
	ok(o.rc == 0 && o.type == S_IFLNK && strcmp(o.name, "abs") == 0 &&
	    strcmp(o.inner, "/abs") == 0, "without FS_FOLLOW a last link is the link itself");
	locate(&o, &r, "/abs", FS_FOLLOW);
	ok(o.rc == 0 && o.type == S_IFREG && strcmp(o.inner, "/etc/file") == 0,
	    "with FS_FOLLOW it is its target");
	locate(&o, &r, "/abs", FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ELOOP && !o.fd && has(o.msg, "symbolic link"),
	    "FS_OPEN_FILE without FS_FOLLOW refuses a link");
	locate(&o, &r, "/etclink/file", FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.inner, "/etc/file") == 0,
	    "a directory link on the way is followed even without FS_FOLLOW");
	locate(&o, &r, "/dangling", 0);
	ok(o.rc == 0 && o.type == S_IFLNK, "a dangling link is found as a link");
	locate(&o, &r, "/dangling", FS_FOLLOW);
	ok(o.rc == 0 && o.type == 0 && strcmp(o.inner, "/nowhere") == 0,
	    "followed, it names where its target would be (absent)");
	fsroot_close(&r);
}

static void
test_kinds(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct sockaddr_un sa;
	struct fsloc loc;
	struct res o;
	int s, fl;

	must(fsroot_open(&r, R, &e));

	/* A fifo would block open(2) until a writer comes: alarm guards it. */
	if (mkfifo(B("@/kinds/fifo"), 0644) == 0) {
		alarm(5);
		locate(&o, &r, "/kinds/fifo", FS_OPEN_FILE);
		alarm(0);
		ok(o.rc == -1 && !o.fd && has(o.msg, "named pipe"),
		    "FS_OPEN_FILE refuses a fifo, without blocking on it");
	} else
		skip("FS_OPEN_FILE refuses a fifo", "mkfifo failed");

	if (!is_root)
		skip("FS_OPEN_FILE refuses a character device", "mknod needs root");
	else if (mknod(B("@/kinds/null"), S_IFCHR | 0600, makedev(1, 3)) == -1) {
		printf("# mknod: %s\n", strerror(errno));
		skip("FS_OPEN_FILE refuses a character device", "mknod refused here");
	} else {
		locate(&o, &r, "/kinds/null", FS_OPEN_FILE);
		ok(o.rc == -1 && !o.fd && has(o.msg, "character device"),
		    "FS_OPEN_FILE refuses a character device (1,3 like /dev/null)");
	}

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", B("@/kinds/sock"));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1 &&
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		locate(&o, &r, "/kinds/sock", FS_OPEN_FILE);
		ok(o.rc == -1 && has(o.msg, "socket"), "FS_OPEN_FILE refuses a socket");
	} else
		skip("FS_OPEN_FILE refuses a socket", "cannot bind a unix socket here");
	if (s != -1)
		close(s);

	locate(&o, &r, "/etc", FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == EINVAL && !o.fd && has(o.msg, "a directory"),
	    "FS_OPEN_FILE refuses a directory");

	memset(&e, 0, sizeof(e));
	ok(fsroot_locate(&r, "/etc/file", FS_OPEN_FILE, &loc, NULL, &e) == 0 &&
	    (fl = fcntl(loc.fd, F_GETFL)) != -1 && !(fl & O_NONBLOCK) &&
	    (fl & O_ACCMODE) == O_RDONLY && (fcntl(loc.fd, F_GETFD) & FD_CLOEXEC),
	    "a file is opened read-only, blocking again, close-on-exec");
	fsloc_release(&loc);
	ok(loc.fd == -1 && loc.dirfd == -1 && loc.inner == NULL,
	    "fsloc_release resets the location");

	locate(&o, &r, "/etc", FS_OPEN_DIR);
	ok(o.rc == 0 && o.fd && o.type == S_IFDIR && strcmp(o.inner, "/etc") == 0,
	    "FS_OPEN_DIR opens a directory");
	memset(&e, 0, sizeof(e));
	if (fsroot_locate(&r, "/etc", FS_OPEN_DIR, &loc, NULL, &e) == 0) {
		DIR *d = fdopendir(dup(loc.fd));
		struct dirent *de;
		int seen = 0;

		while (d != NULL && (de = readdir(d)) != NULL)
			seen += strcmp(de->d_name, "file") == 0;
		if (d != NULL)
			closedir(d);
		ok(seen == 1, "and it can be read");
	} else
		ok(0, "FS_OPEN_DIR: %s", e.msg);
	fsloc_release(&loc);
	locate(&o, &r, "/etc/file", FS_OPEN_DIR);
	ok(o.rc == -1 && o.err == ENOTDIR && !o.fd, "FS_OPEN_DIR refuses a file");
	ok(strstr(o.msg, "not a regular file") == NULL, "and does not call it 'not a regular file' (%s)", o.msg);
	locate(&o, &r, "/etclink", FS_OPEN_DIR | FS_FOLLOW);
	ok(o.rc == 0 && strcmp(o.inner, "/etc") == 0, "FS_OPEN_DIR follows a link with FS_FOLLOW");

	/* Absent things. */
	locate(&o, &r, "/etc/absent", 0);
	ok(o.rc == 0 && o.type == 0 && o.dirfd && !o.fd && strcmp(o.name, "absent") == 0 &&
	    strcmp(o.host, B("@/etc/absent")) == 0,
	    "a missing last component names where it would be");
	locate(&o, &r, "/etc/absent", FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ENOENT, "FS_OPEN_FILE of a missing file: ENOENT");
	locate(&o, &r, "/nodir/absent", 0);
	ok(o.rc == -1 && o.err == ENOENT, "a missing directory on the way: ENOENT");
	locate(&o, &r, "/etc/file/below", 0);
	ok(o.rc == -1 && o.err == ENOTDIR, "a file on the way: ENOTDIR");
	locate(&o, &r, "/", FS_OPEN_DIR);
	ok(o.rc == 0 && o.fd && o.type == S_IFDIR && strcmp(o.host, B("@/")) == 0,
	    "the root itself is a directory that can be opened");
	locate(&o, &r, "/", FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == EISDIR, "but not as a file: EISDIR");
	locate(&o, &r, "/etc/..", 0);
	ok(o.rc == 0 && o.type == S_IFDIR && strcmp(o.host, B("@/")) == 0,
	    "a path ending in .. is the directory it climbs to, never above the root");
	locate(&o, &r, "/etc/.", FS_OPEN_DIR);
	ok(o.rc == 0 && o.fd && strcmp(o.name, "etc") == 0 && strcmp(o.host, B("@/etc")) == 0,
	    "a path ending in . is that directory, named in its parent");
	locate(&o, &r, "etc/file", 0);
	ok(o.rc == -1 && o.err == EINVAL && has(o.msg, "not an absolute path"),
	    "a relative inner path is refused");
	fsroot_close(&r);
}

static void
test_mkdir(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct res o;

	must(fsroot_open(&r, R, &e));
	locate(&o, &r, "/mk/a/b/c", FS_MKDIR | FS_OPEN_DIR);
	ok(o.rc == 0 && o.fd && o.type == S_IFDIR, "FS_MKDIR|FS_OPEN_DIR makes a path (%s)",
	    o.msg);
	ok(mode_of(B("@/mk")) == 0755 && mode_of(B("@/mk/a")) == 0755 &&
	    mode_of(B("@/mk/a/b")) == 0755, "its parents are made 0755 (%o %o %o)",
	    mode_of(B("@/mk")), mode_of(B("@/mk/a")), mode_of(B("@/mk/a/b")));
	ok(mode_of(B("@/mk/a/b/c")) == 0700, "the last is made 0700 (%o)",
	    mode_of(B("@/mk/a/b/c")));
	must(chmod(B("@/mk/a/b/c"), 0750));
	locate(&o, &r, "/mk/a/b/c", FS_MKDIR | FS_OPEN_DIR);
	ok(o.rc == 0 && mode_of(B("@/mk/a/b/c")) == 0750, "an existing one is left as it is");

	umask(077);
	locate(&o, &r, "/mk3/a/b", FS_MKDIR | FS_OPEN_DIR);
	umask(022);
	ok(o.rc == 0 && mode_of(B("@/mk3")) == 0755 && mode_of(B("@/mk3/a/b")) == 0700,
	    "under umask 077 the parents are still 0755 (%o), the last 0700 (%o)",
	    mode_of(B("@/mk3")), mode_of(B("@/mk3/a/b")));

	locate(&o, &r, "/mk2/x/file", FS_MKDIR);
	ok(o.rc == 0 && o.type == 0 && mode_of(B("@/mk2/x")) == 0755 &&
	    access(B("@/mk2/x/file"), F_OK) == -1,
	    "without FS_OPEN_DIR the directories are made, the last component is not");
	fsroot_close(&r);
}

/* The trust rule on the way; root only (files of other owners). */
static void
test_trust(void)
{
	static const char *const names[] = {
		"an untrusted directory gives FSROOT_UNTRUSTED",
		"the report names it and its owner",
	};
	struct fsroot r = FSROOT_INIT, live = FSROOT_INIT, top = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct res o;
	size_t i;

	if (!is_root) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			skip(names[i], "needs root to give files to another user");
		return;
	}
	must(fsroot_open(&r, R, &e));

	locate(&o, &r, "/t/u/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && !o.fd && !o.dirfd && o.inner[0] == '\0',
	    "a directory owned by 65534 on the way gives FSROOT_UNTRUSTED, and no location");
	ok(o.fault == TRUST_OWNER && strcmp(o.tr_path, B("@/t/u")) == 0 && o.tr_uid == NOBODY,
	    "the report names that directory and uid 65534 (%s, %u)", o.tr_path,
	    (unsigned)o.tr_uid);
	ok(has(o.msg, B("@/t/u")) && has(o.msg, "uid 65534"), "and so does the message");
	locate(&o, &r, "/t/u/f", FS_OPEN_FILE | FS_CONTINUE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fd && strcmp(o.content, "in u\n") == 0 &&
	    strcmp(o.host, B("@/t/u/f")) == 0 && strcmp(o.tr_path, B("@/t/u")) == 0,
	    "FS_CONTINUE still fills the location, and reports the first fault");
	locate(&o, &r, "/t/u/newdir", FS_MKDIR | FS_OPEN_DIR);
	ok(o.rc == FSROOT_UNTRUSTED && access(B("@/t/u/newdir"), F_OK) == -1,
	    "FS_MKDIR creates nothing below an untrusted directory");
	locate(&o, &r, "/t/u/f", FS_OPEN_FILE | FS_ANY_OWNER);
	ok(o.rc == 0 && o.fd, "FS_ANY_OWNER judges nothing");

	locate(&o, &r, "/t/nobodyfile", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("@/t/nobodyfile")) == 0,
	    "a file owned by 65534 in a good directory is refused, naming the file");

	locate(&o, &r, "/t/gw0/f", FS_OPEN_FILE);
	ok(o.rc == 0, "a group-writable directory with gid 0 passes (%s)", o.msg);
	locate(&o, &r, "/t/gw/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fault == TRUST_GROUP_WRITABLE &&
	    o.tr_gid == NOBODY && strcmp(o.tr_path, B("@/t/gw")) == 0,
	    "a group-writable directory with gid 65534 fails");
	ok(has(o.msg, "writable by group 65534") && has(o.msg, "0775"),
	    "the message names the group and the mode");
	locate(&o, &r, "/t/gwfile", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fault == TRUST_GROUP_WRITABLE,
	    "a file writable by group 65534 fails");
	locate(&o, &r, "/t/ww/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fault == TRUST_OTHER_WRITABLE &&
	    has(o.msg, "writable by everybody") && has(o.msg, "0777"),
	    "a world-writable directory fails");

	locate(&o, &r, "/t/sticky/rootfile", FS_OPEN_FILE);
	ok(o.rc == 0, "a sticky world-writable directory passes for a root-owned file (%s)",
	    o.msg);
	locate(&o, &r, "/t/sticky/nobodyfile", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("@/t/sticky/nobodyfile")) == 0,
	    "but not for a file 65534 planted there");
	locate(&o, &r, "/t/sticky/nobodydir/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("@/t/sticky/nobodydir")) == 0,
	    "nor for a directory 65534 made there");

	locate(&o, &r, "/t/nobodylink", 0);
	ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("@/t/nobodylink")) == 0,
	    "a link owned by 65534 fails, even to a good file");
	locate(&o, &r, "/t/nobodylink", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED, "also when followed");
	locate(&o, &r, "/t/rootlink", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == 0 && strcmp(o.inner, "/etc/file") == 0,
	    "a root-owned link (mode 0777) passes: only its owner counts");
	locate(&o, &r, "/t/tou/f", FS_FOLLOW | FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("@/t/u")) == 0,
	    "a good link to an untrusted directory fails there, by its canonical path");

	/* Under --root the root itself is the administrator's word; on / it is judged. */
	must(fsroot_open(&top, B("/nobodyroot"), &e));
	locate(&o, &top, "/f", FS_OPEN_FILE);
	ok(o.rc == 0, "under --root, a root directory owned by 65534 is not judged (%s)", o.msg);
	fsroot_close(&top);
	must(fsroot_open(&live, "/", &e));
	locate(&o, &live, B("/nobodyroot/f"), FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("/nobodyroot")) == 0,
	    "on the live system the same directory is judged");
	locate(&o, &live, B("/root/t/u/f"), FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("@/t/u")) == 0,
	    "on the live system the report names the host path");
	fsroot_close(&live);

	/* Debian's root:staff 2775 /usr/local, learnt from the tree's /etc/group. */
	must(fsroot_open(&top, B("/staffroot"), &e));
	locate(&o, &top, "/usr/local/f", FS_OPEN_FILE);
	ok(o.rc == 0 && top.rule.has_staff && top.rule.staff == 50,
	    "a staff-writable /usr/local passes, staff (gid 50) read from ROOT/etc/group (%s)",
	    o.msg);
	locate(&o, &top, "/usr/localx/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fault == TRUST_GROUP_WRITABLE,
	    "a staff-writable /usr/localx does not");
	locate(&o, &top, "/opt/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fault == TRUST_GROUP_WRITABLE,
	    "nor a staff-writable /opt");
	fsroot_close(&top);
	must(fsroot_open(&top, B("/nostaffroot"), &e));
	locate(&o, &top, "/usr/local/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && !top.rule.has_staff,
	    "without a staff line in ROOT/etc/group, gid 50 is just another group");
	fsroot_close(&top);

	fsroot_close(&r);
}

/* Give path the ACL text (acl(5) short form), as setfacl(1) would. */
static int
set_acl(const char *path, const char *text)
{
	acl_t acl = acl_from_text(text);
	int rc;

	if (acl == NULL)
		return -1;
	rc = acl_set_file(path, ACL_TYPE_ACCESS, acl);
	acl_free(acl);
	return rc;
}

/*
 * What the mode does not show: ACL entries that let others write, and the
 * stricter rule for directories code is loaded from (fsroot_judge_tree,
 * fsroot_judge_missing), where a sticky bit excuses nothing.
 */
static void
test_acl_and_load_dirs(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct res o;
	int rc;

	if (!is_root) {
		skip("ACLs and directories code is loaded from", "needs root");
		return;
	}
	must(fsroot_open(&r, R, &e));
	put(B("@/t/aclfile"), "x\n", 0664);
	dir(B("@/t/acldir"), 0755);
	put(B("@/t/acldir/f"), "x\n", 0644);
	dir(B("@/t/aclread"), 0755);
	put(B("@/t/aclread/f"), "x\n", 0644);
	dir(B("@/t/aclroot"), 0755);
	put(B("@/t/aclroot/f"), "x\n", 0644);
	dir(B("@/t/aclmasked"), 0755);
	put(B("@/t/aclmasked/f"), "x\n", 0644);
	if (set_acl(B("@/t/aclfile"), "u::rw-,u:65534:rw-,g::r--,m::rw-,o::r--") == -1 ||
	    set_acl(B("@/t/acldir"), "u::rwx,u:65534:rwx,g::r-x,m::rwx,o::r-x") == -1 ||
	    set_acl(B("@/t/aclread"), "u::rwx,u:65534:r-x,g::r-x,m::rwx,o::r-x") == -1 ||
	    set_acl(B("@/t/aclroot"), "u::rwx,u:0:rwx,g::r-x,g:0:rwx,m::rwx,o::r-x") == -1 ||
	    set_acl(B("@/t/aclmasked"), "u::rwx,g::r-x,g:65534:rwx,m::r-x,o::r-x") == -1) {
		skip("ACLs and directories code is loaded from", "this file system takes no ACL");
		fsroot_close(&r);
		return;
	}
	locate(&o, &r, "/t/aclfile", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fault == TRUST_ACL_WRITABLE &&
	    strcmp(o.tr_path, B("@/t/aclfile")) == 0 && has(o.msg, "ACL"),
	    "a root:root 0664 file whose ACL lets uid 65534 write is refused (%s)", o.msg);
	locate(&o, &r, "/t/acldir/f", FS_OPEN_FILE);
	ok(o.rc == FSROOT_UNTRUSTED && o.fault == TRUST_ACL_WRITABLE &&
	    strcmp(o.tr_path, B("@/t/acldir")) == 0,
	    "so is a file below a directory whose ACL lets uid 65534 write");
	locate(&o, &r, "/t/aclread/f", FS_OPEN_FILE);
	ok(o.rc == 0, "an ACL entry that only reads passes (%s)", o.msg);
	locate(&o, &r, "/t/aclroot/f", FS_OPEN_FILE);
	ok(o.rc == 0, "ACL entries for uid 0 and gid 0 pass (%s)", o.msg);
	locate(&o, &r, "/t/aclmasked/f", FS_OPEN_FILE);
	ok(o.rc == 0, "a writer the mask takes write from passes (%s)", o.msg);
	rc = fsroot_judge_tree(&r, "/t/acldir", &e);
	ok(rc == FSROOT_UNTRUSTED && has(e.msg, "ACL"),
	    "fsroot_judge_tree refuses a tree whose top has such an ACL (%s)", e.msg);

	dir(B("@/t/emptysticky"), 01777);
	dir(B("@/t/loadtree"), 0755);
	put(B("@/t/loadtree/a.pm"), "1;\n", 0644);
	dir(B("@/t/loadtree/sub"), 01777);
	dir(B("@/t/plain"), 0755);
	rc = fsroot_judge_tree(&r, "/t/emptysticky", &e);
	ok(rc == FSROOT_UNTRUSTED && has(e.msg, B("@/t/emptysticky")) && has(e.msg, "1777"),
	    "an empty sticky world-writable directory is no tree to load from (%s)", e.msg);
	rc = fsroot_judge_tree(&r, "/t/loadtree", &e);
	ok(rc == FSROOT_UNTRUSTED && has(e.msg, B("@/t/loadtree/sub")),
	    "nor a tree holding one, which the message names (%s)", e.msg);
	rc = fsroot_judge_missing(&r, "/t/emptysticky/nolib", 0, &e);
	ok(rc == FSROOT_UNTRUSTED && has(e.msg, B("@/t/emptysticky")) && has(e.msg, "create"),
	    "a missing directory in a sticky world-writable one is refused (%s)", e.msg);
	rc = fsroot_judge_missing(&r, "/t/emptysticky/a/b", 0, &e);
	ok(rc == FSROOT_UNTRUSTED, "also two levels down (%d: %s)", rc, e.msg);
	rc = fsroot_judge_missing(&r, "/t/plain/nolib/deeper", 0, &e);
	ok(rc == 0, "a missing directory below a root-only one passes (%s)", e.msg);
	rc = fsroot_judge_missing(&r, "/t/gw/nolib", 0, &e);
	ok(rc == FSROOT_UNTRUSTED, "one below a directory group 65534 can write is refused");
	fsroot_close(&r);
}

/* rule.self: run as nobody, whose own files count as trusted. */
static void
test_self(void)
{
	struct fsroot r;
	struct err e;
	struct res o;
	int status, bits = 0;
	pid_t pid;

	if (!is_root) {
		skip("as another user, that user's files are trusted", "needs root to setuid");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 || setuid(NOBODY) == -1)
			_exit(255);
		r = (struct fsroot)FSROOT_INIT;
		memset(&e, 0, sizeof(e));
		if (fsroot_open(&r, "/", &e) != 0 || r.rule.self != NOBODY)
			_exit(254);
		locate(&o, &r, B("/self/mine"), FS_OPEN_FILE);
		bits |= o.rc == 0 ? 1 : 0;
		locate(&o, &r, B("/self/roots"), FS_OPEN_FILE);
		bits |= o.rc == 0 ? 2 : 0;
		locate(&o, &r, B("/self/daemons"), FS_OPEN_FILE);
		bits |= o.rc == FSROOT_UNTRUSTED && o.tr_uid == 1 ? 4 : 0;
		fsroot_close(&r);
		_exit(bits);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		ok(0, "rule.self: the child did not finish");
		return;
	}
	bits = WEXITSTATUS(status);
	ok(bits < 254, "rule.self: the child ran as 65534 (%d)", bits);
	ok(bits < 254 && (bits & 1), "as 65534, a file of 65534 in a directory of 65534 passes");
	ok(bits < 254 && (bits & 2), "as 65534, root's files still pass");
	ok(bits < 254 && (bits & 4), "as 65534, a file of uid 1 fails");
}

static void
test_inner(void)
{
	struct fsroot r = FSROOT_INIT, live = FSROOT_INIT;
	struct err e = ERR_INIT;
	char *inner = NULL, cwd[PATH_MAX];
	int rc;

	must(fsroot_open(&r, R, &e));
	rc = fsroot_inner(&r, B("@/etc/file"), &inner, &e);
	ok(rc == 0 && inner != NULL && strcmp(inner, "/etc/file") == 0,
	    "a path below the root: its inner path (%s)", rc == 0 ? inner : e.msg);
	free(inner);
	rc = fsroot_inner(&r, R, &inner, &e);
	ok(rc == 0 && inner != NULL && strcmp(inner, "/") == 0, "the root itself is /");
	free(inner);

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	must(chdir(B("@/etc")));
	rc = fsroot_inner(&r, "file", &inner, &e);
	ok(rc == 0 && inner != NULL && strcmp(inner, "/etc/file") == 0,
	    "a relative path, from the current directory (%s)", rc == 0 ? inner : e.msg);
	free(inner);
	must(chdir(cwd));

	memset(&e, 0, sizeof(e));
	rc = fsroot_inner(&r, "/etc/passwd", &inner, &e);
	ok(rc == -1 && inner == NULL, "a path outside the root is refused");
	ok(has(e.msg, "outside --root") && has(e.msg, R), "the message names the root");
	memset(&e, 0, sizeof(e));
	rc = fsroot_inner(&r, B("/rootx/file"), &inner, &e);
	ok(rc == -1 && inner == NULL, "a sibling sharing the root's name as a prefix is outside");
	free(inner);
	memset(&e, 0, sizeof(e));
	rc = fsroot_inner(&r, B("/rootlink/etc/file"), &inner, &e);
	ok(rc == 0 && inner != NULL && strcmp(inner, "/etc/file") == 0,
	    "a path through a symlink to the root (%s)", rc == 0 ? inner : e.msg);
	free(inner);
	memset(&e, 0, sizeof(e));
	rc = fsroot_inner(&r, "", &inner, &e);
	ok(rc == -1 && inner == NULL, "an empty path is refused");
	fsroot_close(&r);

	must(fsroot_open(&live, "/", &e));
	rc = fsroot_inner(&live, "/usr/share/perl5/Bucardo.pm", &inner, &e);
	ok(rc == 0 && inner != NULL && strcmp(inner, "/usr/share/perl5/Bucardo.pm") == 0,
	    "on the live system a path is its own inner path");
	free(inner);
	fsroot_close(&live);
}

/* The same cases resolved with openat2 and with the forced manual walk. */
static void
test_walks_agree(void)
{
	static const struct {
		const char	*inner;
		unsigned	 flags;
		int		 rc;
		int		 err;
		const char	*want;
		int		 needs_root;
	} cases[] = {
		{ "/etc/file", FS_OPEN_FILE, 0, 0, "/etc/file", 0 },
		{ "/abs", FS_FOLLOW | FS_OPEN_FILE, 0, 0, "/etc/file", 0 },
		{ "/abs", 0, 0, 0, "/abs", 0 },
		{ "/etc/up", FS_FOLLOW, 0, 0, "/etc/file", 0 },
		{ "/etclink/file", FS_OPEN_FILE, 0, 0, "/etc/file", 0 },
		{ "/esc-rel", FS_FOLLOW | FS_OPEN_FILE, -1, ENOENT, "", 0 },
		{ "/esc-abs", FS_FOLLOW | FS_OPEN_FILE, -1, ENOENT, "", 0 },
		{ "/updir/updir/outside/secret", FS_OPEN_FILE, -1, ENOENT, "", 0 },
		{ "/loop1", FS_FOLLOW, -1, ELOOP, "", 0 },
		{ "/etc/file/x", 0, -1, ENOTDIR, "", 0 },
		{ "/etc/absent", 0, 0, 0, "/etc/absent", 0 },
		{ "/etc", FS_OPEN_DIR, 0, 0, "/etc", 0 },
		{ "/t/u/f", FS_OPEN_FILE, FSROOT_UNTRUSTED, 0, "", 1 },
		{ "/t/tou/f", FS_FOLLOW | FS_OPEN_FILE, FSROOT_UNTRUSTED, 0, "", 1 },
		{ "/t/gw/f", FS_OPEN_FILE, FSROOT_UNTRUSTED, 0, "", 1 },
		{ "/t/sticky/rootfile", FS_OPEN_FILE, 0, 0, "/t/sticky/rootfile", 1 },
	};
	struct fsroot a = FSROOT_INIT, m = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct res ra, rm;
	size_t i;
	int same = 1, right = 1, used_openat2;

	must(fsroot_open(&a, R, &e));
	must(fsroot_open(&m, R, &e));
	m.no_openat2 = 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].needs_root && !is_root)
			continue;
		locate(&ra, &a, cases[i].inner, cases[i].flags);
		locate(&rm, &m, cases[i].inner, cases[i].flags);
		if (ra.rc != rm.rc || ra.err != rm.err || strcmp(ra.inner, rm.inner) != 0 ||
		    ra.type != rm.type || ra.fault != rm.fault ||
		    strcmp(ra.tr_path, rm.tr_path) != 0) {
			same = 0;
			show(cases[i].inner, &ra);
			show(cases[i].inner, &rm);
		}
		if (ra.rc != cases[i].rc || ra.err != cases[i].err ||
		    strcmp(ra.inner, cases[i].want) != 0) {
			right = 0;
			show(cases[i].inner, &ra);
		}
	}
	used_openat2 = !a.no_openat2;
	printf("# openat2 %s on this kernel\n", used_openat2 ? "used" : "unavailable");
	ok(same, "the forced manual walk gives the same answers as openat2");
	ok(right, "and both give the expected answers");
	ok(m.no_openat2 == 1, "no_openat2 stays set");
	fsroot_close(&a);
	fsroot_close(&m);
}

/* A directory swapped for a symlink between two resolutions. */
static void
test_swap(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct fsloc loc;
	struct stat was, held;
	struct res o;
	char text[32];
	ssize_t n;

	must(fsroot_open(&r, R, &e));
	dir(B("@/swap"), 0755);
	put(B("@/swap/file"), "first\n", 0644);
	ok(fsroot_locate(&r, "/swap/file", FS_OPEN_FILE, &loc, NULL, &e) == 0,
	    "swap: first resolution (%s)", e.msg);
	must(rename(B("@/swap"), B("@/swap.old")));
	sym(B("/outside"), B("@/swap"));

	n = pread(loc.fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	ok(stat(B("@/swap.old"), &was) == 0 && fstat(loc.dirfd, &held) == 0 &&
	    was.st_ino == held.st_ino && strcmp(text, "first\n") == 0,
	    "swap: what was found stays the directory that was checked");
	fsloc_release(&loc);

	locate(&o, &r, "/swap/secret", FS_OPEN_FILE);
	ok(o.rc == -1 && o.err == ENOENT,
	    "swap: a link to the outside directory's host path is followed inside the root, "
	    "where nothing is");
	if (o.rc != -1)
		show("swap", &o);
	sym("/t/u", B("@/swap"));
	if (is_root) {
		locate(&o, &r, "/swap/f", FS_OPEN_FILE);
		ok(o.rc == FSROOT_UNTRUSTED && strcmp(o.tr_path, B("@/t/u")) == 0,
		    "swap: a link to an untrusted directory is judged as found");
	} else
		skip("swap: a link to an untrusted directory is judged as found", "needs root");
	unlink(B("@/swap"));
	fsroot_close(&r);
}

/*
 * A directory and a symlink to a directory outside the root swapped back
 * and forth (RENAME_EXCHANGE) while paths through them are resolved: a
 * walk must never come out on the host's side, by either method.
 */
static void
test_race(void)
{
	char race[PATH_MAX * 3], link[PATH_MAX * 3];
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct timespec t0, t1;
	struct res o;
	int pass, status, escaped[2] = { 0, 0 }, inside[2] = { 0, 0 }, other[2] = { 0, 0 };
	pid_t pid;

	dir(B("@/race"), 0755);
	put(B("@/race/file"), "inside\n", 0644);
	dir(B("/outrace"), 0755);
	put(B("/outrace/file"), "OUTSIDE\n", 0644);
	sym(B("/outrace"), B("@/race_link"));
	snprintf(race, sizeof(race), "%s", B("@/race"));
	snprintf(link, sizeof(link), "%s", B("@/race_link"));
	must(fsroot_open(&r, R, &e));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		for (;;)
			if (renameat2(AT_FDCWD, race, AT_FDCWD, link, RENAME_EXCHANGE) == -1)
				_exit(1);
	}
	if (pid == -1) {
		ok(0, "race: fork: %s", strerror(errno));
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		r.no_openat2 = pass;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			locate(&o, &r, "/race/file", FS_OPEN_FILE);
			if (strcmp(o.content, "OUTSIDE\n") == 0)
				escaped[pass]++;
			else if (o.rc == 0 && strcmp(o.content, "inside\n") == 0)
				inside[pass]++;
			else
				other[pass]++;
			clock_gettime(CLOCK_MONOTONIC, &t1);
		} while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("# race: openat2 %d inside, %d refused; manual walk %d inside, %d refused\n",
	    inside[0], other[0], inside[1], other[1]);
	ok(escaped[0] == 0, "race: with openat2, no resolution ever left the root (%d did)",
	    escaped[0]);
	ok(escaped[1] == 0, "race: with the manual walk, none either (%d did)", escaped[1]);
	ok(WIFSIGNALED(status) && inside[0] + inside[1] > 0 && other[0] + other[1] > 0,
	    "race: the swapping ran, and both outcomes were seen");
	fsroot_close(&r);
}

static void
test_read(void)
{
	struct fsroot r = FSROOT_INIT;
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	struct fsloc loc;
	int fd;

	must(fsroot_open(&r, R, &e));
	ok(fsroot_read(&r, "/abs", FS_FOLLOW, 100, &b, NULL, &e) == 0 && b.len == 7 &&
	    memcmp(b.data, "inside\n", 7) == 0, "fsroot_read reads a small file whole");
	buf_reset(&b);
	errno = 0;
	ok(fsroot_read(&r, "/etc/file", 0, 3, &b, NULL, &e) == -1 && errno == EFBIG,
	    "more than the limit: EFBIG");
	buf_reset(&b);
	errno = 0;
	ok(fsroot_read(&r, "/etc/nothing", 0, 100, &b, NULL, &e) == -1 && errno == ENOENT,
	    "a missing file: ENOENT");
	buf_release(&b);

	ok(fsroot_locate(&r, "/etc/file", 0, &loc, NULL, &e) == 0 &&
	    fsroot_sync_dir(loc.dirfd) == 0, "fsroot_sync_dir on a location's directory");
	fsloc_release(&loc);
	fd = open(B("@/etc"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ok(fd != -1 && fsroot_sync_dir(fd) == 0, "fsroot_sync_dir on an O_PATH descriptor "
	    "(EBADF) is no failure");
	if (fd != -1)
		close(fd);
	fsroot_close(&r);
}

static void
test_messages(void)
{
	struct trust_report tr = TRUST_REPORT_INIT;
	struct err e = ERR_INIT;

	fsroot_untrusted_message(&e, "/x/Bucardo.pm", NULL);
	ok(has(e.msg, "/x/Bucardo.pm: not trusted"), "without a report: a general message");
	tr.path = "/x";
	tr.fault = TRUST_OWNER;
	tr.uid = 1000;
	fsroot_untrusted_message(&e, "/x/Bucardo.pm", &tr);
	is_str(e.msg, "/x/Bucardo.pm: not trusted: /x is owned by uid 1000, who could change it",
	    "owner: the message");
	tr.fault = TRUST_GROUP_WRITABLE;
	tr.gid = 100;
	tr.mode = S_IFDIR | 02775;
	fsroot_untrusted_message(&e, "/x/Bucardo.pm", &tr);
	is_str(e.msg, "/x/Bucardo.pm: not trusted: /x is writable by group 100 (mode 2775)",
	    "group: the message");
	tr.fault = TRUST_OTHER_WRITABLE;
	tr.mode = S_IFDIR | 0777;
	fsroot_untrusted_message(&e, "/x/Bucardo.pm", &tr);
	is_str(e.msg, "/x/Bucardo.pm: not trusted: /x is writable by everybody (mode 0777)",
	    "everybody: the message");
}

static void
setup(void)
{
	dir(R, 0755);
	dir(B("/outside"), 0755);
	put(B("/outside/secret"), "secret\n", 0644);
	dir(B("@/etc"), 0755);
	put(B("@/etc/file"), "inside\n", 0644);
	sym("/etc/file", B("@/abs"));
	sym("../../../../../../../../etc/file", B("@/etc/up"));
	dir(B("@/etc/sub"), 0755);
	sym("/etc/file", B("@/etc/sub/abs"));
	sym("../outside/secret", B("@/esc-rel"));
	sym(B("/outside/secret"), B("@/esc-abs"));
	sym("..", B("@/updir"));
	sym("etc", B("@/etclink"));
	sym("loop2", B("@/loop1"));
	sym("loop1", B("@/loop2"));
	sym("self", B("@/self"));
	sym("/nowhere", B("@/dangling"));
	dir(B("@/kinds"), 0755);
	dir(B("/rootx"), 0755);
	put(B("/rootx/file"), "x\n", 0644);
	sym("root", B("/rootlink"));
	if (!is_root)
		return;

	dir(B("@/t"), 0755);
	dir(B("@/t/u"), 0755);
	put(B("@/t/u/f"), "in u\n", 0644);
	must(chown(B("@/t/u"), NOBODY, NOBODY));
	sym("/t/u", B("@/t/tou"));
	put(B("@/t/nobodyfile"), "x\n", 0644);
	must(chown(B("@/t/nobodyfile"), NOBODY, NOBODY));
	dir(B("@/t/gw0"), 0775);
	put(B("@/t/gw0/f"), "x\n", 0644);
	dir(B("@/t/gw"), 0775);
	must(chown(B("@/t/gw"), 0, NOBODY));
	put(B("@/t/gw/f"), "x\n", 0644);
	put(B("@/t/gwfile"), "x\n", 0664);
	must(chown(B("@/t/gwfile"), 0, NOBODY));
	dir(B("@/t/ww"), 0777);
	put(B("@/t/ww/f"), "x\n", 0644);
	dir(B("@/t/sticky"), 01777);
	put(B("@/t/sticky/rootfile"), "x\n", 0644);
	put(B("@/t/sticky/nobodyfile"), "x\n", 0644);
	must(chown(B("@/t/sticky/nobodyfile"), NOBODY, NOBODY));
	dir(B("@/t/sticky/nobodydir"), 0755);
	put(B("@/t/sticky/nobodydir/f"), "x\n", 0644);
	must(chown(B("@/t/sticky/nobodydir"), NOBODY, NOBODY));
	sym("/etc/file", B("@/t/nobodylink"));
	must(lchown(B("@/t/nobodylink"), NOBODY, NOBODY));
	sym("/etc/file", B("@/t/rootlink"));

	dir(B("/nobodyroot"), 0777);
	put(B("/nobodyroot/f"), "x\n", 0644);
	must(chown(B("/nobodyroot"), NOBODY, NOBODY));

	dir(B("/staffroot"), 0755);
	dir(B("/staffroot/etc"), 0755);
	put(B("/staffroot/etc/group"), "root:x:0:\nstaff:x:50:\nusers:x:100:\n", 0644);
	dir(B("/staffroot/usr"), 0755);
	dir(B("/staffroot/usr/local"), 02775);
	must(chown(B("/staffroot/usr/local"), 0, 50));
	put(B("/staffroot/usr/local/f"), "x\n", 0644);
	dir(B("/staffroot/usr/localx"), 02775);
	must(chown(B("/staffroot/usr/localx"), 0, 50));
	put(B("/staffroot/usr/localx/f"), "x\n", 0644);
	dir(B("/staffroot/opt"), 02775);
	must(chown(B("/staffroot/opt"), 0, 50));
	put(B("/staffroot/opt/f"), "x\n", 0644);
	dir(B("/nostaffroot"), 0755);
	dir(B("/nostaffroot/etc"), 0755);
	put(B("/nostaffroot/etc/group"), "root:x:0:\n", 0644);
	dir(B("/nostaffroot/usr"), 0755);
	dir(B("/nostaffroot/usr/local"), 02775);
	must(chown(B("/nostaffroot/usr/local"), 0, 50));
	put(B("/nostaffroot/usr/local/f"), "x\n", 0644);

	/* For test_self: nobody must be able to reach base. */
	must(chmod(base, 0711));
	dir(B("/self"), 0755);
	put(B("/self/mine"), "x\n", 0644);
	put(B("/self/roots"), "x\n", 0644);
	put(B("/self/daemons"), "x\n", 0644);
	must(chown(B("/self/mine"), NOBODY, NOBODY));
	must(chown(B("/self/daemons"), 1, 1));
	must(chown(B("/self"), NOBODY, NOBODY));
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
	char tmpl[] = "/tmp/test-fsroot.XXXXXX";

	umask(022);
	is_root = geteuid() == 0;
	/* /tmp, not $TMPDIR: the trust rule needs a chain nobody else controls. */
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(R, sizeof(R), "%s/root", base);
	setup();

	test_open();
	test_confined();
	test_links();
	test_kinds();
	test_mkdir();
	test_trust();
	test_acl_and_load_dirs();
	test_self();
	test_inner();
	test_walks_agree();
	test_swap();
	test_read();
	test_messages();
	test_race();

	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
	return tap_done();
}
