/* store.c: the backup store: state directory, lock, git repository and gzip copies. */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

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
	int			 lockfd;
	git_repository		*repo;
	git_odb			*odb;
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
 * Open store.git, creating it in write mode. A directory left half made by
 * an interrupted first run is not a repository yet and is initialised again.
 */
static int
store_open_repo(struct store *s, enum store_mode mode, struct err *e)
{
	const struct git2_api *g = s->g;
	git_repository_init_options opts;
	char path[PATH_MAX];
	int error;

	if (store_pathf(path, sizeof(path), e, "%s/store.git", s->dir) == -1)
		return -1;
	error = g->git_repository_open_bare(&s->repo, path);
	if (error == GIT_ENOTFOUND && mode == STORE_READ) {
		err_set(e, path, "no backup store here; nothing has been "
		    "applied with this state directory");
		errno = ENOENT;
		return -1;
	}
	if (error == GIT_ENOTFOUND) {
		if (g->git_repository_init_options_init(&opts,
		    GIT_REPOSITORY_INIT_OPTIONS_VERSION) < 0)
			goto fail;
		opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKDIR;
		opts.initial_head = "main";
		error = g->git_repository_init_ext(&s->repo, path, &opts);
	}
	if (error < 0)
		goto fail;
	if (g->git_repository_odb(&s->odb, s->repo) < 0)
		goto fail;
	return 0;

fail:
	return err_set(e, path, "cannot open the backup store: %s; move it "
	    "aside to start a new one (its gzip copies stay in originals/)",
	    git2_message(g));
}

/*
 * Settings for the whole library, set on every open since they cost
 * nothing: objects and refs reach the disk before a commit returns, and
 * root's own git configuration (~/.gitconfig, /etc/gitconfig) cannot change
 * how the store is written.
 */
static int
store_git_settings(const struct git2_api *g, struct err *e)
{
	static const int levels[] = {
		GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
		GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL
	};
	size_t i;

	/*
	 * libgit2 would fsync every object, tree and ref it writes, some
	 * fifty for one apply; store_sync() makes them durable with one
	 * syncfs() instead, at the two points that matter.
	 */
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
	    (mode == STORE_WRITE && store_clear_git_locks(s, e) == -1) ||
	    (s->g = git2_load(e)) == NULL ||
	    store_git_settings(s->g, e) == -1 ||
	    store_open_repo(s, mode, e) == -1)
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
	if (s->g != NULL) {
		s->g->git_odb_free(s->odb);
		s->g->git_repository_free(s->repo);
	}
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
 * data gzipped in memory (level 1: a 400 KiB module shrinks almost as well,
 * at a quarter of level 6's cost), for atomic_write_at.
 */
static int
store_gzip(struct buf *out, const void *data, size_t len)
{
	z_stream z;
	unsigned char *dst = NULL;
	uLong bound;
	int zrc, rc = -1;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip header and trailer, as gzip(1) and zcat expect. */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len) + 64;
	if ((dst = malloc(bound)) == NULL)
		goto cleanup;
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = dst;
	z.avail_out = (uInt)bound;
	zrc = deflate(&z, Z_FINISH);
	buf_reset(out);
	if (zrc == Z_STREAM_END && buf_append(out, dst, bound - z.avail_out) == 0)
		rc = 0;
cleanup:
	free(dst);
	deflateEnd(&z);
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
 * (the real path without its leading slash), and the file's base name.
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
	fd = statedir_subdir(sd, dir, create, e);
	free(dir);
	return fd;
}

/*
 * Make everything written to the store so far durable: one syncfs() of
 * the state directory's file system rather than an fsync per git object.
 */
static int
store_sync(const struct store *s, struct err *e)
{
	if (syncfs(s->sd.fd) == -1)
		return err_sys(e, s->dir, "cannot sync the backup store to disk");
	return 0;
}

