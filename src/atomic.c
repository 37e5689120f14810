/* atomic.c: reading a module safely and replacing it whole, never torn. */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <linux/fs.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "crash.h"

#define ATOMIC_TMP_TAG		".bucardo-aiven."
#define ATOMIC_TMP_SUFFIX	ATOMIC_TMP_TAG "XXXXXX"

static const char *
atomic_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a named pipe";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

/*
 * The inode flags (chattr) explain EPERM better than strerror does.
 * Returns the FS_*_FL bits, or 0 when they cannot be read.
 */
static int
atomic_fsflags(int fd)
{
	int flags = 0;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == -1)
		return 0;
	return flags;
}

static int
atomic_dir_fsflags(const char *dir)
{
	int fd, flags;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	flags = atomic_fsflags(fd);
	close(fd);
	return flags;
}

/*
 * Explain why a file could not be created or renamed in dir: the reasons an
 * administrator can act on get their remedy, anything else just strerror.
 */
static int
atomic_dir_error(struct err *e, const char *path, const char *dir, const char *what)
{
	int saved = errno;

	switch (saved) {
	case EACCES:
		err_sys(e, path, "%s in %s", what, dir);
		err_hint(e, "run as root");
		break;
	case EROFS:
		err_sys(e, path, "%s in %s", what, dir);
		err_hint(e, "remount the file system read-write first, "
		    "or patch the image the file comes from");
		break;
	case ENOSPC:
	case EDQUOT:
		err_sys(e, path, "%s in %s", what, dir);
		err_hint(e, "free some space and run again");
		break;
	case EPERM:
		if (atomic_dir_fsflags(dir) & FS_IMMUTABLE_FL) {
			err_set(e, path, "%s: directory %s is immutable "
			    "(chattr +i); run chattr -i %s first, or leave it",
			    what, dir, dir);
			break;
		}
		err_sys(e, path, "%s in %s", what, dir);
		err_hint(e, "run as root");
		break;
	default:
		err_sys(e, path, "%s in %s", what, dir);
		break;
	}
	errno = saved;
	return -1;
}

static void
atomic_reset(struct target *t)
{
	struct target init = TARGET_INIT;

	*t = init;
}

