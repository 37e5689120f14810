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
 */

enum trust_fault {
	TRUST_OK = 0,
	TRUST_OWNER,		/* owned by somebody else */
	TRUST_GROUP_WRITABLE,	/* writable by a group that is not root-equivalent */
	TRUST_OTHER_WRITABLE	/* writable by everybody, and not sticky */
};

struct trust_rule {
	uid_t	self;		/* the invoking (effective) user; 0 when root */
	gid_t	staff;		/* gid of "staff" in the tree's /etc/group */
	int	has_staff;	/* 0: no staff group known */
};

/*
 * Judge one component as it was opened (fstat or lstat of it).
 * below_usr_local: the component is /usr/local or below it, inside the root
 * (where the staff group counts as root-equivalent). Pure: no I/O.
 */
enum trust_fault	trust_judge(const struct trust_rule *rule, const struct stat *st,
			    int below_usr_local);

/* "owned by uid 1000", "writable by group 100", "writable by everybody". */
const char	*trust_fault_words(enum trust_fault fault);

#endif
