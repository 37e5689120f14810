/* store.c: the backup store: state directory, lock, git repository and gzip copies. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <nettle/sha1.h>

#include "config.h"
#include "base/base.h"
#include "git2lazy.h"
#include "host/host.h"
#include "store.h"

#define STORE_CHUNK	65536
/* A kept original is read back whole; no Bucardo.pm comes near this. */
#define STORE_KEPT_LIMIT	(64u * 1024 * 1024)

struct store {
	const struct git2_api	*g;
	struct statedir		 sd;
	char			*dir;		/* sd.path, for messages and libgit2 */
	enum store_mode		 mode;
	int			 lockfd;
	int			 objfd;		/* store.git/objects, where the blobs go */
	pthread_t		 loader;	/* git2_preload's thread, until joined */
	int			 loading;
	git_repository		*repo;
	git_oid			 pending;	/* the commit store_prepare wrote */
	git_oid			 parent;	/* HEAD's commit when it did */
	int			 has_pending;
	int			 has_parent;
};

static int
store_pathf(char *dst, size_t size, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
store_pathf(char *dst, size_t size, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return err_sys(e, dst, "path too long");
	}
	return 0;
}

/*
 * The real path as the store names it: without its leading slash. Only
 * canonical absolute paths are taken, since the name becomes directories
 * under originals/ and a line of a commit message.
 */
static const char *
store_relpath(const char *real_path, struct err *e)
{
	const char *p;
	size_t n;

	if (real_path == NULL || real_path[0] != '/' || real_path[1] == '\0' ||
	    strchr(real_path, '\n') != NULL) {
		err_set(e, real_path, "not a canonical absolute path; "
		    "the store keeps files by their real path");
		return NULL;
	}
	for (p = real_path + 1; *p != '\0'; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.') ||
		    (p[n] == '/' && p[n + 1] == '\0')) {
			err_set(e, real_path, "not a canonical absolute path; "
			    "the store keeps files by their real path");
			return NULL;
		}
	}
	return real_path + 1;
}

static void
store_hex(const struct git2_api *g, char hex[GIT_OID_HEXSZ + 1],
    const git_oid *oid)
{
	g->git_oid_tostr(hex, GIT_OID_HEXSZ + 1, oid);
}

/* Read the pid the holder of the lock wrote into it; 0 when there is none. */
static long
store_lock_holder(int fd)
{
	char text[32], *end;
	ssize_t n;
	long pid;

	if ((n = pread(fd, text, sizeof(text) - 1, 0)) <= 0)
		return 0;
	text[n] = '\0';
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno != 0 || end == text || pid <= 0)
		return 0;
	return pid;
}

/*
 * Take STATE/lock. It is opened without following a link and without
 * blocking, and must be a regular file of ours with one name: it is
 * truncated to record our pid, which must never reach another file.
 */
static int
store_lock(struct store *s, unsigned timeout_sec, struct err *e)
{
	struct timespec start, now, pause = { 0, 100 * 1000 * 1000 };
	struct stat st;
	char pid[32];
	long holder, waited_ms;
	int n;

	/* Its type first: a fifo or a device planted there is never opened. */
	if (fstatat(s->sd.fd, "lock", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1))
		goto planted;
	s->lockfd = openat(s->sd.fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0600);
	if (s->lockfd == -1)
		return err_sys(e, s->dir, "cannot open the lock file %s/lock", s->dir);
	if (fstat(s->lockfd, &st) == -1)
		return err_sys(e, s->dir, "cannot inspect the lock file");
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1)
		goto planted;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(s->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return err_sys(e, s->dir, "cannot lock %s/lock", s->dir);
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited_ms = (long)(now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited_ms >= (long)timeout_sec * 1000) {
			if ((holder = store_lock_holder(s->lockfd)) > 0)
				return err_set(e, NULL, "%s/lock: another bucardo-aiven "
				    "(pid %ld) holds the lock; waited %us, try "
				    "again when it has finished", s->dir, holder,
				    timeout_sec);
			return err_set(e, NULL, "%s/lock: another process holds the "
			    "lock; waited %us, try again when it has finished", s->dir,
			    timeout_sec);
		}
		nanosleep(&pause, NULL);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(s->lockfd, 0) == -1 ||
	    pwrite(s->lockfd, pid, (size_t)n, 0) != n)
		return err_sys(e, s->dir, "cannot record our pid in the lock file");
	return 0;
planted:
	return err_set(e, NULL, "%s/lock: not a plain file of ours (a device, a fifo, a link, "
	    "another user's, or a hard link); remove it and run again", s->dir);
}

/*
 * A run killed inside a commit leaves git's lock files behind (HEAD.lock,
 * refs/heads/main.lock), and libgit2 then refuses every later commit. We
 * hold STATE/lock, so no other run of ours is writing the store: any such
 * lock file is stale and is removed.
 */
static int
store_clear_git_locks(const struct store *s, struct err *e)
{
	static const char *const dirs[] = { "store.git", "store.git/refs/heads" };
	struct err missing = ERR_INIT;
	struct dirent *de;
	struct stat st;
	size_t i, n;
	DIR *d;
	int fd, rc = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && rc == 0; i++) {
		if ((fd = statedir_subdir(&s->sd, dirs[i], 0, &missing)) == -1) {
			if (errno == ENOENT)
				continue;	/* not made yet */
			return err_set(e, s->dir, "%s", missing.msg);
		}
		if ((d = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while (rc == 0 && (de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (n <= 5 || strcmp(de->d_name + n - 5, ".lock") != 0 ||
			    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
			    !S_ISREG(st.st_mode))
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) == -1 && errno != ENOENT)
				rc = err_sys(e, s->dir, "cannot remove the stale git lock "
				    "%s/%s left by an interrupted run", dirs[i], de->d_name);
		}
		closedir(d);
	}
	return rc;
}

/*
 * Open store.git. store_open made it a repository in write mode (the
 * layout below); a directory libgit2 still cannot open is reported, never
 * initialised over.
 */
static int
store_open_repo(struct store *s, struct err *e)
{
	const struct git2_api *g = s->g;
	char path[PATH_MAX];
	int error;

	if (store_pathf(path, sizeof(path), e, "%s/store.git", s->dir) == -1)
		return -1;
	error = g->git_repository_open_bare(&s->repo, path);
	if (error == GIT_ENOTFOUND && s->mode == STORE_READ) {
		err_set(e, path, "no backup store here; nothing has been "
		    "applied with this state directory");
		errno = ENOENT;
		return -1;
	}
	if (error < 0)
		return err_set(e, path, "cannot open the backup store: %s; move it "
		    "aside to start a new one (its gzip copies stay in originals/)",
		    git2_message(g));
	return 0;
}

/*
 * Settings for the whole library, set on every open since they cost
 * nothing: root's own git configuration (~/.gitconfig, /etc/gitconfig)
 * cannot change how the store is written, and libgit2 does not fsync
 * what it writes: store_sync() makes the store durable with one syncfs()
 * at the points that need it, instead of an fsync per object, tree, ref
 * and directory (some fifty for one apply).
 */