int
atomic_open(struct target *t, const char *path, struct err *e)
{
	struct stat pre;
	int flags;

	atomic_reset(t);
	if ((t->path = strdup(path)) == NULL) {
		err_sys(e, path, "cannot remember the path");
		goto fail;
	}
	if ((t->real = realpath(path, NULL)) == NULL) {
		switch (errno) {
		case ENOENT:
			err_set(e, path, "no such file; "
			    "give the path of an installed Bucardo.pm");
			break;
		case EACCES:
			err_set(e, path, "permission denied; run as root");
			break;
		case ENOTDIR:
			err_set(e, path, "a component of the path is not a "
			    "directory; give the path of an installed "
			    "Bucardo.pm");
			break;
		case ELOOP:
			err_set(e, path, "too many symbolic links "
			    "(a loop?); give the path of the file itself");
			break;
		default:
			err_sys(e, path, "cannot resolve the path");
			break;
		}
		goto fail;
	}

	/*
	 * Refuse devices and fifos before opening them: opening one can
	 * block, rewind a tape or acquire a controlling terminal.
	 */
	if (stat(t->real, &pre) == -1) {
		err_sys(e, path, "cannot stat");
		goto fail;
	}
	if (!S_ISREG(pre.st_mode)) {
		err_set(e, path, "%s, not a regular file; "
		    "give the path of Bucardo.pm itself", atomic_kind(pre.st_mode));
		goto fail;
	}

	t->fd = open(t->real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (t->fd == -1) {
		if (errno == ELOOP)
			err_set(e, path, "%s became a symbolic link while "
			    "being opened; nothing written; run again", t->real);
		else if (errno == EACCES)
			err_set(e, path, "permission denied; run as root");
		else
			err_sys(e, path, "cannot open");
		goto fail;
	}
	if (fstat(t->fd, &t->st) == -1) {
		err_sys(e, path, "cannot stat");
		goto fail;
	}
	if (!S_ISREG(t->st.st_mode)) {
		err_set(e, path, "%s, not a regular file; "
		    "give the path of Bucardo.pm itself",
		    atomic_kind(t->st.st_mode));
		goto fail;
	}
	if ((flags = fcntl(t->fd, F_GETFL)) == -1 ||
	    fcntl(t->fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		err_sys(e, path, "cannot set up the file descriptor");
		goto fail;
	}
	if (t->st.st_size > (off_t)ATOMIC_SIZE_LIMIT)
		goto toolarge;
	if (buf_read_fd(&t->content, t->fd, ATOMIC_SIZE_LIMIT) == -1) {
		if (errno == EFBIG)
			goto toolarge;
		err_sys(e, path, "cannot read");
		goto fail;
	}
	return 0;

toolarge:
	err_set(e, path, "larger than any Bucardo.pm (limit %u MiB); "
	    "is this the right file?", ATOMIC_SIZE_LIMIT / (1024 * 1024));
fail:
	atomic_release(t);
	return -1;
}

void
atomic_release(struct target *t)
{
	if (t->fd != -1)
		close(t->fd);
	buf_release(&t->content);
	free(t->real);
	free(t->path);
	atomic_reset(t);
}

static int
atomic_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Values that do not fit our first guess are fetched again at their new
 * size: the original may gain or change an attribute while we read it.
 */
static ssize_t
atomic_getxattr(int fd, const char *name, char **val)
{
	ssize_t n, got;
	char *p;

	*val = NULL;
	for (;;) {
		if ((n = fgetxattr(fd, name, NULL, 0)) == -1)
			return -1;
		if ((p = malloc((size_t)n + 1)) == NULL)
			return -1;
		got = fgetxattr(fd, name, p, (size_t)n);
		if (got >= 0) {
			*val = p;
			return got;
		}
		free(p);
		if (errno != ERANGE)
			return -1;
	}
}

/*
 * Copy every extended attribute of the original (SELinux label, ACLs,
 * user.*) onto the temporary file. An attribute that cannot be copied is
 * a refusal: the replaced file would otherwise be labelled or permitted
 * differently from the one it replaces.
 */
static int
atomic_copy_xattrs(int from, int to, const char *real, struct err *e)
{
	char *list = NULL, *name, *val = NULL, *have = NULL;
	ssize_t n, len, vlen, hlen;
	int rc = -1, saved;

	for (;;) {
		if ((n = flistxattr(from, NULL, 0)) == -1) {
			if (errno == ENOTSUP) {
				rc = 0;
				goto cleanup;
			}
			err_sys(e, real, "cannot list extended attributes");
			goto cleanup;
		}
		if (n == 0) {
			rc = 0;
			goto cleanup;
		}
		if ((list = malloc((size_t)n)) == NULL) {
			err_sys(e, real, "cannot list extended attributes");
			goto cleanup;
		}
		if ((len = flistxattr(from, list, (size_t)n)) >= 0)
			break;
		free(list);
		list = NULL;
		if (errno != ERANGE) {
			err_sys(e, real, "cannot list extended attributes");
			goto cleanup;
		}
	}

	for (name = list; name < list + len; name += strlen(name) + 1) {
		/*
		 * IMA and EVM hold a hash or signature of the old content;
		 * on new content they would be wrong, so the kernel's own
		 * values for the new file are kept.
		 */
		if (strcmp(name, "security.ima") == 0 ||
		    strcmp(name, "security.evm") == 0)
			continue;
		if ((vlen = atomic_getxattr(from, name, &val)) == -1) {
			if (errno == ENODATA)
				continue;
			err_sys(e, real, "cannot read extended attribute %s",
			    name);
			goto cleanup;
		}
		if (fsetxattr(to, name, val, (size_t)vlen, 0) == -1) {
			/* Fine if it already holds that value (a default label). */
			saved = errno;
			hlen = atomic_getxattr(to, name, &have);
			if (hlen == -1 || hlen != vlen ||
			    memcmp(have, val, (size_t)vlen) != 0) {
				errno = saved;
				err_sys(e, real, "cannot copy extended "
				    "attribute %s to the new file", name);
				err_hint(e, "nothing written");
				goto cleanup;
			}
			free(have);
			have = NULL;
		}
		free(val);
		val = NULL;
	}
	rc = 0;

cleanup:
	free(have);
	free(val);
	free(list);
	return rc;
}

/* Make sure the temporary file is owned and permitted like the original. */
static int
atomic_copy_owner(int fd, const struct target *t, const char *real,
    struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return err_sys(e, real, "cannot stat the new file");
	/* chown clears set-id bits, so it comes before fchmod. */
	if ((st.st_uid != t->st.st_uid || st.st_gid != t->st.st_gid) &&
	    fchown(fd, t->st.st_uid, t->st.st_gid) == -1) {
		err_sys(e, real, "cannot give the new file the original's "
		    "owner %lu:%lu", (unsigned long)t->st.st_uid,
		    (unsigned long)t->st.st_gid);
		err_hint(e, "nothing written; run as root");
		return -1;
	}
	if (fchmod(fd, t->st.st_mode & 07777) == -1) {
		err_sys(e, real, "cannot give the new file the original's "
		    "mode %04o", (unsigned)(t->st.st_mode & 07777));
		err_hint(e, "nothing written");
		return -1;
	}
	return 0;
}

/* Is name one of our temporary files for base: .BASE.bucardo-aiven.XXXXXX? */
static int
atomic_is_tmp(const char *name, const char *base)
{
	size_t blen = strlen(base), tlen = strlen(ATOMIC_TMP_TAG), i;

	if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 ||
	    strncmp(name + 1 + blen, ATOMIC_TMP_TAG, tlen) != 0)
		return 0;
	name += 1 + blen + tlen;
	for (i = 0; name[i] != '\0'; i++)
		if (!isalnum((unsigned char)name[i]))
			return 0;
	return i == 6;
}

/*
 * Remove the temporary files a killed run left beside the original. A live
 * run holds an flock(2) on its own from its creation until just before the
 * rename, and runs under the store's lock besides, so a file that can be
 * locked is stale. Best effort: what cannot be removed stays, harmless.
 */
static void
atomic_sweep(const char *dir, const char *base)
{
	struct stat st, again;
	struct dirent *de;
	DIR *d;
	int dfd, fd;

	if ((d = opendir(dir)) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (!atomic_is_tmp(de->d_name, base))
			continue;
		fd = openat(dfd, de->d_name, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK) &&
		    fstatat(dfd, de->d_name, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
		    again.st_dev == st.st_dev && again.st_ino == st.st_ino)
			unlinkat(dfd, de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

int
atomic_stage(struct staged *s, const struct target *t,
    const void *data, size_t len, struct err *e)
{
	char *dcopy = NULL, *bcopy = NULL, *dir, *base;
	mode_t omask;
	int n;

	if (t->fd == -1 || t->real == NULL)
		return err_set(e, NULL, "atomic_stage: target not open");
	if (s->tmp != NULL)
		return err_set(e, t->real, "atomic_stage: already staged");

	if ((dcopy = strdup(t->real)) == NULL ||
	    (bcopy = strdup(t->real)) == NULL) {
		err_sys(e, t->real, "cannot name a temporary file");
		goto fail;
	}
	dir = dirname(dcopy);
	base = basename(bcopy);
	n = snprintf(NULL, 0, "%s/.%s" ATOMIC_TMP_SUFFIX, dir, base);
	if (n < 0 || (s->tmp = malloc((size_t)n + 1)) == NULL) {
		err_sys(e, t->real, "cannot name a temporary file");
		goto fail;
	}
	snprintf(s->tmp, (size_t)n + 1, "%s/.%s" ATOMIC_TMP_SUFFIX, dir, base);

	atomic_sweep(dir, base);
	omask = umask(077);
	s->fd = mkostemp(s->tmp, O_CLOEXEC);
	umask(omask);
	if (s->fd == -1) {
		atomic_dir_error(e, t->path, dir, "cannot create a temporary file");
		free(s->tmp);
		s->tmp = NULL;
		goto fail;
	}
	/* Marks it live for atomic_sweep; without flock, the store's lock still does. */
	(void)flock(s->fd, LOCK_EX | LOCK_NB);

	/*
	 * Content first, metadata after: writing strips set-id bits and
	 * security.capability, which must therefore be restored last.
	 */
	if (atomic_write_all(s->fd, data, len) == -1) {
		atomic_dir_error(e, t->path, dir, "cannot write the new file");
		goto fail;
	}
	if (atomic_copy_owner(s->fd, t, t->real, e) == -1)
		goto fail;
	if (atomic_copy_xattrs(t->fd, s->fd, t->real, e) == -1)
		goto fail;
	if (fsync(s->fd) == -1) {
		atomic_dir_error(e, t->path, dir, "cannot flush the new file to disk");
		goto fail;
	}
	free(bcopy);
	free(dcopy);
	crash_point("after-stage");
	return 0;

fail:
	atomic_abort(s);
	free(bcopy);
	free(dcopy);
	return -1;
}

/*
 * The original may have been replaced or edited since atomic_open (a
 * package upgrade running alongside): then the new content was computed
 * from something that no longer exists, and writing it would undo that.
 */
static int
atomic_unchanged(const struct target *t, struct err *e)
{
	struct stat now;
	char *real;

	if (lstat(t->real, &now) == -1) {
		if (errno == ENOENT)
			return err_set(e, t->real, "disappeared while being "
			    "patched; nothing written; run again");
		return err_sys(e, t->real, "cannot stat again");
	}
	if (S_ISLNK(now.st_mode))
		return err_set(e, t->real, "became a symbolic link while "
		    "being patched; nothing written; run again");
	if (now.st_dev != t->st.st_dev || now.st_ino != t->st.st_ino ||
	    now.st_size != t->st.st_size ||
	    now.st_mtim.tv_sec != t->st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != t->st.st_mtim.tv_nsec ||
	    now.st_ctim.tv_sec != t->st.st_ctim.tv_sec ||
	    now.st_ctim.tv_nsec != t->st.st_ctim.tv_nsec)
		return err_set(e, t->real, "changed while being patched "
		    "(by a package upgrade?); nothing written; run again");

	if ((real = realpath(t->path, NULL)) == NULL) {
		if (errno == ENOENT)
			return err_set(e, t->path, "disappeared while being "
			    "patched; nothing written; run again");
		return err_sys(e, t->path, "cannot resolve the path again");
	}
	if (strcmp(real, t->real) != 0) {
		err_set(e, t->path, "now leads to %s instead of %s; "
		    "nothing written; run again", real, t->real);
		free(real);
		return -1;
	}
	free(real);
	return 0;
}

static int
atomic_rename_error(struct err *e, const struct target *t, const char *dir)
{
	int saved = errno, flags;

	if (saved == EPERM || saved == EACCES) {
		flags = atomic_fsflags(t->fd);
		if (flags & FS_IMMUTABLE_FL) {
			err_set(e, t->real, "file is immutable (chattr +i); "
			    "run chattr -i %s first, or leave it", t->real);
			goto out;
		}
		if (flags & FS_APPEND_FL) {
			err_set(e, t->real, "file is append-only (chattr +a); "
			    "run chattr -a %s first, or leave it", t->real);
			goto out;
		}
	}
	if (saved == EBUSY) {
		err_set(e, t->real, "is mounted over (a bind mount?); "
		    "nothing written; patch the file it comes from");
		goto out;
	}
	errno = saved;
	atomic_dir_error(e, t->path, dir, "cannot rename the new file into place");
	err_hint(e, "nothing written");
out:
	errno = saved;
	return -1;
}

int
atomic_commit(struct staged *s, const struct target *t, struct err *e)
{
	struct stat tst, fst;
	char *dcopy = NULL, *dir;
	int dfd = -1, fd;

	if (s->tmp == NULL || s->fd == -1)
		return err_set(e, t->real, "atomic_commit: nothing staged");

	if ((dcopy = strdup(t->real)) == NULL) {
		err_sys(e, t->real, "cannot name the directory");
		goto fail;
	}
	dir = dirname(dcopy);
	/* Opened before the rename, so that afterwards only fsync can fail. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		err_sys(e, dir, "cannot open the directory");
		goto fail;
	}

	/* What is renamed must be what was written (and checked by perl -c). */
	if (fstat(s->fd, &fst) == -1 || lstat(s->tmp, &tst) == -1 ||
	    fst.st_dev != tst.st_dev || fst.st_ino != tst.st_ino) {
		err_set(e, s->tmp, "temporary file was removed or replaced "
		    "by something else; nothing written; run again");
		goto fail;
	}
	fd = s->fd;
	s->fd = -1;
	if (close(fd) == -1) {
		err_sys(e, s->tmp, "cannot close the new file");
		err_hint(e, "nothing written");
		goto fail;
	}

	/* Before the last check, so that a test pausing here can replace the original. */
	crash_point("before-rename");
	if (atomic_unchanged(t, e) == -1)
		goto fail;
	if (rename(s->tmp, t->real) == -1) {
		atomic_rename_error(e, t, dir);
		goto fail;
	}
	crash_point("after-rename");
	free(s->tmp);
	s->tmp = NULL;

	/* Some file systems cannot fsync a directory (EINVAL): nothing to do. */
	if (fsync(dfd) == -1 && errno != EINVAL) {
		err_sys(e, dir, "%s was replaced, but flushing the directory "
		    "to disk failed", t->real);
		err_hint(e, "run sync, and check the disk");
		close(dfd);
		free(dcopy);
		return -1;
	}
	close(dfd);
	free(dcopy);
	return 0;

fail:
	if (dfd != -1)
		close(dfd);
	free(dcopy);
	atomic_abort(s);
	return -1;
}

void
atomic_abort(struct staged *s)
{
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->tmp != NULL) {
		unlink(s->tmp);
		free(s->tmp);
		s->tmp = NULL;
	}
}
