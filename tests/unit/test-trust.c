/* test-trust.c: the trust rule on synthetic stat values: owner, group, everybody, sticky, links. */
#include <sys/stat.h>
#include <sys/types.h>

#include <string.h>

#include "trust.h"
#include "tap.h"

#define STAFF	50

static const char *
fault_name(enum trust_fault f)
{
	switch (f) {
	case TRUST_OK:
		return "TRUST_OK";
	case TRUST_OWNER:
		return "TRUST_OWNER";
	case TRUST_GROUP_WRITABLE:
		return "TRUST_GROUP_WRITABLE";
	case TRUST_OTHER_WRITABLE:
		return "TRUST_OTHER_WRITABLE";
	case TRUST_ACL_WRITABLE:
		return "TRUST_ACL_WRITABLE";
	case TRUST_ACL_UNREADABLE:
		return "TRUST_ACL_UNREADABLE";
	}
	return "?";
}

/* A made-up file: type and mode, owner, group. */
static struct stat
made(mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_gid = gid;
	return st;
}

/* Judge a made-up file without an ACL, below /usr/local or not. */
static enum trust_fault
judge(const struct trust_rule *rule, mode_t mode, uid_t uid, gid_t gid, int below)
{
	struct stat st = made(mode, uid, gid);

	return trust_judge(rule, &st, below, NULL);
}

/* The same with an ACL naming writers (users, then groups; -1 ends each). */
static enum trust_fault
judge_acl(const struct trust_rule *rule, mode_t mode, int below, const int *users,
    const int *groups)
{
	struct stat st = made(mode, 0, 0);
	struct trust_acl acl;

	memset(&acl, 0, sizeof(acl));
	for (; *users != -1; users++)
		acl.users[acl.nusers++] = (uid_t)*users;
	for (; *groups != -1; groups++)
		acl.groups[acl.ngroups++] = (gid_t)*groups;
	return trust_judge(rule, &st, below, &acl);
}

#define judged(want, rule, mode, uid, gid, below, ...) do { \
	enum trust_fault got_ = judge((rule), (mode), (uid), (gid), (below)); \
	ok(got_ == (want), __VA_ARGS__); \
	if (got_ != (want)) \
		printf("#   got %s, want %s\n", fault_name(got_), fault_name(want)); \
} while (0)