static int
store_git_settings(const struct git2_api *g, struct err *e)
{
	static const int levels[] = {
		GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
		GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL
	};
	size_t i;

	if (g->git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0) < 0)
		return err_set(e, NULL, "cannot set libgit2's fsync option: "
		    "%s", git2_message(g));
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (g->git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i],
		    "") < 0)
			return err_set(e, NULL, "cannot set libgit2's "
			    "configuration search path: %s", git2_message(g));
	return 0;
}

/*
 * Make the missing directories of dir (relative, "/"-separated; empty
 * components, as in "originals/" for a file at the top of --root, are
 * skipped) below the state directory with mode, each in its parent as
 * statedir_subdir reaches it (no link followed). Unlike statedir_subdir's
 * create, without an fsync per level: the caller's store_sync() makes them
 * durable, together with what they hold, before anything depends on them.
 */
static int
store_mkdirs(const struct statedir *sd, const char *dir, mode_t mode, struct err *e)
{
	char *made;	/* the prefix of dir made so far, then the next one */
	const char *p = dir;
	size_t len, at = 0;
	int fd, rc = 0;

	if ((made = malloc(strlen(dir) + 1)) == NULL)
		return err_sys(e, sd->path, "out of memory");
	made[0] = '\0';
	while (rc == 0 && *(p += strspn(p, "/")) != '\0') {
		len = strcspn(p, "/");
		if ((fd = statedir_subdir(sd, made, 0, e)) == -1) {
			rc = errno == ENOENT ? err_sys(e, sd->path, "cannot create %s", dir) : -1;
			break;
		}
		if (at > 0)
			made[at++] = '/';
		memcpy(made + at, p, len);
		made[at + len] = '\0';
		if (mkdirat(fd, made + at, mode) == -1 && errno != EEXIST)
			rc = err_sys(e, sd->path, "cannot create %s", dir);
		close(fd);
		at += len;
		p += len;
	}
	free(made);
	return rc;
}

/* Write name in dirfd with text when it is missing or empty (a write cut off). */
static int
store_init_file(int dirfd, const char *dir, const char *name, const char *text,
    struct err *e)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (!S_ISREG(st.st_mode) || st.st_size > 0))
		return 0;
	return atomic_write_at(dirfd, dir, name, text, strlen(text), 0644, ATOMIC_DEFER_SYNC, e);
}

/*
 * Make store.git the bare repository `git init --bare` makes (HEAD naming
 * refs/heads/main, a config saying bare, objects/ and refs/heads/), by
 * hand rather than with libgit2, so that a first apply need not wait for
 * libgit2 to load. Each part is made when it is missing, HEAD last, since
 * HEAD is what makes the directory a repository to git: a run stopped half
 * way leaves what the next one completes. Durable with the next
 * store_sync(), before anything refers to it. Opens s->objfd.
 */
static int
store_init_layout(struct store *s, struct err *e)
{
	char path[PATH_MAX];
	int gfd = -1, rc = -1;

	if (store_pathf(path, sizeof(path), e, "%s/store.git", s->dir) == -1)
		return -1;
	/* Root's alone, whatever the umask: the history decides what revert writes. */
	if (store_mkdirs(&s->sd, "store.git/objects", 0700, e) == -1 ||
	    store_mkdirs(&s->sd, "store.git/refs/heads", 0700, e) == -1 ||
	    store_mkdirs(&s->sd, "store.git/refs/tags", 0700, e) == -1)
		return -1;
	if ((gfd = statedir_subdir(&s->sd, "store.git", 0, e)) == -1)
		return -1;
	if (store_init_file(gfd, path, "config", "[core]\n\tbare = true\n"
	    "\trepositoryformatversion = 0\n\tfilemode = true\n", e) == -1 ||
	    store_init_file(gfd, path, "HEAD", "ref: refs/heads/main\n", e) == -1)
		goto cleanup;
	if ((s->objfd = statedir_subdir(&s->sd, "store.git/objects", 0, e)) == -1)
		goto cleanup;
	rc = 0;
cleanup:
	close(gfd);
	return rc;
}

/*
 * libgit2 and the repository, for the functions that need them: waits for
 * the loader thread store_open started, then opens store.git.
 */
static int
store_git(struct store *s, struct err *e)
{
	if (s->repo != NULL)
		return 0;
	if (s->loading) {
		pthread_join(s->loader, NULL);
		s->loading = 0;
	}
	if (s->g == NULL && (s->g = git2_load(e)) == NULL)
		return -1;
	if (store_git_settings(s->g, e) == -1 || store_open_repo(s, e) == -1)
		return -1;
	return 0;
}

void
store_preload(struct store *s)
{
	if (!s->loading && s->g == NULL)
		s->loading = git2_preload(&s->loader) == 0;
}

int
store_ready(struct store *s, struct err *e)
{
	return store_git(s, e);
}

/*
 * Everything in the state directory passes the trust rule, ACLs included
 * (fsroot_judge_tree): revert writes back what the history says, so a ref,
 * an object or a kept original that another user could change is a way to
 * put their code into Bucardo.pm. A store made by an older version under a
 * loose umask, or below a default ACL, is refused here rather than used.
 */
static int
store_trusted(struct fsroot *root, const char *inner, struct err *e)
{
	int rc = fsroot_judge_tree(root, inner, e);

	if (rc == FSROOT_UNTRUSTED) {
		err_hint(e, "another user could have changed the history or the kept originals "
		    "that revert writes back; check them, then chmod -R go-w and setfacl -R -b "
		    "the state directory");
		return -1;
	}
	return rc;
}

int
store_open(struct store **out, struct fsroot *root, const char *inner, enum store_mode mode,
    unsigned lock_timeout_sec, struct err *e)
{
	struct store *s;
	int saved;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_sys(e, inner, "cannot open the backup store");
	s->lockfd = -1;
	s->objfd = -1;
	s->mode = mode;
	s->sd = (struct statedir)STATEDIR_INIT;
	if (statedir_open(&s->sd, root, inner, mode == STORE_WRITE ? STATEDIR_CREATE :
	    STATEDIR_READ, e) == -1)
		goto fail;
	if (s->sd.fd == -1) {
		err_set(e, NULL, "%s%s: no backup store here; nothing has been applied with this "
		    "state directory", root->host, inner);
		errno = ENOENT;
		goto fail;
	}
	s->dir = s->sd.path;
	if (store_lock(s, lock_timeout_sec, e) == -1 ||
	    (mode == STORE_WRITE && (store_clear_git_locks(s, e) == -1 ||
	    store_init_layout(s, e) == -1)) ||
	    store_trusted(root, inner, e) == -1 ||
	    (mode == STORE_READ && store_git(s, e) == -1))
		goto fail;
	*out = s;
	return 0;

fail:
	saved = errno;
	store_close(s);
	errno = saved;
	return -1;
}

