/* fsroot.c: resolving paths inside the root through directory descriptors, judging each component. */
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include <linux/openat2.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <acl/libacl.h>

#include "fsroot.h"

#define FSROOT_MAXLINKS		40	/* as the kernel's MAXSYMLINKS */
#define FSROOT_RETRIES		8	/* a component changing under us this often: give up */
#define FSROOT_GROUP_LIMIT	(4u * 1024 * 1024)

/* One resolution in progress. */
struct walk {
	struct fsroot		*r;
	unsigned		 flags;
	int			*fds;		/* fds[0] is r->fd (not ours); the rest are */
	size_t			 depth;		/* fds in use */
	size_t			 cap;
	struct buf		 done;		/* canonical inner path so far ("" at the root) */
	struct buf		 rest;		/* what is still to resolve */
	size_t			 pos;
	int			 links;
	int			 retries;
	struct trust_report	*tr;
	int			 faulted;
	const char		*display;	/* the request, as the host sees it, for messages */
};

int
fsroot_sync_dir(int dirfd)
{
	if (fsync(dirfd) == -1 && errno != EINVAL && errno != EBADF)
		return -1;
	return 0;
}

void
fsloc_release(struct fsloc *loc)
{
	if (loc->fd != -1)
		close(loc->fd);
	if (loc->dirfd != -1)
		close(loc->dirfd);
	free(loc->name);
	free(loc->inner);
	free(loc->host);
	*loc = (struct fsloc)FSLOC_INIT;
}

void
trust_report_release(struct trust_report *tr)
{
	free(tr->path);
	*tr = (struct trust_report)TRUST_REPORT_INIT;
}

