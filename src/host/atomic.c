/* atomic.c: reading a file safely and replacing it whole, through its directory descriptor. */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>

#include <linux/fs.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "base/base.h"

#define ATOMIC_TMP_TAG		".bucardo-aiven."

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

/*
 * Explain why a file could not be created or renamed in dir: the reasons an
 * administrator can act on get their remedy, anything else just strerror.
 */
static int
atomic_dir_error(struct err *e, const char *path, int dirfd, const char *dir, const char *what)
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
		if (atomic_fsflags(dirfd) & FS_IMMUTABLE_FL) {
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

/* The words for what fsroot_locate could not do, with the remedy an administrator can act on. */
static void
atomic_open_error(struct err *e, const char *path, int saved)
{
	switch (saved) {
	case ENOENT:
		err_set(e, path, "no such file; give the path of an installed Bucardo.pm");
		break;
	case EACCES:
		err_set(e, path, "permission denied; run as root");
		break;
	case ENOTDIR:
		err_set(e, path, "a component of the path is not a directory; give the path of "
		    "an installed Bucardo.pm");
		break;
	case ELOOP:
		err_set(e, path, "too many symbolic links (a loop?); give the path of the file "
		    "itself");
		break;
	case EINVAL:
	case EISDIR:
		/* fsroot's message says what the file is instead. */
		err_hint(e, "give the path of Bucardo.pm itself");
		break;
	default:
		break;
	}
}

int
atomic_open(struct target *t, struct fsroot *root, const char *path, const char *asked,
    struct trust_report *tr, struct err *e)
{
	struct fsloc loc;
	int rc;

	atomic_reset(t);
	t->root = root;
	if ((t->path = strdup(path)) == NULL || (t->asked = strdup(asked)) == NULL) {
		err_sys(e, path, "cannot remember the path");
		goto fail;
	}
	rc = fsroot_locate(root, asked, FS_FOLLOW | FS_OPEN_FILE, &loc, tr, e);
	if (rc != 0) {
		fsloc_release(&loc);
		if (rc == -1)
			atomic_open_error(e, path, errno);
		atomic_release(t);
		return rc;
	}
	t->dirfd = loc.dirfd;
	t->fd = loc.fd;
	t->st = loc.st;
	t->name = loc.name;
	t->inner = loc.inner;
	t->real = loc.host;
	loc = (struct fsloc)FSLOC_INIT;
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
	if (t->dirfd != -1)
		close(t->dirfd);
	buf_release(&t->content);
	free(t->real);
	free(t->inner);
	free(t->asked);
	free(t->name);
	free(t->path);
	atomic_reset(t);
}

/* writev(2) of all of iov, 64 pieces a call, resuming after a short write. */
static int
atomic_writev_all(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec batch[64];
	size_t off = 0, n;
	ssize_t got;
	int i = 0, k;

	while (i < iovcnt) {
		for (k = 0; k < (int)(sizeof(batch) / sizeof(batch[0])) && i + k < iovcnt; k++)
			batch[k] = iov[i + k];
		batch[0].iov_base = (char *)batch[0].iov_base + off;
		batch[0].iov_len -= off;
		if ((got = writev(fd, batch, k)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (got == 0 && batch[0].iov_len > 0) {
			errno = EIO;
			return -1;
		}
		/* Past the pieces written whole, into the one cut short. */
		for (n = (size_t)got; i < iovcnt && n >= iov[i].iov_len - off; i++) {
			n -= iov[i].iov_len - off;
			off = 0;
		}
		off += n;
	}
	return 0;
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

int
atomic_reopen(int dirfd, const char *name, int fd, const char *display, struct err *e)
{
	struct stat want, got;
	int rfd;

	if (fstat(fd, &want) == -1)
		return err_sys(e, display, "cannot inspect");
	rfd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (rfd == -1)
		return err_sys(e, display, "cannot open again for perl -c");
	if (fstat(rfd, &got) == -1 || !S_ISREG(got.st_mode) || got.st_dev != want.st_dev ||
	    got.st_ino != want.st_ino) {
		close(rfd);
		return err_set(e, display, "was replaced while being checked; nothing written");
	}
	return rfd;
}

/*
 * A new file takes the default ACL of its directory (acl(5)), which may let
 * other users write it; the replaced file must be permitted exactly as the
 * original, whose own ACL, if any, atomic_copy_xattrs copies next. So the
 * inherited one goes first, before the mode is set.
 */
static int
atomic_drop_inherited_acl(int fd, const char *real, struct err *e)
{
	if (fremovexattr(fd, "system.posix_acl_access") == -1 && errno != ENODATA &&
	    errno != ENOTSUP && errno != EOPNOTSUPP) {
		err_sys(e, real, "cannot remove the ACL the new file inherited from its directory");
		err_hint(e, "nothing written");
		return -1;
	}
	return 0;
}

/*
 * Is entry one of our temporary files for name: ".NAME.bucardo-aiven.XXXXXX",
 * or with prefix, ".NAME<anything>.bucardo-aiven.XXXXXX"?
 */
static int
atomic_is_tmp(const char *entry, const char *name, int prefix)
{
	size_t nlen = strlen(name), tlen = strlen(ATOMIC_TMP_TAG), elen = strlen(entry), i;
	const char *tail;

	if (entry[0] != '.' || strncmp(entry + 1, name, nlen) != 0 || elen < 1 + nlen + tlen + 6)
		return 0;
	tail = entry + elen - 6 - tlen;
	if (strncmp(tail, ATOMIC_TMP_TAG, tlen) != 0 || (!prefix && tail != entry + 1 + nlen))
		return 0;
	for (i = 0; i < 6; i++)
		if (!isalnum((unsigned char)tail[tlen + i]))
			return 0;
	return 1;
}

/*
 * A live run holds an flock(2) on its temporary file from its creation until
 * just before the rename, and runs under the store's lock besides, so a file
 * that can be locked is stale. Only a regular file is ever opened (its type
 * read first, without following links, and checked again once open, with
 * O_NONBLOCK): a fifo or a device planted under our name is left alone.
 * Best effort: what cannot be removed stays, harmless.
 */
void
atomic_sweep(int dirfd, const char *name, int prefix)
{
	struct stat st, again;
	struct dirent *de;
	DIR *d;
	int dfd, fd;

	if ((dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!atomic_is_tmp(de->d_name, name, prefix) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
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

/*
 * Create a new temporary file for name in dirfd: O_EXCL|O_NOFOLLOW, mode
 * 0600, flock'd (which marks it live for atomic_sweep). *tmp gets its name.
 */
static int
atomic_create_tmp(int dirfd, const char *name, char **tmp)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char suffix[7];
	int fd, tries, i;

	*tmp = NULL;
	for (tries = 0; tries < 100; tries++) {
		for (i = 0; i < 6; i++)
			suffix[i] = chars[arc4random_uniform(sizeof(chars) - 1)];
		suffix[6] = '\0';
		if (asprintf(tmp, ".%s%s%s", name, ATOMIC_TMP_TAG, suffix) == -1) {
			*tmp = NULL;
			return -1;
		}
		fd = openat(dirfd, *tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1) {
			(void)flock(fd, LOCK_EX | LOCK_NB);
			return fd;
		}
		free(*tmp);
		*tmp = NULL;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* The host path of the new file: the target's directory and tmp. */
static char *
atomic_tmp_host(const struct target *t, const char *tmp)
{
	const char *slash = strrchr(t->real, '/');
	char *p;

	if (asprintf(&p, "%.*s/%s", slash != NULL ? (int)(slash - t->real) : 0, t->real, tmp) == -1)
		return NULL;
	return p;
}

int
atomic_stage(struct staged *s, const struct target *t, const void *data, size_t len,
    struct err *e)
{
	if (t->fd == -1 || t->dirfd == -1 || t->real == NULL)
		return err_set(e, NULL, "atomic_stage: target not open");
	if (s->tmp != NULL)
		return err_set(e, t->real, "atomic_stage: already staged");
	if (t->st.st_nlink > 1)
		return err_set(e, t->path, "has %lu hard links; replacing it would leave the other "
		    "names with the old content; find them with: find / -xdev -samefile %s",
		    (unsigned long)t->st.st_nlink, t->real);

	atomic_sweep(t->dirfd, t->name, 0);
	if ((s->fd = atomic_create_tmp(t->dirfd, t->name, &s->tmp)) == -1) {
		atomic_dir_error(e, t->path, t->dirfd, t->real, "cannot create a temporary file "
		    "beside it");
		goto fail;
	}
	s->dirfd = t->dirfd;
	if ((s->tmp_host = atomic_tmp_host(t, s->tmp)) == NULL) {
		err_sys(e, t->path, "cannot name the temporary file");
		goto fail;
	}
	/*
	 * Content first, metadata after: writing strips set-id bits and
	 * security.capability, which must therefore be restored last.
	 */
	if (atomic_write_all(s->fd, data, len) == -1) {
		atomic_dir_error(e, t->path, t->dirfd, t->real, "cannot write the new file");
		goto fail;
	}
	if (atomic_drop_inherited_acl(s->fd, t->real, e) == -1 ||
	    atomic_copy_owner(s->fd, t, t->real, e) == -1)
		goto fail;
	if (atomic_copy_xattrs(t->fd, s->fd, t->real, e) == -1)
		goto fail;
	if (fsync(s->fd) == -1) {
		atomic_dir_error(e, t->path, t->dirfd, t->real, "cannot flush the new file to disk");
		goto fail;
	}
	crash_point("after-stage");
	return 0;

fail:
	atomic_abort(s);
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
	struct trust_report tr = TRUST_REPORT_INIT;
	struct fsloc loc;
	struct stat now, dir, here;
	int rc;

	if (fstatat(t->dirfd, t->name, &now, AT_SYMLINK_NOFOLLOW) == -1) {
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

	/* A link on the way (the file asked for is a symlink) may now lead elsewhere. */
	rc = fsroot_locate(t->root, t->asked, FS_FOLLOW, &loc, &tr, e);
	if (rc == 0 && (fstat(loc.dirfd, &dir) == -1 || fstat(t->dirfd, &here) == -1))
		rc = err_sys(e, t->path, "cannot stat its directory again");
	if (rc == 0 && (dir.st_dev != here.st_dev || dir.st_ino != here.st_ino ||
	    strcmp(loc.name, t->name) != 0)) {
		err_set(e, t->path, "now leads to %s instead of %s; nothing written; run again",
		    loc.host, t->real);
		rc = -1;
	} else if (rc != 0 && errno == ENOENT)
		err_set(e, t->path, "disappeared while being patched; nothing written; run again");
	else if (rc == FSROOT_UNTRUSTED)
		err_hint(e, "it became untrusted while being patched; nothing written");
	fsloc_release(&loc);
	trust_report_release(&tr);
	return rc == 0 ? 0 : -1;
}

static int
atomic_rename_error(struct err *e, const struct target *t)
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
	atomic_dir_error(e, t->path, t->dirfd, t->real, "cannot rename the new file into place");
	err_hint(e, "nothing written");
out:
	errno = saved;
	return -1;
}

int
atomic_commit(struct staged *s, const struct target *t, struct err *e)
{
	struct stat tst, fst;
	int fd;

	if (s->tmp == NULL || s->fd == -1)
		return err_set(e, t->real, "atomic_commit: nothing staged");

	/* What is renamed must be what was written (and checked by perl -c). */
	if (fstat(s->fd, &fst) == -1 || fstatat(t->dirfd, s->tmp, &tst, AT_SYMLINK_NOFOLLOW) == -1 ||
	    fst.st_dev != tst.st_dev || fst.st_ino != tst.st_ino) {
		err_set(e, s->tmp_host, "temporary file was removed or replaced "
		    "by something else; nothing written; run again");
		goto fail;
	}
	fd = s->fd;
	s->fd = -1;
	if (close(fd) == -1) {
		err_sys(e, s->tmp_host, "cannot close the new file");
		err_hint(e, "nothing written");
		goto fail;
	}

	/* Before the last check, so that a test pausing here can replace the original. */
	crash_point("before-rename");
	if (atomic_unchanged(t, e) == -1)
		goto fail;
	if (renameat(t->dirfd, s->tmp, t->dirfd, t->name) == -1) {
		atomic_rename_error(e, t);
		goto fail;
	}
	crash_point("after-rename");
	free(s->tmp);
	s->tmp = NULL;

	/* Some file systems cannot fsync a directory (EINVAL): nothing to do. */
	if (fsroot_sync_dir(t->dirfd) == -1) {
		err_sys(e, t->real, "was replaced, but flushing its directory to disk failed");
		err_hint(e, "run sync, and check the disk");
		atomic_abort(s);
		return -1;
	}
	atomic_abort(s);
	return 0;

fail:
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
		if (s->dirfd != -1)
			unlinkat(s->dirfd, s->tmp, 0);
		free(s->tmp);
		s->tmp = NULL;
	}
	free(s->tmp_host);
	s->tmp_host = NULL;
	s->dirfd = -1;
}

int
atomic_write_at(int dirfd, const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, unsigned flags, struct err *e)
{
	struct iovec iov = { (void *)(uintptr_t)data, len };

	return atomic_writev_at(dirfd, dir, name, &iov, 1, mode, flags, e);
}

int
atomic_writev_at(int dirfd, const char *dir, const char *name, const struct iovec *iov,
    int iovcnt, mode_t mode, unsigned flags, struct err *e)
{
	char *tmp = NULL, *display = NULL;
	int fd, rc = -1, saved;

	if (asprintf(&display, "%s/%s", dir, name) == -1)
		return err_sys(e, name, "out of memory");
	atomic_sweep(dirfd, name, 0);
	if ((fd = atomic_create_tmp(dirfd, name, &tmp)) == -1) {
		atomic_dir_error(e, display, dirfd, dir, "cannot create a temporary file");
		goto cleanup;
	}
	if (atomic_writev_all(fd, iov, iovcnt) == -1 || fchmod(fd, mode) == -1 ||
	    (!(flags & ATOMIC_DEFER_SYNC) && fsync(fd) == -1)) {
		atomic_dir_error(e, display, dirfd, dir, "cannot write");
		goto cleanup;
	}
	saved = close(fd);
	fd = -1;
	if (saved == -1) {
		atomic_dir_error(e, display, dirfd, dir, "cannot write");
		goto cleanup;
	}
	if (flags & ATOMIC_NOREPLACE) {
		/* link(2) never replaces: an existing copy stays as it was. */
		if (linkat(dirfd, tmp, dirfd, name, 0) == -1) {
			saved = errno;
			if (saved == EEXIST)
				err_set(e, display, "exists already; not replaced");
			else
				atomic_dir_error(e, display, dirfd, dir, "cannot create");
			errno = saved;
			goto cleanup;
		}
	} else if (renameat(dirfd, tmp, dirfd, name) == -1) {
		atomic_dir_error(e, display, dirfd, dir, "cannot rename into place");
		goto cleanup;
	} else {
		free(tmp);
		tmp = NULL;
	}
	if (!(flags & (ATOMIC_DEFER_DIRSYNC | ATOMIC_DEFER_SYNC)) && fsroot_sync_dir(dirfd) == -1) {
		err_sys(e, display, "was written, but flushing its directory to disk failed");
		goto cleanup;
	}
	rc = 0;
cleanup:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
	free(display);
	errno = saved;
	return rc;
}