const struct statedir *
store_statedir(const struct store *s)
{
	return &s->sd;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->loading)
		pthread_join(s->loader, NULL);
	if (s->g != NULL)
		s->g->git_repository_free(s->repo);
	if (s->objfd != -1)
		close(s->objfd);
	if (s->lockfd != -1)
		close(s->lockfd);
	statedir_close(&s->sd);
	free(s);
}

/* Open name in dirfd for reading: a regular file, never a link, never blocking. */
static int
store_open_kept(int dirfd, const char *name, const char *path, struct err *e)
{
	struct stat st;
	int fd;

	/* Its type first: a fifo or a device planted there is never opened. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
		return err_set(e, path, "the kept original is not a regular file; move it aside "
		    "and run again");
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		return err_sys(e, path, "cannot open the kept original");
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, path, "the kept original is not a regular file; move it aside "
		    "and run again");
	}
	return fd;
}

/*
 * Read the gzip file fd whole into out, at most STORE_KEPT_LIMIT bytes.
 * Takes fd. *plain is set when the file was no gzip stream at all.
 */
static int
store_gz_read(int fd, const char *path, struct buf *out, int *plain, struct err *e)
{
	unsigned char *chunk;
	gzFile gz;
	int n, zerr, rc = -1;

	if ((chunk = malloc(STORE_CHUNK)) == NULL || (gz = gzdopen(fd, "rb")) == NULL) {
		free(chunk);
		close(fd);
		return err_sys(e, path, "cannot read the kept original");
	}
	while ((n = gzread(gz, chunk, STORE_CHUNK)) != 0) {
		if (n < 0) {
			err_set(e, path, "the kept original is damaged (%s); move it aside and run "
			    "again", gzerror(gz, &zerr));
			goto cleanup;
		}
		if (out->len + (size_t)n > STORE_KEPT_LIMIT) {
			err_set(e, path, "the kept original is larger than any Bucardo.pm; not used");
			goto cleanup;
		}
		if (buf_append(out, chunk, (size_t)n) == -1) {
			err_sys(e, path, "cannot read the kept original");
			goto cleanup;
		}
	}
	/* gzdirect(): zlib passes a file that is no gzip stream through. */
	*plain = gzdirect(gz);
	rc = 0;
cleanup:
	gzclose(gz);
	free(chunk);
	return rc;
}

/*
 * Blobs are written here rather than by libgit2: hashed with Nettle's
 * SHA-1 (with SHA-NI, a third of the time of libgit2's collision-detecting
 * SHA-1), and written with atomic_writev_at as loose objects that git and
 * libgit2 read like their own. A kept original is deflated once: the same
 * raw deflate stream is the body of its git object and of its gzip copy.
 * The other blobs (what apply wrote, mostly) are stored, not deflated, as
 * git's core.looseCompression=0 writes them: deflating costs about 3 ms per
 * 400 KiB on every first apply and saves about 280 KiB of disk per apply,
 * and `git gc` packs them if anyone asks.
 */
#define STORE_HDR_MAX	32
#define STORE_STORED_MAX	65535	/* the most a stored deflate block holds */

struct store_blob {
	unsigned char	 oid[SHA1_DIGEST_SIZE];
	char		 hex[GIT_OID_HEXSZ + 1];
	char		 hdr[STORE_HDR_MAX];	/* "blob LEN" and its NUL: git's object header */
	size_t		 hlen;
	unsigned char	*raw;		/* data as a raw deflate stream (RFC 1951), or NULL */
	size_t		 rawlen;
};

#define STORE_BLOB_INIT { { 0 }, "", "", 0, NULL, 0 }

static void
store_tohex(char hex[GIT_OID_HEXSZ + 1], const unsigned char *raw)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SHA1_DIGEST_SIZE; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[GIT_OID_HEXSZ] = '\0';
}

static int
store_xdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A blob id (40 lower-case hex digits) as its 20 bytes. */
static int
store_fromhex(unsigned char *raw, const char *hex)
{
	size_t i;
	int hi, lo;

	if (strlen(hex) != GIT_OID_HEXSZ)
		return -1;
	for (i = 0; i < SHA1_DIGEST_SIZE; i++) {
		if ((hi = store_xdigit(hex[2 * i])) == -1 || (lo = store_xdigit(hex[2 * i + 1])) == -1)
			return -1;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* The blob id of data (what `git hash-object` prints): SHA-1 of the header and data. */
static void
store_blob_hash(struct store_blob *b, const void *data, size_t len)
{
	struct sha1_ctx c;

	b->hlen = (size_t)snprintf(b->hdr, sizeof(b->hdr), "blob %zu", len) + 1;
	sha1_init(&c);
	sha1_update(&c, b->hlen, (const uint8_t *)b->hdr);
	sha1_update(&c, len, data);
	sha1_digest(&c, SHA1_DIGEST_SIZE, b->oid);
	store_tohex(b->hex, b->oid);
}

/*
 * data as one raw deflate stream, in b->raw. Level 1: a 400 KiB module
 * shrinks almost as well as at level 6 (119 KiB against 95), at a quarter
 * of the cost (about 3 ms against 10).
 */
static int
store_blob_deflate(struct store_blob *b, const void *data, size_t len)
{
	z_stream z;
	uLong bound;
	int rc = -1;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len);
	if ((b->raw = malloc(bound)) == NULL)
		goto cleanup;
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = b->raw;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
		b->rawlen = bound - z.avail_out;
		rc = 0;
	}
cleanup:
	deflateEnd(&z);
	return rc;
}

