/* fsroot.h: the root the tool works in (/ or --root DIR), and every path resolved inside it through directory descriptors. */
#ifndef FSROOT_H
#define FSROOT_H

#include <sys/stat.h>
#include <sys/types.h>

#include "base/base.h"
#include "trust.h"

/*
 * Every file the tool reads, runs or writes is reached from an fsroot, one
 * component at a time: each directory is opened with O_NOFOLLOW|O_DIRECTORY
 * relative to the one before (openat2(2) with RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS where the kernel has it, openat(2) where it does not)
 * and judged by the trust rule (trust.h) as opened, so a directory swapped
 * after it was checked is never the one used. Symbolic links are followed
 * the way the kernel follows them inside a chroot at the root: an absolute
 * target starts again at the root, and ".." never climbs above it.
 *
 * On the live system the root is / and is judged too; under --root DIR the
 * administrator vouches for DIR itself, so judging starts below it, by the
 * owners recorded in the tree.
 */
struct fsroot {
	int			 fd;		/* O_PATH|O_DIRECTORY on the root */
	char			*host;		/* its canonical host path; "" for / */
	struct trust_rule	 rule;
	struct stat		 top;		/* fstat of the root */
	int			 judge_top;	/* 1 for /, 0 for --root DIR */
	int			 staff_read;	/* /etc/group looked at for "staff" */
	int			 no_openat2;	/* the kernel lacks openat2, or a test forbids it */
};

#define FSROOT_INIT { -1, NULL, { 0, 0, 0 }, { 0 }, 0, 0, 0 }

/*
 * Open the root: dir NULL or "/" is the live system. Fails (-1, e set) when
 * dir is not a directory. Release with fsroot_close, also after a failure.
 */
int	fsroot_open(struct fsroot *r, const char *dir, struct err *e);
void	fsroot_close(struct fsroot *r);

/*
 * The path inside the root of a FILE argument (absolute, or relative to the
 * current directory) given as the host sees it. Under --root DIR it must
 * lie below DIR: otherwise -1, with a message saying so. *inner is the
 * caller's to free. Nothing is resolved here: fsroot_locate does that.
 */
int	fsroot_inner(const struct fsroot *r, const char *arg, char **inner, struct err *e);

/* Flags of fsroot_locate. */
enum {
	FS_FOLLOW = 1 << 0,	/* follow a symbolic link in the last component */
	FS_ANY_OWNER = 1 << 1,	/* judge nothing: for reading files others own (pid files) */
	FS_CONTINUE = 1 << 2,	/* go on past an untrusted component; report it at the end */
	FS_OPEN_FILE = 1 << 3,	/* open the last component: a regular file, for reading */
	FS_OPEN_DIR = 1 << 4,	/* open the last component: a directory, for reading */
	FS_MKDIR = 1 << 5,	/* create missing directories (0755; the last 0700) */
	FS_STRICT = 1 << 6	/* a path used again later (the apt hook's binary):
				   no sticky directory on the way, since what a user
				   cannot replace today they may create once it is
				   gone (trust_judge_load_dir) */
};

/* fsroot_locate's result when a component fails the trust rule. */
#define FSROOT_UNTRUSTED	1

/* Where a path led. */
struct fsloc {
	int		 dirfd;		/* the directory holding the last component */
	int		 fd;		/* the last component, with FS_OPEN_FILE/FS_OPEN_DIR; else -1 */
	char		*name;		/* the last component's name in dirfd */
	char		*inner;		/* canonical path inside the root, links resolved */
	char		*host;		/* the same path as the host sees it */
	struct stat	 st;		/* fstat of fd, else lstat; st_mode 0 when absent */
};

#define FSLOC_INIT { -1, -1, NULL, NULL, NULL, { 0 } }

/* The first component that failed the trust rule. */
struct trust_report {
	enum trust_fault	 fault;		/* TRUST_OK when none failed */
	char			*path;		/* its host path */
	uid_t			 uid;
	gid_t			 gid;
	mode_t			 mode;
};

#define TRUST_REPORT_INIT { TRUST_OK, NULL, 0, 0, 0 }

/*
 * Resolve inner (an absolute path inside the root) and fill loc. A last
 * component that does not exist is not an error without FS_OPEN_*: loc
 * then names where it would be, with st.st_mode 0. A fifo, device or
 * socket is never opened: FS_OPEN_FILE refuses it from its lstat, then
 * opens with O_NONBLOCK|O_NOFOLLOW|O_NOCTTY and checks the fstat again.
 * Returns 0; FSROOT_UNTRUSTED when a component fails the trust rule
 * (tr, when not NULL, says which, and e says it in words; without
 * FS_CONTINUE loc is then left empty); -1 on any other failure (e set,
 * errno kept: ENOENT, ENOTDIR, ELOOP, EACCES...). loc is the caller's to
 * release with fsloc_release, and tr with trust_report_release, whatever
 * the result.
 */
int	fsroot_locate(struct fsroot *r, const char *inner, unsigned flags, struct fsloc *loc,
	    struct trust_report *tr, struct err *e);

/*
 * Read a whole small file (at most limit bytes; EFBIG beyond) found with
 * fsroot_locate(FS_OPEN_FILE | flags). Returns as fsroot_locate does; a
 * missing file is -1 with errno ENOENT.
 */
int	fsroot_read(struct fsroot *r, const char *inner, unsigned flags, size_t limit,
	    struct buf *out, struct trust_report *tr, struct err *e);

/*
 * Judge the directory inner (links followed inside the root) and the way to
 * it, then everything below it: every file, directory and link, and the way
 * to where each link leads, and each directory a link leads to, whole and
 * once. For a tree a program loads code from (perl's @INC), where any file
 * another user could change would run as root. Returns 0, FSROOT_UNTRUSTED
 * (e names the first component that fails), or -1 (errno ENOENT when inner
 * does not exist).
 */
int	fsroot_judge_tree(struct fsroot *r, const char *inner, struct err *e);

/*
 * For a path that does not exist (yet) and will be used once it does (a
 * directory code would be loaded from, a program to run): judge the
 * nearest directory above it that exists, and the way there, as
 * fsroot_judge_tree judges a directory of a tree (trust_judge_load_dir),
 * since whoever may create entries in it could create inner. flags:
 * FS_STRICT judges the whole way so, for a path used again later. Returns
 * 0, FSROOT_UNTRUSTED (e says which and why), or -1.
 */
int	fsroot_judge_missing(struct fsroot *r, const char *inner, unsigned flags,
	    struct err *e);

/*
 * Whether the directory fd (O_PATH will do) has a default ACL (acl(5))
 * naming a user or a group, which everything made in it inherits, umask
 * or not. 1 when it does; 0 when not, or the file system has no ACLs; -1
 * when it cannot be read. Needs no /proc.
 */
int	fsroot_default_acl_names(int fd);

/* "PATH: not trusted: DIR is owned by uid 1000 (mode 0755); ..." into e. */
void	fsroot_untrusted_message(struct err *e, const char *path, const struct trust_report *tr);

void	fsloc_release(struct fsloc *loc);
void	trust_report_release(struct trust_report *tr);

/* Make a new entry in directory dirfd durable (fsync; EINVAL and EBADF are no failure). */
int	fsroot_sync_dir(int dirfd);

#endif