int
main(void)
{
	const struct trust_rule asroot = { 0, 0, 0 };
	const struct trust_rule asuser = { 1000, 0, 0 };
	const struct trust_rule staff = { 0, STAFF, 1 };
	const char *w[6];
	int i, j, distinct = 1;

	/* Owners. */
	judged(TRUST_OK, &asroot, S_IFDIR | 0755, 0, 0, 0, "a root-owned 0755 directory is trusted");
	judged(TRUST_OK, &asroot, S_IFREG | 0644, 0, 0, 0, "a root-owned 0644 file is trusted");
	judged(TRUST_OK, &asroot, S_IFREG | 04755, 0, 0, 0, "set-id bits do not matter");
	judged(TRUST_OWNER, &asroot, S_IFDIR | 0755, 1000, 0, 0,
	    "a directory owned by uid 1000 is refused when root runs");
	judged(TRUST_OWNER, &asroot, S_IFREG | 0444, 65534, 65534, 0,
	    "a read-only file owned by nobody is refused: its owner can chmod it");
	judged(TRUST_OK, &asuser, S_IFDIR | 0755, 1000, 1000, 0,
	    "rule.self: the invoking user's own directory is trusted");
	judged(TRUST_OK, &asuser, S_IFDIR | 0755, 0, 0, 0,
	    "rule.self: root's directory is still trusted");
	judged(TRUST_OWNER, &asuser, S_IFDIR | 0755, 1001, 1001, 0,
	    "rule.self: another user's directory is refused");
	judged(TRUST_GROUP_WRITABLE, &asuser, S_IFREG | 0664, 1000, 100, 0,
	    "rule.self: the user's own file is refused when group 100 can write it");

	/* Groups. */
	judged(TRUST_OK, &asroot, S_IFDIR | 0775, 0, 0, 0,
	    "group-writable with gid 0 is trusted");
	judged(TRUST_OK, &asroot, S_IFREG | 0664, 0, 0, 0,
	    "a group-writable file with gid 0 is trusted");
	judged(TRUST_GROUP_WRITABLE, &asroot, S_IFDIR | 0775, 0, 100, 0,
	    "group-writable with gid 100 is refused");
	judged(TRUST_GROUP_WRITABLE, &asroot, S_IFREG | 0620, 0, 100, 0,
	    "group write alone (0620) with gid 100 is refused");
	judged(TRUST_OK, &asroot, S_IFDIR | 0755, 0, 100, 0,
	    "gid 100 without group write is trusted");
	judged(TRUST_OK, &staff, S_IFDIR | 02775, 0, STAFF, 1,
	    "staff-writable below /usr/local is trusted (Debian's root:staff 2775)");
	judged(TRUST_GROUP_WRITABLE, &staff, S_IFDIR | 02775, 0, STAFF, 0,
	    "staff-writable elsewhere is refused");
	judged(TRUST_GROUP_WRITABLE, &asroot, S_IFDIR | 02775, 0, STAFF, 1,
	    "staff-writable below /usr/local is refused when no staff group is known");
	judged(TRUST_GROUP_WRITABLE, &staff, S_IFDIR | 02775, 0, STAFF + 1, 1,
	    "another group below /usr/local is refused");
	judged(TRUST_OWNER, &staff, S_IFDIR | 02775, 1000, STAFF, 1,
	    "staff's exception does not cover another owner");

	/* Everybody. */
	judged(TRUST_OTHER_WRITABLE, &asroot, S_IFDIR | 0777, 0, 0, 0,
	    "a world-writable directory is refused");
	judged(TRUST_OTHER_WRITABLE, &asroot, S_IFDIR | 0757, 0, 0, 0,
	    "other-write alone (0757) is refused");
	judged(TRUST_OTHER_WRITABLE, &asroot, S_IFREG | 0666, 0, 0, 0,
	    "a world-writable file is refused");
	judged(TRUST_OTHER_WRITABLE, &asroot, S_IFDIR | 0777, 0, 100, 0,
	    "world- and group-writable: reported as writable by everybody");
	judged(TRUST_OK, &asroot, S_IFDIR | 01777, 0, 0, 0,
	    "a root-owned sticky world-writable directory (/tmp) is trusted");
	judged(TRUST_OK, &asroot, S_IFDIR | 01775, 0, 100, 0,
	    "a root-owned sticky group-writable directory is trusted");
	judged(TRUST_OWNER, &asroot, S_IFDIR | 01777, 1000, 0, 0,
	    "a sticky directory owned by another user is refused");
	judged(TRUST_OTHER_WRITABLE, &asroot, S_IFREG | 01666, 0, 0, 0,
	    "the sticky bit on a regular file does not excuse it");
	judged(TRUST_OK, &asuser, S_IFDIR | 01777, 1000, 1000, 0,
	    "rule.self: the user's own sticky directory is trusted");

	/* Symbolic links: only the owner counts. */
	judged(TRUST_OK, &asroot, S_IFLNK | 0777, 0, 0, 0,
	    "a root-owned symlink (mode 0777, as always) is trusted");
	judged(TRUST_OK, &asroot, S_IFLNK | 0777, 0, 100, 0,
	    "a root-owned symlink of another group is trusted");
	judged(TRUST_OWNER, &asroot, S_IFLNK | 0777, 65534, 0, 0,
	    "a symlink owned by nobody is refused");
	judged(TRUST_OK, &asuser, S_IFLNK | 0777, 1000, 1000, 0,
	    "rule.self: the user's own symlink is trusted");

	/* ACLs: the mode shows root's group, named entries let others write. */
	{
		static const int none[] = { -1 }, root[] = { 0, -1 }, user[] = { 1000, -1 },
		    group[] = { 100, -1 }, staffg[] = { STAFF, -1 }, self[] = { 1000, -1 };
		struct stat st = made(S_IFREG | 0664, 0, 0);
		struct trust_acl acl;

		ok(judge_acl(&asroot, S_IFREG | 0664, 0, none, none) == TRUST_OK,
		    "an ACL naming no writer is trusted");
		ok(judge_acl(&asroot, S_IFDIR | 0775, 0, root, root) == TRUST_OK,
		    "an ACL letting root and group 0 write is trusted");
		ok(judge_acl(&asroot, S_IFREG | 0664, 0, user, none) == TRUST_ACL_WRITABLE,
		    "a root:root 0664 file whose ACL lets uid 1000 write is refused");
		ok(judge_acl(&asroot, S_IFDIR | 0775, 0, none, group) == TRUST_ACL_WRITABLE,
		    "a root:root 0775 directory whose ACL lets group 100 write is refused");
		ok(judge_acl(&staff, S_IFDIR | 02775, 1, none, staffg) == TRUST_OK,
		    "an ACL letting staff write below /usr/local is trusted, as the mode would be");
		ok(judge_acl(&staff, S_IFDIR | 02775, 0, none, staffg) == TRUST_ACL_WRITABLE,
		    "an ACL letting staff write elsewhere is refused");
		ok(judge_acl(&asuser, S_IFREG | 0664, 0, self, none) == TRUST_OK,
		    "rule.self: an ACL letting the invoking user write is trusted");
		ok(judge_acl(&asroot, S_IFREG | 0666, 0, none, none) == TRUST_OTHER_WRITABLE,
		    "the mode's own fault is reported before the ACL's");
		memset(&acl, 0, sizeof(acl));
		acl.unreadable = 1;
		ok(trust_judge(&asroot, &st, 0, &acl) == TRUST_ACL_UNREADABLE,
		    "an ACL that could not be read is not trusted");
		memset(&acl, 0, sizeof(acl));
		acl.overflow = 1;
		ok(trust_judge(&asroot, &st, 0, &acl) == TRUST_ACL_WRITABLE,
		    "more named writers than can be judged is not trusted");
		st = made(S_IFREG | 0644, 0, 0);
		ok(!trust_acl_matters(&asroot, &st, 0),
		    "without group write no ACL entry can write: the ACL is not read");
		st = made(S_IFREG | 0664, 0, 0);
		ok(trust_acl_matters(&asroot, &st, 0),
		    "with group write (the ACL's mask) the ACL is read");
		st = made(S_IFREG | 0664, 0, 100);
		ok(!trust_acl_matters(&asroot, &st, 0),
		    "a file the mode already refuses needs no ACL read");
		st = made(S_IFLNK | 0777, 0, 0);
		ok(!trust_acl_matters(&asroot, &st, 0), "a symbolic link has no ACL");
	}

	/* Words. */
	is_str(trust_fault_words(TRUST_OK), "trusted", "TRUST_OK reads 'trusted'");
	w[0] = trust_fault_words(TRUST_OK);
	w[1] = trust_fault_words(TRUST_OWNER);
	w[2] = trust_fault_words(TRUST_GROUP_WRITABLE);
	w[3] = trust_fault_words(TRUST_OTHER_WRITABLE);
	w[4] = trust_fault_words(TRUST_ACL_WRITABLE);
	w[5] = trust_fault_words(TRUST_ACL_UNREADABLE);
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			if (w[i] == NULL || w[j] == NULL || strcmp(w[i], w[j]) == 0)
				distinct = 0;
	ok(distinct, "each fault has its own words");
	ok(strstr(w[1], "owned") != NULL && strstr(w[2], "group") != NULL &&
	    strstr(w[3], "everybody") != NULL, "the words say what is wrong (%s; %s; %s)",
	    w[1], w[2], w[3]);
	ok(trust_fault_words((enum trust_fault)42) != NULL, "an unknown fault still has words");
	return tap_done();
}