static void
store_put16le(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void
store_put32(unsigned char *p, uLong v, int big)
{
	int i;

	for (i = 0; i < 4; i++)
		p[big ? 3 - i : i] = (unsigned char)((v >> (8 * i)) & 0xff);
}

/* A stored deflate block's head: not (or last) the last block, then LEN and NLEN. */
static void
store_stored_head(unsigned char p[5], size_t n, int last)
{
	p[0] = last ? 1 : 0;	/* BFINAL, BTYPE 00; the rest of the byte is padding */
	store_put16le(p + 1, (unsigned)n);
	store_put16le(p + 3, (unsigned)~n & 0xffff);
}

/*
 * Write the loose object of blob b (of data) as name in dfd: a zlib stream
 * (RFC 1950) of the header and data. The header is a stored block of its
 * own; data follows as b->raw (whose back-references reach nothing before
 * data) or, with no b->raw, as stored blocks pointing into data.
 */
static int
store_blob_write(int dfd, const char *dir, const char *name, const struct store_blob *b,
    const void *data, size_t len, struct err *e)
{
	unsigned char head[2 + 5 + STORE_HDR_MAX], tail[4], *heads = NULL;
	struct iovec *iov;
	size_t nblocks = 0, i, n;
	int niov = 0, rc;

	head[0] = 0x78;		/* deflate, 32 KiB window */
	head[1] = 0x01;		/* no dictionary; (0x78 << 8 | 0x01) % 31 == 0 */
	store_stored_head(head + 2, b->hlen, 0);
	memcpy(head + 7, b->hdr, b->hlen);
	store_put32(tail, adler32(adler32(1L, (const Bytef *)b->hdr, (uInt)b->hlen), data,
	    (uInt)len), 1);
	if (b->raw == NULL)
		nblocks = len == 0 ? 1 : (len + STORE_STORED_MAX - 1) / STORE_STORED_MAX;
	if ((iov = calloc(2 * nblocks + 3, sizeof(*iov))) == NULL ||
	    (nblocks > 0 && (heads = malloc(5 * nblocks)) == NULL)) {
		free(iov);
		return err_sys(e, dir, "out of memory");
	}
	iov[niov].iov_base = head;
	iov[niov++].iov_len = 7 + b->hlen;
	if (b->raw != NULL) {
		iov[niov].iov_base = b->raw;
		iov[niov++].iov_len = b->rawlen;
	}
	for (i = 0; i < nblocks; i++) {
		n = len - i * STORE_STORED_MAX < STORE_STORED_MAX ? len - i * STORE_STORED_MAX :
		    STORE_STORED_MAX;
		store_stored_head(heads + 5 * i, n, i == nblocks - 1);
		iov[niov].iov_base = heads + 5 * i;
		iov[niov++].iov_len = 5;
		iov[niov].iov_base = (char *)(uintptr_t)data + i * STORE_STORED_MAX;
		iov[niov++].iov_len = n;
	}
	iov[niov].iov_base = tail;
	iov[niov++].iov_len = sizeof(tail);
	rc = atomic_writev_at(dfd, dir, name, iov, niov, 0444, ATOMIC_DEFER_SYNC, e);
	free(heads);
	free(iov);
	return rc;
}

/* Does the loose object name in dfd inflate to exactly b's header and data, and end there? */
static int
store_blob_found(int dfd, const char *name, const struct store_blob *b, const void *data,
    size_t len)
{
	unsigned char *in = NULL, *out = NULL, *want;
	size_t pos = 0, total = b->hlen + len, got, from, n;
	struct stat st;
	z_stream z;
	ssize_t r;
	int fd, zrc = Z_OK, same = 1;

	memset(&z, 0, sizeof(z));
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (in = malloc(STORE_CHUNK)) == NULL ||
	    (out = malloc(STORE_CHUNK)) == NULL || inflateInit(&z) != Z_OK) {
		free(in);
		free(out);
		close(fd);
		return 0;
	}
	while (same && zrc != Z_STREAM_END && (r = read(fd, in, STORE_CHUNK)) > 0) {
		z.next_in = in;
		z.avail_in = (uInt)r;
		do {
			z.next_out = out;
			z.avail_out = STORE_CHUNK;
			zrc = inflate(&z, Z_NO_FLUSH);
			if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
				same = 0;
				break;
			}
			got = STORE_CHUNK - z.avail_out;
			if (pos + got > total) {
				same = 0;
				break;
			}
			/* Compared with the header, then with data. */
			for (from = 0; from < got; from += n, pos += n) {
				want = pos < b->hlen ? (unsigned char *)b->hdr + pos :
				    (unsigned char *)(uintptr_t)data + (pos - b->hlen);
				n = pos < b->hlen ? b->hlen - pos : total - pos;
				if (n > got - from)
					n = got - from;
				if (memcmp(out + from, want, n) != 0) {
					same = 0;
					break;
				}
			}
		} while (same && zrc != Z_STREAM_END && z.avail_out == 0);
	}
	/* Nothing may follow the stream: git calls that garbage. */
	same = same && zrc == Z_STREAM_END && pos == total && z.avail_in == 0 &&
	    read(fd, in, 1) == 0;
	inflateEnd(&z);
	free(in);
	free(out);
	close(fd);
	return same;
}

/*
 * Write blob b (of data) into store.git/objects, unless it is there. The
 * name says what the file holds, so one found there is kept when it
 * inflates to the blob, and replaced when it does not (a write a power
 * failure cut off: objects are written without an fsync of their own).
 * Nothing is written for a blob already kept, not even on a full disk.
 * Durable with the next store_sync().
 */
static int
store_blob_put(struct store *s, struct store_blob *b, const void *data, size_t len,
    struct err *e)
{
	char sub[3], path[PATH_MAX];
	int dfd, rc;

	memcpy(sub, b->hex, 2);
	sub[2] = '\0';
	if (store_pathf(path, sizeof(path), e, "%s/store.git/objects/%s", s->dir, sub) == -1)
		return -1;
	if (mkdirat(s->objfd, sub, 0700) == -1 && errno != EEXIST)
		return err_sys(e, path, "cannot create the object directory");
	if ((dfd = openat(s->objfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return err_sys(e, path, "cannot open the object directory");
	rc = 0;
	if (!store_blob_found(dfd, b->hex + 2, b, data, len))
		rc = store_blob_write(dfd, path, b->hex + 2, b, data, len, e);
	close(dfd);
	return rc;
}

/* Is name a gzip copy of base (BASE.ID.gz)? Then *id receives ID. */
static int
store_is_kept(const char *name, const char *base, char id[GIT_OID_HEXSZ + 1])
{
	size_t blen = strlen(base), i;

	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return 0;
	name += blen + 1;
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i]))
			return 0;
	if (strcmp(name + GIT_OID_HEXSZ, ".gz") != 0)
		return 0;
	memcpy(id, name, GIT_OID_HEXSZ);
	id[GIT_OID_HEXSZ] = '\0';
	return 1;
}

/*
 * The directory below originals/ that keeps the copies of the file rel
 * (the real path without its leading slash), and the file's base name;
 * made when missing with create (durable with the next store_sync()).
 */
static int
store_originals_dir(const struct statedir *sd, const char *rel, int create, const char **base,
    struct err *e)
{
	char *dir;
	const char *slash = strrchr(rel, '/');
	int fd;

	*base = slash != NULL ? slash + 1 : rel;
	if (asprintf(&dir, "originals/%.*s", slash != NULL ? (int)(slash - rel) : 0, rel) == -1)
		return err_sys(e, sd->path, "out of memory");
	fd = statedir_subdir(sd, dir, 0, e);
	if (fd == -1 && errno == ENOENT && create && store_mkdirs(sd, dir, 0700, e) == 0)
		fd = statedir_subdir(sd, dir, 0, e);
	free(dir);
	return fd;
}

/*
 * The store's barrier: everything written to the state directory's file
 * system so far reaches the disk, with one syncfs() rather than an fsync
 * per object, tree, ref and directory.
 */
int
store_sync(struct store *s, struct err *e)
{
	if (syncfs(s->sd.fd) == -1)
		return err_sys(e, s->dir, "cannot sync the backup store to disk");
	return 0;
}

