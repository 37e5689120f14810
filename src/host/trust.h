/* trust.h: the trust rule: who may control a file or directory the tool runs, loads or writes as root. */
#ifndef TRUST_H
#define TRUST_H

#include <sys/types.h>
#include <sys/stat.h>

/*
 * A path is trusted when the file and every directory on the way to it are
 * owned by root (or by the invoking user, when that is not root) and cannot
 * be written by anybody else: the rule of OpenSSH's StrictModes and of
 * doas(1). Two exceptions, both as the kernel enforces them:
 *   - a sticky directory (S_ISVTX, like /tmp) that others can write still
 *     passes, because others cannot rename or remove an entry they do not
 *     own (unlink(2), "sticky bit"); the entries below it must themselves
 *     pass, so a file planted there by another user does not;
 *   - a group-writable directory passes when its group is root-equivalent:
 *     gid 0, or Debian's "staff" below /usr/local, which older Debian
 *     releases made root:staff 2775 (Debian Policy 9.1.2) and whose members
 *     could already install software there.
 * A symbolic link's own mode means nothing (always 0777): only its owner
 * counts, and the directory holding it.
 *
 * An extended access ACL (acl(5)) can let named users and groups write
 * while the mode shows only root's group: its group bits are then the ACL's
 * mask, and a named entry writes when both it and the mask allow it. Every
 * such writer must pass the owner rule (a named user) or the group rule (a
 * named group).
 */

enum trust_fault {
	TRUST_OK = 0,
	TRUST_OWNER,		/* owned by somebody else */
	TRUST_GROUP_WRITABLE,	/* writable by a group that is not root-equivalent */
	TRUST_OTHER_WRITABLE,	/* writable by everybody, and not sticky */
	TRUST_ACL_WRITABLE,	/* an ACL entry lets an untrusted user or group write */
	TRUST_ACL_UNREADABLE	/* the ACL that may let others write cannot be read */
};

/* The most named writers an ACL may hold and still be judged (more: untrusted). */
#define TRUST_ACL_MAX	16

/*
 * The writers an extended access ACL names, after its mask: filled by the
 * host layer (fsroot.c reads it), judged here.
 */
struct trust_acl {
	int	unreadable;	/* 1: it could not be read (no /proc, an error) */
	int	overflow;	/* 1: more than TRUST_ACL_MAX named writers */
	size_t	nusers;
	size_t	ngroups;
	uid_t	users[TRUST_ACL_MAX];
	gid_t	groups[TRUST_ACL_MAX];
};

struct trust_rule {
	uid_t	self;		/* the invoking (effective) user; 0 when root */
	gid_t	staff;		/* gid of "staff" in the tree's /etc/group */
	int	has_staff;	/* 0: no staff group known */
};

/*
 * Judge one component as it was opened (fstat or lstat of it).
 * below_usr_local: the component is /usr/local or below it, inside the root
 * (where the staff group counts as root-equivalent). acl: its extended
 * access ACL's writers, or NULL when it has none or was not asked for (see
 * trust_acl_matters). Pure: no I/O.
 */
enum trust_fault	trust_judge(const struct trust_rule *rule, const struct stat *st,
			    int below_usr_local, const struct trust_acl *acl);

/*
 * The stricter rule for a directory code is loaded from by name (perl's
 * @INC): the sticky bit stops others renaming or removing what is there
 * (unlink(2)), not creating the name perl looks for. A sticky directory
 * others can write is therefore refused here, though trust_judge lets the
 * way to a root-owned entry pass through it. Pure: no I/O.
 */
enum trust_fault	trust_judge_load_dir(const struct trust_rule *rule, const struct stat *st,
			    int below_usr_local);

/*
 * 1 when an ACL could change the verdict on st: the mode passes and its
 * group bits (an ACL's mask) allow writing. Otherwise no named entry can
 * write, and the ACL need not be read.
 */
int		trust_acl_matters(const struct trust_rule *rule, const struct stat *st,
			    int below_usr_local);

/* "owned by uid 1000", "writable by group 100", "writable by everybody". */
const char	*trust_fault_words(enum trust_fault fault);

#endif