int
store_keep_original(struct store *s, const char *real_path,
    const void *data, size_t len, char id[41], struct err *e)
{
	const struct git2_api *g = s->g;
	char hex[GIT_OID_HEXSZ + 1], *name = NULL, *path = NULL, *tag = NULL;
	struct buf have = BUF_INIT, gz = BUF_INIT;
	const char *rel, *base;
	struct stat st;
	git_oid oid;
	int dfd = -1, fd, plain, rc = -1;

	if ((rel = store_relpath(real_path, e)) == NULL)
		return -1;
	if (g->git_odb_write(&oid, s->odb, data, len, GIT_OBJECT_BLOB) < 0)
		return err_set(e, real_path, "cannot keep the original in the "
		    "backup store: %s", git2_message(g));
	crash_point("after-backup-blob");
	store_hex(g, hex, &oid);
	if ((dfd = store_originals_dir(&s->sd, rel, 1, &base, e)) == -1)
		return -1;
	if (asprintf(&name, "%s.%s.gz", base, hex) == -1 ||
	    asprintf(&path, "%s/originals/%s.%s.gz", s->dir, rel, hex) == -1 ||
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
		if (store_gzip(&gz, data, len) == -1) {
			err_sys(e, path, "cannot compress the original");
			goto cleanup;
		}
		if (atomic_write_at(dfd, path, name, gz.data, gz.len, 0600, ATOMIC_NOREPLACE,
		    e) == -1)
			goto cleanup;
	}
	if (id != NULL)
		memcpy(id, hex, sizeof(hex));
	if (store_sync(s, e) == -1)
		goto cleanup;
	crash_point("after-backup-gzip");
	rc = 0;
cleanup:
	if (dfd != -1)
		close(dfd);
	buf_release(&have);
	buf_release(&gz);
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
store_head(struct store *s, git_commit **commit, git_tree **tree,
    struct err *e)
{
	const struct git2_api *g = s->g;
	git_oid oid;
	int error;

	*commit = NULL;
	*tree = NULL;
	error = g->git_reference_name_to_id(&oid, s->repo, "HEAD");
	if (error == GIT_ENOTFOUND || error == GIT_EUNBORNBRANCH)
		return 0;
	if (error < 0 || g->git_commit_lookup(commit, s->repo, &oid) < 0 ||
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
 * The bytes an apply finds are the original to put back, unless they are
 * the tool's own earlier output: after a package upgrade the new upstream
 * file is what a revert must restore, after a rules update it is not.
 */
int
store_commit(struct store *s, const struct store_record *r, struct err *e)
{
	const struct git2_api *g = s->g;
	char before[GIT_OID_HEXSZ + 1], after[GIT_OID_HEXSZ + 1];
	struct buf opath = BUF_INIT, wpath = BUF_INIT, msg = BUF_INIT;
	git_commit *head = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_entry *orig = NULL, *written = NULL;
	git_signature *sig = NULL;
	git_tree_update up[2];
	git_oid before_id, after_id, original_id, tree_id, commit_id;
	const git_commit *parents[1];
	const char *rel;
	size_t nup = 0;
	int rc = -1;

	if (r->action == NULL || r->path == NULL)
		return err_set(e, s->dir, "a record needs an action and a path");
	if ((rel = store_relpath(r->path, e)) == NULL ||
	    store_check_field("action", r->action, e) == -1 ||
	    store_check_field("Bucardo version", r->bucardo_version, e) == -1 ||
	    store_check_field("function", r->function, e) == -1 ||
	    store_check_field("original note", r->original_note, e) == -1)
		return -1;

	if (g->git_odb_write(&before_id, s->odb, r->before, r->before_len,
	    GIT_OBJECT_BLOB) < 0 || g->git_odb_write(&after_id, s->odb,
	    r->after, r->after_len, GIT_OBJECT_BLOB) < 0) {
		err_set(e, r->path, "cannot record the change in the backup "
		    "store: %s", git2_message(g));
		goto cleanup;
	}
	store_hex(g, before, &before_id);
	store_hex(g, after, &after_id);
	if (r->original != NULL && g->git_odb_write(&original_id, s->odb, r->original,
	    r->original_len, GIT_OBJECT_BLOB) < 0) {
		err_set(e, r->path, "cannot record the change in the backup store: %s",
		    git2_message(g));
		goto cleanup;
	}

	if (buf_printf(&opath, "original/%s", rel) == -1 ||
	    buf_printf(&wpath, "written/%s", rel) == -1) {
		err_sys(e, r->path, "cannot record the change");
		goto cleanup;
	}
	if (store_head(s, &head, &base, e) == -1 ||
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
	parents[0] = head;
	if (store_signature(g, &sig) < 0 ||
	    g->git_commit_create(&commit_id, s->repo, "HEAD", sig, sig, NULL,
	    msg.data, tree, head != NULL ? 1 : 0, parents) < 0) {
		err_set(e, r->path, "cannot commit the change to the backup "
		    "store: %s", git2_message(g));
		goto cleanup;
	}
	rc = store_sync(s, e);

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

int
store_lookup(struct store *s, const char *real_path, struct buf *original,
    char original_id[41], char written_id[41], struct err *e)
{
	const struct git2_api *g = s->g;
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
	if ((rel = store_relpath(real_path, e)) == NULL)
		return -1;
	if (buf_printf(&opath, "original/%s", rel) == -1 ||
	    buf_printf(&wpath, "written/%s", rel) == -1) {
		err_sys(e, real_path, "cannot look up the backup");
		goto cleanup;
	}
	if (store_head(s, &head, &tree, e) == -1 ||
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
	const struct git2_api *g = s->g;
	struct buf wpath = BUF_INIT;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_tree_entry *written = NULL;
	git_blob *blob = NULL;
	const char *rel;
	int rc = -1;

	if ((rel = store_relpath(real_path, e)) == NULL)
		return -1;
	if (buf_printf(&wpath, "written/%s", rel) == -1) {
		err_sys(e, real_path, "cannot look up the backup");
		goto cleanup;
	}
	if (store_head(s, &head, &tree, e) == -1 ||
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
	git_oid oid;

	if (s->g->git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0)
		return err_set(e, NULL, "cannot hash: %s", git2_message(s->g));
	store_hex(s->g, id, &oid);
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
	const struct git2_api *g = s->g;
	struct store_event *list = NULL, *grown, ev;
	git_revwalk *walk = NULL;
	git_commit *commit = NULL;
	git_oid oid;
	size_t count = 0, cap = 0;
	int error, rc = -1;

	*events = NULL;
	*n = 0;
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