int
store_keep_original(struct store *s, const char *real_path,
    const void *data, size_t len, char id[41], struct err *e)
{
	struct store_blob b = STORE_BLOB_INIT;
	char *name = NULL, *path = NULL, *tag = NULL;
	struct buf have = BUF_INIT;
	/* gzip (RFC 1952): no name, no time, Unix; then CRC-32 and length. */
	unsigned char head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 }, tail[8];
	struct iovec gz[3];
	const char *rel, *base;
	struct stat st;
	int dfd = -1, fd, plain, rc = -1;

	if ((rel = store_relpath(real_path, e)) == NULL)
		return -1;
	store_blob_hash(&b, data, len);
	if (store_blob_deflate(&b, data, len) == -1) {
		err_sys(e, real_path, "cannot compress the original");
		goto cleanup;
	}
	if (store_blob_put(s, &b, data, len, e) == -1)
		goto cleanup;
	crash_point("after-backup-blob");
	if ((dfd = store_originals_dir(&s->sd, rel, 1, &base, e)) == -1)
		goto cleanup;
	if (asprintf(&name, "%s.%s.gz", base, b.hex) == -1 ||
	    asprintf(&path, "%s/originals/%s.%s.gz", s->dir, rel, b.hex) == -1 ||
	    asprintf(&tag, "%s.", base) == -1) {
		err_sys(e, real_path, "out of memory");
		goto cleanup;
	}
	/* An existing copy is verified, never overwritten (STYLE.md point 8). */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
		if ((fd = store_open_kept(dfd, name, path, e)) == -1 ||
		    store_gz_read(fd, path, &have, &plain, e) == -1)
			goto cleanup;
		if (plain || have.len != len || memcmp(have.data, data, len) != 0) {
			err_set(e, path, "a kept original with this id holds other bytes; move it "
			    "aside and run again");
			goto cleanup;
		}
	} else {
		/* Temporary copies of other ids a killed run left here go first. */
		atomic_sweep(dfd, tag, 1);
		store_put32(tail, crc32(0L, data, (uInt)len), 0);
		store_put32(tail + 4, (uLong)(len & 0xffffffffu), 0);
		gz[0] = (struct iovec){ head, sizeof(head) };
		gz[1] = (struct iovec){ b.raw, b.rawlen };
		gz[2] = (struct iovec){ tail, sizeof(tail) };
		/*
		 * Its content is fsynced before its name appears, so that no
		 * power failure leaves a name holding part of a copy (which
		 * every later run would refuse); the name is made durable by
		 * the caller's store_sync().
		 */
		if (atomic_writev_at(dfd, path, name, gz, 3, 0600,
		    ATOMIC_NOREPLACE | ATOMIC_DEFER_DIRSYNC, e) == -1)
			goto cleanup;
	}
	if (id != NULL)
		memcpy(id, b.hex, sizeof(b.hex));
	crash_point("after-backup-gzip");
	rc = 0;
cleanup:
	if (dfd != -1)
		close(dfd);
	free(b.raw);
	buf_release(&have);
	free(tag);
	free(path);
	free(name);
	return rc;
}

static int
store_kept_cmp(const void *x, const void *y)
{
	const struct store_kept *a = x, *b = y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? 1 : -1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? 1 : -1;
	return strcmp(a->id, b->id);
}

int
store_kept_originals(const struct statedir *sd, const char *real_path,
    struct store_kept **list, size_t *n, struct err *e)
{
	char id[GIT_OID_HEXSZ + 1];
	struct store_kept *all = NULL, *grown;
	const char *rel, *base;
	struct dirent *de;
	struct stat st;
	size_t count = 0;
	DIR *d;
	int fd;