int
fsroot_open(struct fsroot *r, const char *dir, struct err *e)
{
	char *real = NULL;

	*r = (struct fsroot)FSROOT_INIT;
	r->rule.self = geteuid();
	if (dir == NULL || strcmp(dir, "/") == 0) {
		r->judge_top = 1;
		if ((r->host = strdup("")) == NULL)
			return err_sys(e, "/", "cannot open the root");
		dir = "/";
	} else {
		if ((real = realpath(dir, NULL)) == NULL)
			return err_sys(e, dir, "cannot use as --root");
		if (strcmp(real, "/") == 0) {
			real[0] = '\0';
			r->judge_top = 1;
		}
		r->host = real;
		dir = real[0] != '\0' ? real : "/";
	}
	if ((r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return err_sys(e, dir, "cannot open as the root; --root must be a directory");
	if (fstat(r->fd, &r->top) == -1)
		return err_sys(e, dir, "cannot inspect the root");
	return 0;
}

void
fsroot_close(struct fsroot *r)
{
	if (r->fd != -1)
		close(r->fd);
	free(r->host);
	*r = (struct fsroot)FSROOT_INIT;
}

int
fsroot_inner(const struct fsroot *r, const char *arg, char **inner, struct err *e)
{
	struct buf abs = BUF_INIT, found = BUF_INIT;
	char cwd[PATH_MAX], *copy = NULL, *parent = NULL, *real = NULL;
	size_t n = strlen(r->host);
	int rc = -1;

	*inner = NULL;
	if (arg[0] == '\0')
		return err_set(e, arg, "an empty path; give the path of a Bucardo.pm");
	if (arg[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return err_sys(e, arg, "cannot tell the current directory");
		if (buf_printf(&abs, "%s/%s", cwd, arg) == -1)
			goto nomem;
	} else if (buf_puts(&abs, arg) == -1)
		goto nomem;
	if (n == 0) {
		*inner = buf_detach(&abs, NULL);
		return *inner == NULL ? err_sys(e, arg, "out of memory") : 0;
	}
	if (strncmp(abs.data, r->host, n) == 0 && (abs.data[n] == '/' || abs.data[n] == '\0')) {
		*inner = strdup(abs.data[n] != '\0' ? abs.data + n : "/");
		rc = *inner == NULL ? err_sys(e, arg, "out of memory") : 0;
		goto cleanup;
	}
	/* Named through a link to the root, e.g. /tmp/image -> /srv/image. */
	if ((copy = strdup(abs.data)) == NULL || (parent = strdup(abs.data)) == NULL)
		goto nomem;
	if ((real = realpath(dirname(parent), NULL)) != NULL &&
	    strncmp(real, r->host, n) == 0 && (real[n] == '/' || real[n] == '\0')) {
		if (buf_printf(&found, "%s/%s", real[n] != '\0' ? real + n : "", basename(copy)) == -1)
			goto nomem;
		*inner = buf_detach(&found, NULL);
		rc = *inner == NULL ? err_sys(e, arg, "out of memory") : 0;
		goto cleanup;
	}
	err_set(e, arg, "outside --root %s; give a path below it", r->host);
	goto cleanup;
nomem:
	err_sys(e, arg, "out of memory");
cleanup:
	free(real);
	free(parent);
	free(copy);
	buf_release(&found);
	buf_release(&abs);
	return rc;
}

/* The directory a walk stands in. */
static int
walk_cur(const struct walk *w)
{
	return w->fds[w->depth - 1];
}

static void
walk_pop(struct walk *w)
{
	char *slash;

	if (w->depth <= 1)
		return;
	close(w->fds[--w->depth]);
	slash = strrchr(w->done.data, '/');
	w->done.len = slash != NULL ? (size_t)(slash - w->done.data) : 0;
	w->done.data[w->done.len] = '\0';
}

static int
walk_push(struct walk *w, int fd, const char *comp, size_t len)
{
	int *grown;

	if (w->depth == w->cap) {
		if ((grown = reallocarray(w->fds, w->cap * 2, sizeof(*grown))) == NULL)
			return -1;
		w->fds = grown;
		w->cap *= 2;
	}
	w->fds[w->depth++] = fd;
	if (buf_puts(&w->done, "/") == -1 || buf_append(&w->done, comp, len) == -1)
		return -1;
	return 0;
}

/* Is inner (len bytes) /usr/local or below it? */
static int
fsroot_below_usr_local(const char *inner, size_t len)
{
	return len >= 10 && strncmp(inner, "/usr/local", 10) == 0 &&
	    (len == 10 || inner[10] == '/');
}

/*
 * Learn the gid of "staff" from the tree's /etc/group, once. Only asked for
 * when a group-writable directory below /usr/local is met, which is rare.
 */
static void
fsroot_learn_staff(struct fsroot *r)
{
	struct buf text = BUF_INIT;
	struct err ignored = ERR_INIT;
	char *line, *next, *end;
	unsigned long gid;

	if (r->staff_read)
		return;
	r->staff_read = 1;
	if (fsroot_read(r, "/etc/group", FS_FOLLOW, FSROOT_GROUP_LIMIT, &text, NULL,
	    &ignored) != 0 || text.len == 0)
		goto cleanup;
	for (line = text.data; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "staff:", 6) != 0 || (line = strchr(line + 6, ':')) == NULL)
			continue;
		gid = strtoul(line + 1, &end, 10);
		if (end != line + 1 && (*end == ':' || *end == '\0')) {
			r->rule.staff = (gid_t)gid;
			r->rule.has_staff = 1;
		}
		break;
	}
cleanup:
	buf_release(&text);
}

/*
 * The access ACL of the component name in dirfd (name NULL: dirfd is the
 * component, a directory, maybe an O_PATH descriptor), which st describes;
 * NULL with errno on failure. A regular file or a directory is opened for
 * reading (O_NONBLOCK, no link followed: nothing blocks) and read with
 * acl_get_fd(3), which needs no /proc, as in a chroot. Anything else, or
 * what root may not open, is read through /proc/self/fd of an O_PATH
 * descriptor. Either way the inode must be the one judged (ESTALE).
 */
static acl_t
fsroot_get_acl(int dirfd, const char *name, const struct stat *st)
{
	char proc[64];
	struct stat now;
	acl_t acl = NULL;
	int fd = -1, saved, flags = O_NOFOLLOW | O_CLOEXEC;

	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))
		fd = openat(dirfd, name != NULL ? name : ".", O_RDONLY | O_NONBLOCK | O_NOCTTY |
		    (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0) | flags);
	if (fd == -1 && (fd = openat(dirfd, name != NULL ? name : ".", O_PATH | flags)) == -1)
		return NULL;
	if (fstat(fd, &now) == -1 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		errno = ESTALE;		/* replaced since it was judged: not this one */
		return NULL;
	}
	if ((acl = acl_get_fd(fd)) == NULL && errno == EBADF) {
		/* An O_PATH descriptor: through /proc. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		acl = acl_get_file(proc, ACL_TYPE_ACCESS);
	}
	saved = errno;
	close(fd);
	errno = saved;
	return acl;
}

/*
 * The named writers of the extended access ACL of the component name in
 * dirfd (as fsroot_get_acl takes them), which st describes. libacl parses
 * it (acl_get_perm(3)); an entry writes when it and the mask both allow it
 * (acl(5)). A file system without ACLs has none; any other failure marks
 * it unreadable.
 */
static void
fsroot_read_acl(int dirfd, const char *name, const struct stat *st, struct trust_acl *out)
{
	acl_t acl;
	acl_entry_t entry;
	acl_tag_t tag;
	acl_permset_t perms;
	void *qual;
	int which, mask_writes = 1, writes;

	memset(out, 0, sizeof(*out));
	out->unreadable = 1;
	if ((acl = fsroot_get_acl(dirfd, name, st)) == NULL) {
		if (errno == ENOTSUP || errno == EOPNOTSUPP)
			out->unreadable = 0;
		return;
	}
	/* The mask first: it bounds every named entry. */
	for (which = ACL_FIRST_ENTRY; acl_get_entry(acl, which, &entry) == 1;
	    which = ACL_NEXT_ENTRY)
		if (acl_get_tag_type(entry, &tag) == 0 && tag == ACL_MASK &&
		    acl_get_permset(entry, &perms) == 0)
			mask_writes = acl_get_perm(perms, ACL_WRITE) == 1;
	for (which = ACL_FIRST_ENTRY; acl_get_entry(acl, which, &entry) == 1;
	    which = ACL_NEXT_ENTRY) {
		if (acl_get_tag_type(entry, &tag) != 0 || acl_get_permset(entry, &perms) != 0)
			goto done;
		writes = mask_writes && acl_get_perm(perms, ACL_WRITE) == 1;
		if (!writes || (tag != ACL_USER && tag != ACL_GROUP))
			continue;
		if ((qual = acl_get_qualifier(entry)) == NULL)
			goto done;
		if (tag == ACL_USER && out->nusers < TRUST_ACL_MAX)
			out->users[out->nusers++] = *(uid_t *)qual;
		else if (tag == ACL_GROUP && out->ngroups < TRUST_ACL_MAX)
			out->groups[out->ngroups++] = *(gid_t *)qual;
		else
			out->overflow = 1;
		acl_free(qual);
	}
	out->unreadable = 0;
done:
	acl_free(acl);
}

/*
 * The kernel's form of an ACL in an extended attribute (linux/posix_acl_xattr.h):
 * a 4-byte header, then 8 bytes per entry. A default ACL of the three base
 * entries (owner, group, other) names nobody; one that names a user or a
 * group also has a mask, so at least five.
 */
#define FSROOT_ACL_XATTR_HEADER	4
#define FSROOT_ACL_XATTR_ENTRY	8

int
fsroot_default_acl_names(int fd)
{
	ssize_t n;
	int rfd = fd, saved;

	/* fgetxattr needs a descriptor opened for reading, not O_PATH. */
	if ((n = fgetxattr(fd, "system.posix_acl_default", NULL, 0)) == -1 && errno == EBADF) {
		if ((rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			return -1;
		n = fgetxattr(rfd, "system.posix_acl_default", NULL, 0);
		saved = errno;
		close(rfd);
		errno = saved;
	}
	if (n == -1)
		return errno == ENODATA || errno == ENOTSUP || errno == EOPNOTSUPP ? 0 : -1;
	return (size_t)n > FSROOT_ACL_XATTR_HEADER + 3 * FSROOT_ACL_XATTR_ENTRY;
}

/*
 * The trust rule for one component of this root: st as opened, inner its
 * path (len bytes); the component is name in dirfd, or dirfd itself when
 * name is NULL (to read its ACL, only when that could change the verdict).
 */
static enum trust_fault
fsroot_judge(struct fsroot *r, const struct stat *st, const char *inner, size_t len,
    int dirfd, const char *name)
{
	struct trust_acl acl;
	enum trust_fault fault;
	int below = fsroot_below_usr_local(inner, len);

	fault = trust_judge(&r->rule, st, below, NULL);
	if (fault == TRUST_GROUP_WRITABLE && below && !r->staff_read) {
		fsroot_learn_staff(r);
		fault = trust_judge(&r->rule, st, below, NULL);
	}
	if (fault != TRUST_OK || !trust_acl_matters(&r->rule, st, below))
		return fault;
	fsroot_read_acl(dirfd, name, st, &acl);
	return trust_judge(&r->rule, st, below, &acl);
}

/* trust_judge_load_dir for a component of this root, inner its path (len bytes). */
static enum trust_fault
fsroot_judge_load_dir(const struct fsroot *r, const struct stat *st, const char *inner,
    size_t len)
{
	return trust_judge_load_dir(&r->rule, st, fsroot_below_usr_local(inner, len));
}

/* Record the first fault: which component, whose, what mode. */
static void
fsroot_report(const struct fsroot *r, struct trust_report *tr, enum trust_fault fault,
    const struct stat *st, const char *inner, size_t len)
{
	tr->fault = fault;
	tr->uid = st->st_uid;
	tr->gid = st->st_gid;
	tr->mode = st->st_mode;
	free(tr->path);
	if (asprintf(&tr->path, "%s%.*s", r->host, (int)len, len > 0 ? inner : "/") == -1)
		tr->path = NULL;
}

/*
 * Judge one component (st as opened, inner its path inside the root).
 * Returns 1 when the walk must stop here, 0 to go on.
 */
static int
walk_judge(struct walk *w, const struct stat *st, const char *inner, size_t len, int dirfd,
    const char *name)
{
	enum trust_fault fault;

	if (w->flags & FS_ANY_OWNER)
		return 0;
	fault = fsroot_judge(w->r, st, inner, len, dirfd, name);
	if (fault == TRUST_OK && (w->flags & FS_STRICT))
		fault = fsroot_judge_load_dir(w->r, st, inner, len);
	if (fault == TRUST_OK)
		return 0;
	if (!w->faulted && w->tr != NULL)
		fsroot_report(w->r, w->tr, fault, st, inner, len);
	w->faulted = 1;
	return (w->flags & FS_CONTINUE) ? 0 : 1;
}

/* Judge the component comp (len bytes) of the current directory. */
static int
walk_judge_comp(struct walk *w, const struct stat *st, const char *comp, size_t len)
{
	struct buf path = BUF_INIT;
	int stop;

	if (w->flags & FS_ANY_OWNER)
		return 0;
	if (buf_append(&path, w->done.data ? w->done.data : "", w->done.len) == -1 ||
	    buf_puts(&path, "/") == -1 || buf_append(&path, comp, len) == -1) {
		buf_release(&path);
		/* out of memory: still judged */
		return walk_judge(w, st, "", 0, walk_cur(w), comp);
	}
	stop = walk_judge(w, st, path.data, path.len, walk_cur(w), comp);
	buf_release(&path);
	return stop;
}

/*
 * Open one component of the directory dfd as a directory, never following
 * a link. O_PATH: searching a directory needs no read permission.
 */
static int
fsroot_open_dir(struct fsroot *r, int dfd, const char *name)
{
	struct open_how how;
	long fd;

	if (!r->no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, dfd, name, &how, sizeof(how));
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
		/* ENOSYS: an older kernel; EPERM: a seccomp filter that forbids it. */
		r->no_openat2 = 1;
	}
	return openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static const char *
fsroot_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
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
 * Open the last component for FS_OPEN_FILE or FS_OPEN_DIR. A file that is
 * not regular is refused from its lstat, before any open(2), since opening
 * a fifo or a device can block or act; the fstat after the open catches
 * one swapped in between.
 */
static int
walk_open_last(struct walk *w, struct fsloc *loc, const char *name, const struct stat *lst,
    struct err *e)
{
	int flags;

	if (w->flags & FS_OPEN_DIR) {
		if (!S_ISDIR(lst->st_mode)) {
			errno = ENOTDIR;
			return err_set(e, w->display, "%s, not a directory", fsroot_kind(lst->st_mode));
		}
		loc->fd = openat(walk_cur(w), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (loc->fd == -1 && errno == EACCES)
			loc->fd = openat(walk_cur(w), name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
	} else {
		if (!S_ISREG(lst->st_mode)) {
			errno = EINVAL;
			return err_set(e, w->display, "%s, not a regular file", fsroot_kind(lst->st_mode));
		}
		loc->fd = openat(walk_cur(w), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
	}
	if (loc->fd == -1)
		return err_sys(e, w->display, "cannot open");
	if (fstat(loc->fd, &loc->st) == -1)
		return err_sys(e, w->display, "cannot inspect");
	if ((w->flags & FS_OPEN_DIR) ? !S_ISDIR(loc->st.st_mode) : !S_ISREG(loc->st.st_mode)) {
		errno = EAGAIN;
		return err_set(e, w->display, "was replaced by %s while being opened; run again",
		    fsroot_kind(loc->st.st_mode));
	}
	if ((w->flags & FS_OPEN_FILE) && ((flags = fcntl(loc->fd, F_GETFL)) == -1 ||
	    fcntl(loc->fd, F_SETFL, flags & ~O_NONBLOCK) == -1))
		return err_sys(e, w->display, "cannot set up the file descriptor");
	return 0;
}

/* The directory the walk stands in, opened for reading (getdents, fsync), or as it is. */
static int
walk_reopen_cur(struct walk *w)
{
	int fd = openat(walk_cur(w), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1 && errno == EACCES)
		fd = fcntl(walk_cur(w), F_DUPFD_CLOEXEC, 0);
	return fd;
}

/* Create the missing directory name in the current one (0755, or 0700 when last). */
static int
walk_mkdir(struct walk *w, const char *name, int last, struct err *e)
{
	int dfd, rc = 0;

	mode_t mode = last ? 0700 : 0755;

	if (mkdirat(walk_cur(w), name, mode) == -1) {
		if (errno == EEXIST)
			return 0;
		return err_sys(e, w->display, "cannot create %s%s/%s", w->r->host,
		    w->done.data ? w->done.data : "", name);
	}
	/*
	 * The umask may have cut the mode. Only root can swap what was just
	 * made: the directory holding it passed the trust rule.
	 */
	if (fchmodat(walk_cur(w), name, mode, 0) == -1)
		return err_sys(e, w->display, "cannot set the mode of %s", name);
	if ((dfd = walk_reopen_cur(w)) == -1 || fsroot_sync_dir(dfd) == -1)
		rc = err_sys(e, w->display, "cannot make the new directory %s durable", name);
	if (dfd != -1)
		close(dfd);
	return rc;
}

/* Replace what is left to resolve by target followed by the rest after pos. */
static int
walk_splice(struct walk *w, const char *target)
{
	struct buf next = BUF_INIT;

	if (buf_puts(&next, target) == -1 || buf_puts(&next, "/") == -1 ||
	    buf_puts(&next, w->rest.data + w->pos) == -1) {
		buf_release(&next);
		return -1;
	}
	buf_release(&w->rest);
	w->rest = next;
	w->pos = 0;
	return 0;
}

/* Fill loc from where the walk stopped: the last component is name. */
static int
walk_finish(struct walk *w, struct fsloc *loc, const char *name, size_t len, int absent,
    struct err *e)
{
	struct buf inner = BUF_INIT;

	if ((loc->dirfd = walk_reopen_cur(w)) == -1)
		return err_sys(e, w->display, "cannot open its directory");
	if (buf_append(&inner, w->done.data ? w->done.data : "", w->done.len) == -1 ||
	    buf_puts(&inner, "/") == -1 || buf_append(&inner, name, len) == -1 ||
	    (loc->name = strndup(name, len)) == NULL ||
	    asprintf(&loc->host, "%s%s", w->r->host, inner.data) == -1) {
		loc->host = NULL;
		buf_release(&inner);
		return err_sys(e, w->display, "out of memory");
	}
	loc->inner = buf_detach(&inner, NULL);
	if (absent)
		memset(&loc->st, 0, sizeof(loc->st));
	return 0;
}

/*
 * The path ended on a directory already opened ("/", "dir/.", "dir/.."):
 * it is the last component, found in the one below it on the stack (the
 * root is its own parent, named ".").
 */
static int
walk_finish_here(struct walk *w, struct fsloc *loc, struct err *e)
{
	const char *slash;
	int cur = walk_cur(w);

	if (w->flags & FS_OPEN_FILE) {
		errno = EISDIR;
		return err_set(e, w->display, "a directory, not a regular file");
	}
	if (fstat(cur, &loc->st) == -1)
		return err_sys(e, w->display, "cannot inspect");
	if ((w->flags & FS_OPEN_DIR) && (loc->fd = walk_reopen_cur(w)) == -1)
		return err_sys(e, w->display, "cannot open");
	if (w->depth == 1) {
		if ((loc->dirfd = walk_reopen_cur(w)) == -1 || (loc->name = strdup(".")) == NULL ||
		    (loc->inner = strdup("/")) == NULL ||
		    asprintf(&loc->host, "%s/", w->r->host) == -1) {
			loc->host = NULL;
			return err_sys(e, w->display, "out of memory");
		}
		return 0;
	}
	slash = strrchr(w->done.data, '/');
	if ((loc->name = strdup(slash + 1)) == NULL ||
	    (loc->inner = strdup(w->done.data)) == NULL ||
	    asprintf(&loc->host, "%s%s", w->r->host, w->done.data) == -1) {
		loc->host = NULL;
		return err_sys(e, w->display, "out of memory");
	}
	w->depth--;	/* the parent is what dirfd names; the fd below stays ours */
	loc->dirfd = walk_reopen_cur(w);
	w->depth++;
	if (loc->dirfd == -1)
		return err_sys(e, w->display, "cannot open its directory");
	return 0;
}

static int
walk_run(struct walk *w, struct fsloc *loc, struct err *e)
{
	char target[PATH_MAX], *comp, name[NAME_MAX + 1];
	struct stat st, opened;
	size_t len, after;
	ssize_t n;
	int last, fd;

	for (;;) {
		w->pos += strspn(w->rest.data + w->pos, "/");
		if (w->rest.data[w->pos] == '\0')
			return walk_finish_here(w, loc, e);
		comp = w->rest.data + w->pos;
		len = strcspn(comp, "/");
		after = w->pos + len;
		last = w->rest.data[after + strspn(w->rest.data + after, "/")] == '\0';
		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			return err_sys(e, w->display, "cannot resolve");
		}
		memcpy(name, comp, len);
		name[len] = '\0';
		w->pos = after;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			if (name[1] == '.')
				walk_pop(w);
			continue;
		}
		if (fstatat(walk_cur(w), name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT && (w->flags & FS_MKDIR) &&
			    (!last || (w->flags & FS_OPEN_DIR))) {
				if (walk_mkdir(w, name, last, e) == -1)
					return -1;
				w->pos -= len;
				continue;
			}
			if (errno == ENOENT && last && !(w->flags & (FS_OPEN_FILE | FS_OPEN_DIR)))
				return walk_finish(w, loc, name, len, 1, e);
			return err_sys(e, w->display, "cannot resolve");
		}
		if (S_ISLNK(st.st_mode)) {
			if (walk_judge_comp(w, &st, name, len))
				return FSROOT_UNTRUSTED;
			if (last && !(w->flags & FS_FOLLOW)) {
				if (w->flags & (FS_OPEN_FILE | FS_OPEN_DIR)) {
					errno = ELOOP;
					return err_set(e, w->display, "a symbolic link; refused");
				}
				loc->st = st;
				return walk_finish(w, loc, name, len, 0, e);
			}
			if (++w->links > FSROOT_MAXLINKS) {
				errno = ELOOP;
				return err_sys(e, w->display, "cannot resolve");
			}
			if ((n = readlinkat(walk_cur(w), name, target, sizeof(target))) == -1)
				return err_sys(e, w->display, "cannot read the link %s", name);
			if (n == 0 || (size_t)n >= sizeof(target)) {
				errno = n == 0 ? ENOENT : ENAMETOOLONG;
				return err_sys(e, w->display, "cannot follow the link %s", name);
			}
			target[n] = '\0';
			if (target[0] == '/')
				while (w->depth > 1)
					walk_pop(w);
			if (walk_splice(w, target) == -1)
				return err_sys(e, w->display, "out of memory");
			continue;
		}
		if (last) {
			if (w->flags & (FS_OPEN_FILE | FS_OPEN_DIR)) {
				if (walk_open_last(w, loc, name, &st, e) == -1)
					return -1;
				st = loc->st;
			} else
				loc->st = st;
			if (walk_judge_comp(w, &st, name, len))
				return FSROOT_UNTRUSTED;
			return walk_finish(w, loc, name, len, 0, e);
		}
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return err_sys(e, w->display, "cannot resolve");
		}
		if ((fd = fsroot_open_dir(w->r, walk_cur(w), name)) == -1) {
			/* Swapped for a link or a file since the fstatat: look again. */
			if ((errno == ELOOP || errno == ENOTDIR || errno == ENOENT) &&
			    ++w->retries <= FSROOT_RETRIES) {
				w->pos -= len;
				continue;
			}
			return err_sys(e, w->display, "cannot open the directory %s", name);
		}
		if (fstat(fd, &opened) == -1) {
			close(fd);
			return err_sys(e, w->display, "cannot inspect the directory %s", name);
		}
		if (walk_push(w, fd, name, len) == -1) {
			close(fd);
			return err_sys(e, w->display, "out of memory");
		}
		/* Judged as opened: what is used from now on is this directory. */
		if (walk_judge(w, &opened, w->done.data, w->done.len, walk_cur(w), NULL))
			return FSROOT_UNTRUSTED;
	}
}

int
fsroot_locate(struct fsroot *r, const char *inner, unsigned flags, struct fsloc *loc,
    struct trust_report *tr, struct err *e)
{
	struct walk w;
	char *display = NULL;
	int rc;

	*loc = (struct fsloc)FSLOC_INIT;
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.flags = flags;
	w.tr = tr;
	if (asprintf(&display, "%s%s", r->host, inner) == -1)
		return err_sys(e, inner, "out of memory");
	w.display = display;
	if (inner[0] != '/') {
		free(display);
		errno = EINVAL;
		return err_set(e, inner, "not an absolute path");
	}
	if ((w.fds = calloc(8, sizeof(*w.fds))) == NULL) {
		free(display);
		return err_sys(e, inner, "out of memory");
	}
	w.cap = 8;
	w.fds[w.depth++] = r->fd;
	if (buf_puts(&w.done, "") == -1 || buf_puts(&w.rest, inner) == -1) {
		rc = err_sys(e, inner, "out of memory");
		goto cleanup;
	}
	if (r->judge_top && walk_judge(&w, &r->top, "", 0, r->fd, NULL)) {
		rc = FSROOT_UNTRUSTED;
		goto cleanup;
	}
	rc = walk_run(&w, loc, e);
	if (rc == 0 && w.faulted)
		rc = FSROOT_UNTRUSTED;
cleanup:
	if (rc == FSROOT_UNTRUSTED)
		fsroot_untrusted_message(e, display, tr);
	if (rc != 0 && !(rc == FSROOT_UNTRUSTED && (flags & FS_CONTINUE)))
		fsloc_release(loc);
	while (w.depth > 1)
		close(w.fds[--w.depth]);
	free(w.fds);
	buf_release(&w.done);
	buf_release(&w.rest);
	free(display);
	return rc;
}

void
fsroot_untrusted_message(struct err *e, const char *path, const struct trust_report *tr)
{
	if (tr == NULL || tr->path == NULL) {
		err_set(e, path, "not trusted: a directory on the way can be changed by "
		    "another user");
		return;
	}
	switch (tr->fault) {
	case TRUST_OWNER:
		err_set(e, path, "not trusted: %s is owned by uid %lu, who could change it",
		    tr->path, (unsigned long)tr->uid);
		break;
	case TRUST_GROUP_WRITABLE:
		err_set(e, path, "not trusted: %s is writable by group %lu (mode %04o)",
		    tr->path, (unsigned long)tr->gid, (unsigned)(tr->mode & 07777));
		break;
	case TRUST_ACL_WRITABLE:
	case TRUST_ACL_UNREADABLE:
		err_set(e, path, "not trusted: %s is %s; see getfacl(1)", tr->path,
		    trust_fault_words(tr->fault));
		break;
	default:
		err_set(e, path, "not trusted: %s is writable by everybody (mode %04o)",
		    tr->path, (unsigned)(tr->mode & 07777));
		break;
	}
}

int
fsroot_read(struct fsroot *r, const char *inner, unsigned flags, size_t limit,
    struct buf *out, struct trust_report *tr, struct err *e)
{
	struct fsloc loc;
	int rc;

	if ((rc = fsroot_locate(r, inner, flags | FS_OPEN_FILE, &loc, tr, e)) != 0) {
		fsloc_release(&loc);
		return rc;
	}
	if (buf_read_fd(out, loc.fd, limit) == -1)
		rc = err_sys(e, loc.host, "cannot read");
	fsloc_release(&loc);
	return rc;
}

/* A tree being judged: where it stands, the directories seen, the first fault. */
struct tree {
	struct fsroot		*r;
	struct stat		*seen;		/* directories entered (links may loop) */
	size_t			 nseen;
	struct trust_report	 tr;
};

static int
tree_seen(struct tree *t, const struct stat *st)
{
	struct stat *grown;
	size_t i;

	for (i = 0; i < t->nseen; i++)
		if (t->seen[i].st_dev == st->st_dev && t->seen[i].st_ino == st->st_ino)
			return 1;
	if ((grown = reallocarray(t->seen, t->nseen + 1, sizeof(*grown))) == NULL)
		return -1;
	t->seen = grown;
	t->seen[t->nseen++] = *st;
	return 0;
}

static int tree_dir(struct tree *t, int fd, struct buf *inner, struct err *e);

/*
 * A link inside the tree: what it leads to is what perl would open, so
 * the way there is judged (fsroot_locate), and a directory it leads to is
 * judged whole, once.
 */
static int
tree_link(struct tree *t, const char *inner, struct err *e)
{
	struct fsloc loc;
	struct buf there = BUF_INIT;
	int rc, seen;

	rc = fsroot_locate(t->r, inner, FS_FOLLOW, &loc, &t->tr, e);
	if (rc != 0 || !S_ISDIR(loc.st.st_mode)) {
		if (rc == -1 && (errno == ENOENT || errno == ELOOP))
			rc = 0;	/* dangling or looping: perl cannot load from it either */
		fsloc_release(&loc);
		return rc;
	}
	fsloc_release(&loc);
	if ((rc = fsroot_locate(t->r, inner, FS_FOLLOW | FS_OPEN_DIR, &loc, &t->tr, e)) != 0) {
		fsloc_release(&loc);
		return rc;
	}
	if ((seen = tree_seen(t, &loc.st)) != 0) {
		fsloc_release(&loc);
		return seen == 1 ? 0 : err_sys(e, inner, "out of memory");
	}
	if (buf_puts(&there, loc.inner) == -1) {
		fsloc_release(&loc);
		return err_sys(e, inner, "out of memory");
	}
	rc = tree_dir(t, loc.fd, &there, e);
	loc.fd = -1;	/* tree_dir took it */
	fsloc_release(&loc);
	buf_release(&there);
	return rc;
}

/* Judge every entry of the directory fd (which this takes), inner its path. */
static int
tree_dir(struct tree *t, int fd, struct buf *inner, struct err *e)
{
	enum trust_fault fault;
	struct dirent *de;
	struct stat st;
	size_t keep = inner->len;
	DIR *d;
	int sub, rc = 0;

	/* Code is loaded from here by name: nobody else may create names in it. */
	if (fstat(fd, &st) == -1) {
		close(fd);
		return err_sys(e, inner->data, "cannot inspect");
	}
	if ((fault = fsroot_judge_load_dir(t->r, &st, inner->data, inner->len)) != TRUST_OK) {
		fsroot_report(t->r, &t->tr, fault, &st, inner->data, inner->len);
		close(fd);
		return FSROOT_UNTRUSTED;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_sys(e, inner->data, "cannot list");
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* gone meanwhile */
		inner->len = keep;
		inner->data[keep] = '\0';
		if ((keep > 1 && buf_puts(inner, "/") == -1) || buf_puts(inner, de->d_name) == -1) {
			rc = err_sys(e, de->d_name, "out of memory");
			break;
		}
		if ((fault = fsroot_judge(t->r, &st, inner->data, inner->len, dirfd(d),
		    de->d_name)) != TRUST_OK) {
			fsroot_report(t->r, &t->tr, fault, &st, inner->data, inner->len);
			rc = FSROOT_UNTRUSTED;
		} else if (S_ISLNK(st.st_mode)) {
			rc = tree_link(t, inner->data, e);
		} else if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
			if (sub == -1 || fstat(sub, &st) == -1) {
				rc = err_sys(e, inner->data, "cannot open");
				if (sub != -1)
					close(sub);
			} else if ((fault = fsroot_judge(t->r, &st, inner->data, inner->len, sub,
			    NULL)) != TRUST_OK) {
				/* Judged as opened, as everywhere else. */
				fsroot_report(t->r, &t->tr, fault, &st, inner->data, inner->len);
				close(sub);
				rc = FSROOT_UNTRUSTED;
			} else if (tree_seen(t, &st) != 0)
				close(sub);
			else
				rc = tree_dir(t, sub, inner, e);
		}
	}
	inner->len = keep;
	inner->data[keep] = '\0';
	closedir(d);
	return rc;
}

int
fsroot_judge_missing(struct fsroot *r, const char *inner, unsigned flags, struct err *e)
{
	struct fsloc loc = FSLOC_INIT;
	struct trust_report tr = TRUST_REPORT_INIT;
	enum trust_fault fault;
	char *path, *up, *display;
	int rc;

	if ((path = strdup(inner)) == NULL)
		return err_sys(e, inner, "out of memory");
	for (;;) {
		up = strdup(dirname(path));
		free(path);
		if ((path = up) == NULL)
			return err_sys(e, inner, "out of memory");
		fsloc_release(&loc);
		trust_report_release(&tr);
		/* FS_OPEN_DIR: a missing last component is a failure, not a place to make. */
		rc = fsroot_locate(r, path, FS_FOLLOW | FS_OPEN_DIR | (flags & FS_STRICT), &loc,
		    &tr, e);
		if (rc != -1 || (errno != ENOENT && errno != ENOTDIR) || strcmp(path, "/") == 0)
			break;
	}
	/* Where it would be made: strict, whatever the way there. */
	if (rc == 0 && (fault = fsroot_judge_load_dir(r, &loc.st, loc.inner,
	    strlen(loc.inner))) != TRUST_OK) {
		fsroot_report(r, &tr, fault, &loc.st, loc.inner, strlen(loc.inner));
		rc = FSROOT_UNTRUSTED;
	}
	if (rc == FSROOT_UNTRUSTED) {
		if (asprintf(&display, "%s%s", r->host, inner) == -1)
			display = NULL;
		fsroot_untrusted_message(e, display != NULL ? display : inner, &tr);
		err_hint(e, "it does not exist, and others may create it there");
		free(display);
	}
	fsloc_release(&loc);
	trust_report_release(&tr);
	free(path);
	return rc;
}

int
fsroot_judge_tree(struct fsroot *r, const char *inner, struct err *e)
{
	struct tree t = { r, NULL, 0, TRUST_REPORT_INIT };
	struct fsloc loc;
	struct buf path = BUF_INIT;
	char *display = NULL;
	int rc;

	rc = fsroot_locate(r, inner, FS_FOLLOW | FS_OPEN_DIR, &loc, &t.tr, e);
	if (rc == 0 && (tree_seen(&t, &loc.st) == -1 || buf_puts(&path, loc.inner) == -1))
		rc = err_sys(e, inner, "out of memory");
	if (rc == 0) {
		rc = tree_dir(&t, loc.fd, &path, e);
		loc.fd = -1;
	}
	if (rc == FSROOT_UNTRUSTED && asprintf(&display, "%s%s", r->host, inner) != -1) {
		fsroot_untrusted_message(e, display, &t.tr);
		free(display);
	}
	fsloc_release(&loc);
	buf_release(&path);
	trust_report_release(&t.tr);
	free(t.seen);
	return rc;
}