	*list = NULL;
	*n = 0;
	if (sd->fd == -1)
		return 0;
	if ((rel = store_relpath(real_path, e)) == NULL)
		return -1;
	if ((fd = store_originals_dir(sd, rel, 0, &base, e)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_sys(e, sd->path, "cannot list the kept originals");
	}
	while ((de = readdir(d)) != NULL) {
		if (!store_is_kept(de->d_name, base, id) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((grown = reallocarray(all, count + 1, sizeof(*all))) == NULL) {
			closedir(d);
			free(all);
			return err_sys(e, sd->path, "cannot list the kept originals");
		}
		all = grown;
		memcpy(all[count].id, id, sizeof(id));
		all[count++].mtime = st.st_mtim;
	}
	closedir(d);
	if (count > 0)
		qsort(all, count, sizeof(*all), store_kept_cmp);
	*list = all;
	*n = count;
	return 0;
}

int
store_read_kept(struct store *s, const char *real_path, const char *id,
    struct buf *out, struct err *e)
{
	char have[GIT_OID_HEXSZ + 1], *name = NULL, *path = NULL;
	struct buf text = BUF_INIT;
	const char *rel, *base;
	int dfd = -1, fd, plain, rc = -1;

	if ((rel = store_relpath(real_path, e)) == NULL ||
	    (dfd = store_originals_dir(&s->sd, rel, 0, &base, e)) == -1)
		return -1;
	if (asprintf(&name, "%s.%s.gz", base, id) == -1 ||
	    asprintf(&path, "%s/originals/%s.%s.gz", s->dir, rel, id) == -1) {
		err_sys(e, real_path, "out of memory");
		goto cleanup;
	}
	if ((fd = store_open_kept(dfd, name, path, e)) == -1 ||
	    store_gz_read(fd, path, &text, &plain, e) == -1)
		goto cleanup;
	if (store_blob_id(s, text.data ? text.data : "", text.len, have, e) == -1)
		goto cleanup;
	if (strcmp(have, id) != 0) {
		err_set(e, path, "the kept original does not hold what its name "
		    "says (its bytes hash to %s); not used", have);
		goto cleanup;
	}
	if (buf_append(out, text.data ? text.data : "", text.len) == -1) {
		err_sys(e, path, "cannot read the kept original");
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (dfd != -1)
		close(dfd);
	buf_release(&text);
	free(path);
	free(name);
	return rc;
}

/*
 * The tree and commit HEAD points at; both NULL (and 0 returned) while
 * nothing has been committed.
 */
static int
store_head(struct store *s, git_commit **commit, git_tree **tree, git_oid *id,
    struct err *e)
{
	const struct git2_api *g = s->g;
	git_oid oid;
	int error;

	*commit = NULL;
	*tree = NULL;
	error = g->git_reference_name_to_id(id != NULL ? id : &oid, s->repo, "HEAD");
	if (id == NULL)
		id = &oid;
	if (error == GIT_ENOTFOUND || error == GIT_EUNBORNBRANCH)
		return 0;
	if (error < 0 || g->git_commit_lookup(commit, s->repo, id) < 0 ||
	    g->git_commit_tree(tree, *commit) < 0) {
		err_set(e, s->dir, "cannot read the backup store's HEAD: %s",
		    git2_message(g));
		g->git_commit_free(*commit);
		*commit = NULL;
		return -1;
	}
	return 0;
}

/* The blob entry at path in tree; NULL when absent. */
static int
store_entry(const struct git2_api *g, git_tree_entry **out, git_tree *tree,
    const char *path, struct err *e)
{
	int error;

	*out = NULL;
	if (tree == NULL)
		return 0;
	error = g->git_tree_entry_bypath(out, tree, path);
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0)
		return err_set(e, path, "cannot read the backup store: %s",
		    git2_message(g));
	if (g->git_tree_entry_type(*out) != GIT_OBJECT_BLOB) {
		g->git_tree_entry_free(*out);
		*out = NULL;
		return err_set(e, path, "the backup store holds no file here; "
		    "its tree is damaged");
	}
	return 0;
}

static int
store_check_field(const char *name, const char *value, struct err *e)
{
	if (value != NULL && strchr(value, '\n') != NULL)
		return err_set(e, NULL, "%s \"%s\" holds a newline and cannot "
		    "be recorded", name, value);
	return 0;
}

static int
store_message(struct buf *msg, const struct store_record *r,
    const char *before, const char *after)
{
	if (buf_printf(msg, "%s %s\n\nAction: %s\nPath: %s\n", r->action,
	    r->path, r->action, r->path) == -1 ||
	    (r->bucardo_version != NULL && buf_printf(msg,
	    "Bucardo-Version: %s\n", r->bucardo_version) == -1) ||
	    buf_printf(msg, "Tool-Version: bucardo-aiven %s\n",
	    PACKAGE_VERSION) == -1 ||
	    (r->function != NULL && buf_printf(msg, "Function: %s\n",
	    r->function) == -1) ||
	    buf_printf(msg, "Before: %s\nAfter: %s\n", before, after) == -1 ||
	    (r->original_note != NULL && buf_printf(msg, "Original: %s\nOriginal-Verified: %s\n",
	    r->original_note, r->original_verified ? "yes" : "no") == -1))
		return -1;
	return 0;
}

/* "bucardo-aiven <user@host>" of whoever ran it, now. */
static int
store_signature(const struct git2_api *g, git_signature **sig)
{
	struct passwd *pw;
	char host[256], email[512];

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(email, sizeof(email), "%s@%s", pw->pw_name, host);
	else
		snprintf(email, sizeof(email), "uid%u@%s", (unsigned)geteuid(),
		    host);
	return g->git_signature_now(sig, "bucardo-aiven", email);
}

/*
 * The blob id of data, as a git_oid and in hex: its object written, unless
 * known gives the id of a blob this run has written (store_keep_original).
 */
static int
store_put_data(struct store *s, const void *data, size_t len, const char *known,
    git_oid *oid, char hex[GIT_OID_HEXSZ + 1], struct err *e)
{
	struct store_blob b = STORE_BLOB_INIT;
	int rc = -1;

	if (known != NULL) {
		if (store_fromhex(b.oid, known) == -1)
			return err_set(e, s->dir, "%s: not a blob id", known);
		store_tohex(b.hex, b.oid);
	} else {
		store_blob_hash(&b, data, len);
		if (store_blob_put(s, &b, data, len, e) == -1)
			goto cleanup;
	}
	if (s->g->git_oid_fromraw(oid, b.oid) < 0) {
		err_set(e, s->dir, "cannot record the change: %s", git2_message(s->g));
		goto cleanup;
	}
	memcpy(hex, b.hex, sizeof(b.hex));
	rc = 0;
cleanup:
	free(b.raw);
	return rc;
}

/*
 * The bytes an apply finds are the original to put back, unless they are
 * the tool's own earlier output: after a package upgrade the new upstream
 * file is what a revert must restore, after a rules update it is not.
 */
int
store_prepare(struct store *s, const struct store_record *r, struct err *e)
{
	const struct git2_api *g;
	char before[GIT_OID_HEXSZ + 1], after[GIT_OID_HEXSZ + 1], ohex[GIT_OID_HEXSZ + 1];
	struct buf opath = BUF_INIT, wpath = BUF_INIT, msg = BUF_INIT;
	git_commit *head = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_entry *orig = NULL, *written = NULL;
	git_signature *sig = NULL;
	git_tree_update up[2];
	git_oid before_id, after_id, original_id, tree_id, head_id;
	const git_commit *parents[1];
	const char *rel;
	size_t nup = 0;
	int rc = -1;

	s->has_pending = 0;
	if (r->action == NULL || r->path == NULL)
		return err_set(e, s->dir, "a record needs an action and a path");
	if ((rel = store_relpath(r->path, e)) == NULL ||
	    store_check_field("action", r->action, e) == -1 ||
	    store_check_field("Bucardo version", r->bucardo_version, e) == -1 ||
	    store_check_field("function", r->function, e) == -1 ||
	    store_check_field("original note", r->original_note, e) == -1 ||
	    store_git(s, e) == -1)
		return -1;
	g = s->g;

	if (store_put_data(s, r->before, r->before_len, r->original == NULL ? r->kept_id : NULL,
	    &before_id, before, e) == -1)
		goto cleanup;
	if (r->after == r->before && r->after_len == r->before_len) {
		after_id = before_id;
		memcpy(after, before, sizeof(after));
	} else if (store_put_data(s, r->after, r->after_len, NULL, &after_id, after, e) == -1)
		goto cleanup;
	if (r->original != NULL && store_put_data(s, r->original, r->original_len, r->kept_id,
	    &original_id, ohex, e) == -1)
		goto cleanup;

	if (buf_printf(&opath, "original/%s", rel) == -1 ||
	    buf_printf(&wpath, "written/%s", rel) == -1) {
		err_sys(e, r->path, "cannot record the change");
		goto cleanup;
	}
	if (store_head(s, &head, &base, &head_id, e) == -1 ||
	    store_entry(g, &orig, base, opath.data, e) == -1 ||
	    store_entry(g, &written, base, wpath.data, e) == -1)
		goto cleanup;

	memset(up, 0, sizeof(up));
	if (r->after_is_original) {
		if (written != NULL) {
			up[nup].action = GIT_TREE_UPDATE_REMOVE;
			up[nup++].path = wpath.data;
		}
		if (orig == NULL) {
			up[nup].action = GIT_TREE_UPDATE_UPSERT;
			up[nup].id = after_id;
			up[nup].filemode = GIT_FILEMODE_BLOB;
			up[nup++].path = opath.data;
		}
	} else {
		if (r->original != NULL) {
			up[nup].action = GIT_TREE_UPDATE_UPSERT;
			up[nup].id = original_id;
			up[nup].filemode = GIT_FILEMODE_BLOB;
			up[nup++].path = opath.data;
		} else if (orig == NULL || written == NULL ||
		    !g->git_oid_equal(g->git_tree_entry_id(written), &before_id)) {
			up[nup].action = GIT_TREE_UPDATE_UPSERT;
			up[nup].id = before_id;
			up[nup].filemode = GIT_FILEMODE_BLOB;
			up[nup++].path = opath.data;
		}
		up[nup].action = GIT_TREE_UPDATE_UPSERT;
		up[nup].id = after_id;
		up[nup].filemode = GIT_FILEMODE_BLOB;
		up[nup++].path = wpath.data;
	}

	if (g->git_tree_create_updated(&tree_id, s->repo, base, nup, up) < 0 ||
	    g->git_tree_lookup(&tree, s->repo, &tree_id) < 0) {
		err_set(e, r->path, "cannot record the change in the backup "
		    "store: %s", git2_message(g));
		goto cleanup;
	}
	if (store_message(&msg, r, before, after) == -1) {
		err_sys(e, r->path, "cannot record the change");
		goto cleanup;
	}
	/* The commit only: no reference moves until store_publish(). */
	parents[0] = head;
	if (store_signature(g, &sig) < 0 ||
	    g->git_commit_create(&s->pending, s->repo, NULL, sig, sig, NULL,
	    msg.data, tree, head != NULL ? 1 : 0, parents) < 0) {
		err_set(e, r->path, "cannot commit the change to the backup "
		    "store: %s", git2_message(g));
		goto cleanup;
	}
	s->has_parent = head != NULL;
	if (head != NULL)
		s->parent = head_id;
	s->has_pending = 1;
	rc = 0;

cleanup:
	g->git_signature_free(sig);
	g->git_tree_free(tree);
	g->git_tree_entry_free(written);
	g->git_tree_entry_free(orig);
	g->git_tree_free(base);
	g->git_commit_free(head);
	buf_release(&msg);
	buf_release(&wpath);
	buf_release(&opath);
	return rc;
}

/*
 * The branch is moved by writing its loose ref file with atomic_write_at,
 * as git would ("<id>\n", fsynced, renamed, its directory fsynced): durable
 * when this returns with two small fsyncs rather than a syncfs(), and never
 * left empty by a power failure, which a ref that libgit2 renames into
 * place unsynced could be. STATE/lock keeps every other run of ours away;
 * the branch must still be where it was when the commit was made.
 */
int
store_publish(struct store *s, struct err *e)
{
	const struct git2_api *g = s->g;
	git_reference *head = NULL;
	const char *branch, *name;
	char line[GIT_OID_HEXSZ + 2], path[PATH_MAX];
	git_oid now;
	int error, dfd = -1, rc = -1;

	if (!s->has_pending)
		return err_set(e, s->dir, "no change prepared to record");
	s->has_pending = 0;
	if (g->git_reference_lookup(&head, s->repo, "HEAD") < 0 ||
	    g->git_reference_type(head) != GIT_REFERENCE_SYMBOLIC ||
	    (branch = g->git_reference_symbolic_target(head)) == NULL ||
	    strncmp(branch, "refs/heads/", 11) != 0 || *(name = branch + 11) == '\0' ||
	    strchr(name, '/') != NULL || name[0] == '.') {
		err_set(e, s->dir, "cannot record the change: the backup store's HEAD does not "
		    "name a branch of refs/heads/");
		goto cleanup;
	}
	error = g->git_reference_name_to_id(&now, s->repo, "HEAD");
	if (s->has_parent ? error < 0 || !g->git_oid_equal(&now, &s->parent) :
	    error != GIT_ENOTFOUND && error != GIT_EUNBORNBRANCH) {
		err_set(e, s->dir, "cannot record the change: %s moved while this run wrote to "
		    "the backup store", branch);
		goto cleanup;
	}
	g->git_oid_tostr(line, GIT_OID_HEXSZ + 1, &s->pending);
	line[GIT_OID_HEXSZ] = '\n';
	line[GIT_OID_HEXSZ + 1] = '\0';
	if (store_pathf(path, sizeof(path), e, "%s/store.git/refs/heads", s->dir) == -1 ||
	    (dfd = statedir_subdir(&s->sd, "store.git/refs/heads", 0, e)) == -1)
		goto cleanup;
	rc = atomic_write_at(dfd, path, name, line, GIT_OID_HEXSZ + 1, 0644, 0, e);
cleanup:
	if (dfd != -1)
		close(dfd);
	g->git_reference_free(head);
	return rc;
}

/*
 * The objects are made durable (store_sync) before the branch names them:
 * else a power failure could leave the branch naming a commit never
 * written; store_publish makes the branch durable.
 */
int
store_commit(struct store *s, const struct store_record *r, struct err *e)
{
	if (store_prepare(s, r, e) == -1 || store_sync(s, e) == -1)
		return -1;
	return store_publish(s, e);
}

int
store_lookup(struct store *s, const char *real_path, struct buf *original,
    char original_id[41], char written_id[41], struct err *e)
{
	const struct git2_api *g;
	struct buf opath = BUF_INIT, wpath = BUF_INIT;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_tree_entry *orig = NULL, *written = NULL;
	git_blob *blob = NULL;
	const char *rel;
	int rc = -1;

	if (original_id != NULL)
		original_id[0] = '\0';
	if (written_id != NULL)
		written_id[0] = '\0';
	if ((rel = store_relpath(real_path, e)) == NULL || store_git(s, e) == -1)
		return -1;
	g = s->g;
	if (buf_printf(&opath, "original/%s", rel) == -1 ||
	    buf_printf(&wpath, "written/%s", rel) == -1) {
		err_sys(e, real_path, "cannot look up the backup");
		goto cleanup;
	}
	if (store_head(s, &head, &tree, NULL, e) == -1 ||
	    store_entry(g, &orig, tree, opath.data, e) == -1 ||
	    store_entry(g, &written, tree, wpath.data, e) == -1)
		goto cleanup;
	if (written != NULL && written_id != NULL)
		store_hex(g, written_id, g->git_tree_entry_id(written));
	if (orig == NULL) {
		rc = 0;
		goto cleanup;
	}
	if (original_id != NULL)
		store_hex(g, original_id, g->git_tree_entry_id(orig));
	if (original != NULL) {
		if (g->git_blob_lookup(&blob, s->repo,
		    g->git_tree_entry_id(orig)) < 0) {
			err_set(e, real_path, "cannot read the original from "
			    "the backup store: %s; the gzip copy under "
			    "%s/originals/ restores it", git2_message(g), s->dir);
			goto cleanup;
		}
		if (buf_append(original, g->git_blob_rawcontent(blob),
		    (size_t)g->git_blob_rawsize(blob)) == -1) {
			err_sys(e, real_path, "cannot read the original");
			goto cleanup;
		}
	}
	rc = 1;

cleanup:
	g->git_blob_free(blob);
	g->git_tree_entry_free(written);
	g->git_tree_entry_free(orig);
	g->git_tree_free(tree);
	g->git_commit_free(head);
	buf_release(&wpath);
	buf_release(&opath);
	return rc;
}

int
store_read_written(struct store *s, const char *real_path, struct buf *out,
    struct err *e)
{
	const struct git2_api *g;
	struct buf wpath = BUF_INIT;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_tree_entry *written = NULL;
	git_blob *blob = NULL;
	const char *rel;
	int rc = -1;

	if ((rel = store_relpath(real_path, e)) == NULL || store_git(s, e) == -1)
		return -1;
	g = s->g;
	if (buf_printf(&wpath, "written/%s", rel) == -1) {
		err_sys(e, real_path, "cannot look up the backup");
		goto cleanup;
	}
	if (store_head(s, &head, &tree, NULL, e) == -1 ||
	    store_entry(g, &written, tree, wpath.data, e) == -1)
		goto cleanup;
	if (written == NULL) {
		rc = 0;
		goto cleanup;
	}
	if (g->git_blob_lookup(&blob, s->repo, g->git_tree_entry_id(written)) < 0) {
		err_set(e, real_path, "cannot read what was written from the "
		    "backup store: %s", git2_message(g));
		goto cleanup;
	}
	if (buf_append(out, g->git_blob_rawcontent(blob),
	    (size_t)g->git_blob_rawsize(blob)) == -1) {
		err_sys(e, real_path, "cannot read what was written");
		goto cleanup;
	}
	rc = 1;

cleanup:
	g->git_blob_free(blob);
	g->git_tree_entry_free(written);
	g->git_tree_free(tree);
	g->git_commit_free(head);
	buf_release(&wpath);
	return rc;
}

int
store_blob_id(struct store *s, const void *data, size_t len, char id[41],
    struct err *e)
{
	struct store_blob b = STORE_BLOB_INIT;

	(void)s;
	(void)e;
	store_blob_hash(&b, data, len);
	memcpy(id, b.hex, sizeof(b.hex));
	return 0;
}

static void
store_event_release(struct store_event *ev)
{
	free(ev->action);
	free(ev->path);
	free(ev->bucardo_version);
	free(ev->tool_version);
	free(ev->function);
	free(ev->original_note);
}

/* The value of line (n bytes) if it is the trailer "key: value", else NULL. */
static const char *
store_trailer(const char *line, size_t n, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);

	if (n < klen + 2 || strncmp(line, key, klen) != 0 ||
	    line[klen] != ':' || line[klen + 1] != ' ')
		return NULL;
	*vlen = n - klen - 2;
	return line + klen + 2;
}

static int
store_trailer_str(char **field, const char *line, size_t n, const char *key)
{
	const char *v;
	size_t vlen;

	if ((v = store_trailer(line, n, key, &vlen)) == NULL)
		return 0;
	free(*field);
	if ((*field = strndup(v, vlen)) == NULL)
		return -1;
	return 0;
}

static void
store_trailer_id(char id[41], const char *line, size_t n, const char *key)
{
	const char *v;
	size_t vlen;

	if ((v = store_trailer(line, n, key, &vlen)) != NULL &&
	    vlen == GIT_OID_HEXSZ) {
		memcpy(id, v, GIT_OID_HEXSZ);
		id[GIT_OID_HEXSZ] = '\0';
	}
}

/*
 * Fill ev from the trailers of a commit message: the "Key: value" lines
 * after its first blank line. Returns 0, or -1 with errno set.
 */
static int
store_parse_message(struct store_event *ev, const char *msg)
{
	const char *line;
	size_t n, vlen;

	if ((line = strstr(msg, "\n\n")) == NULL)
		return 0;
	for (line += 2; *line != '\0'; line += n + (line[n] == '\n')) {
		n = strcspn(line, "\n");
		if (store_trailer_str(&ev->action, line, n, "Action") == -1 ||
		    store_trailer_str(&ev->path, line, n, "Path") == -1 ||
		    store_trailer_str(&ev->bucardo_version, line, n,
		    "Bucardo-Version") == -1 ||
		    store_trailer_str(&ev->tool_version, line, n,
		    "Tool-Version") == -1 ||
		    store_trailer_str(&ev->function, line, n, "Function") == -1 ||
		    store_trailer_str(&ev->original_note, line, n, "Original") == -1)
			return -1;
		if (store_trailer(line, n, "Original-Verified", &vlen) != NULL)
			ev->original_verified = strncmp(line + 19, "yes", 3) == 0;
		store_trailer_id(ev->before, line, n, "Before");
		store_trailer_id(ev->after, line, n, "After");
	}
	return 0;
}

int
store_history(struct store *s, const char *real_path,
    struct store_event **events, size_t *n, struct err *e)
{
	const struct git2_api *g;
	struct store_event *list = NULL, *grown, ev;
	git_revwalk *walk = NULL;
	git_commit *commit = NULL;
	git_oid oid;
	size_t count = 0, cap = 0;
	int error, rc = -1;

	*events = NULL;
	*n = 0;
	if (store_git(s, e) == -1)
		return -1;
	g = s->g;
	if (g->git_revwalk_new(&walk, s->repo) < 0 ||
	    g->git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL) < 0)
		goto gitfail;
	/* git_revwalk_push_head() cannot tell an unborn HEAD from an error. */
	error = g->git_reference_name_to_id(&oid, s->repo, "HEAD");
	if (error == GIT_ENOTFOUND || error == GIT_EUNBORNBRANCH) {
		rc = 0;
		goto cleanup;
	}
	if (error < 0 || g->git_revwalk_push(walk, &oid) < 0)
		goto gitfail;

	while ((error = g->git_revwalk_next(&oid, walk)) == 0) {
		if (g->git_commit_lookup(&commit, s->repo, &oid) < 0)
			goto gitfail;
		memset(&ev, 0, sizeof(ev));
		ev.original_verified = -1;
		ev.when = (time_t)g->git_commit_time(commit);
		store_hex(g, ev.commit, &oid);
		if (store_parse_message(&ev, g->git_commit_message(commit)) == -1) {
			store_event_release(&ev);
			err_sys(e, s->dir, "cannot read the history");
			goto cleanup;
		}
		g->git_commit_free(commit);
		commit = NULL;
		/* Commits made by hand in the store are not actions of ours. */
		if (ev.action == NULL || ev.path == NULL ||
		    (real_path != NULL && strcmp(ev.path, real_path) != 0)) {
			store_event_release(&ev);
			continue;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = reallocarray(list, cap, sizeof(*list))) == NULL) {
				store_event_release(&ev);
				err_sys(e, s->dir, "cannot read the history");
				goto cleanup;
			}
			list = grown;
		}
		list[count++] = ev;
	}
	if (error != GIT_ITEROVER)
		goto gitfail;
	*events = list;
	*n = count;
	list = NULL;
	count = 0;
	rc = 0;
	goto cleanup;

gitfail:
	err_set(e, s->dir, "cannot read the history of the backup store: %s",
	    git2_message(g));
cleanup:
	g->git_commit_free(commit);
	g->git_revwalk_free(walk);
	store_events_free(list, count);
	return rc;
}

void
store_events_free(struct store_event *events, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_event_release(&events[i]);
	free(events);
}
