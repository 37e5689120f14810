/* trust.c: the trust rule applied to one file or directory as opened. */
#include <sys/stat.h>

#include <stddef.h>

#include "trust.h"

static int
trust_owner_ok(const struct trust_rule *rule, uid_t uid)
{
	return uid == 0 || uid == rule->self;
}

static int
trust_group_ok(const struct trust_rule *rule, gid_t gid, int below_usr_local)
{
	return gid == 0 || (below_usr_local && rule->has_staff && gid == rule->staff);
}

/* Whether the mode lets others than the owner write: everybody, or a group not root's. */
static enum trust_fault
trust_writers(const struct trust_rule *rule, const struct stat *st, int below_usr_local)
{
	if (st->st_mode & S_IWOTH)
		return TRUST_OTHER_WRITABLE;
	if ((st->st_mode & S_IWGRP) && !trust_group_ok(rule, st->st_gid, below_usr_local))
		return TRUST_GROUP_WRITABLE;
	return TRUST_OK;
}

/* The mode alone, as if the component had no extended ACL. */
static enum trust_fault
trust_judge_mode(const struct trust_rule *rule, const struct stat *st, int below_usr_local)
{
	int sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);

	if (!trust_owner_ok(rule, st->st_uid))
		return TRUST_OWNER;
	if (S_ISLNK(st->st_mode) || sticky_dir)
		return TRUST_OK;
	return trust_writers(rule, st, below_usr_local);
}

enum trust_fault
trust_judge_load_dir(const struct trust_rule *rule, const struct stat *st, int below_usr_local)
{
	if (!S_ISDIR(st->st_mode) || !(st->st_mode & S_ISVTX))
		return TRUST_OK;
	return trust_writers(rule, st, below_usr_local);
}

int
trust_acl_matters(const struct trust_rule *rule, const struct stat *st, int below_usr_local)
{
	return !S_ISLNK(st->st_mode) && (st->st_mode & S_IWGRP) &&
	    trust_judge_mode(rule, st, below_usr_local) == TRUST_OK;
}

enum trust_fault
trust_judge(const struct trust_rule *rule, const struct stat *st, int below_usr_local,
    const struct trust_acl *acl)
{
	enum trust_fault fault = trust_judge_mode(rule, st, below_usr_local);
	size_t i;

	if (fault != TRUST_OK || acl == NULL || S_ISLNK(st->st_mode))
		return fault;
	if (acl->unreadable)
		return TRUST_ACL_UNREADABLE;
	if (acl->overflow)
		return TRUST_ACL_WRITABLE;
	for (i = 0; i < acl->nusers; i++)
		if (!trust_owner_ok(rule, acl->users[i]))
			return TRUST_ACL_WRITABLE;
	for (i = 0; i < acl->ngroups; i++)
		if (!trust_group_ok(rule, acl->groups[i], below_usr_local))
			return TRUST_ACL_WRITABLE;
	return TRUST_OK;
}

const char *
trust_fault_words(enum trust_fault fault)
{
	switch (fault) {
	case TRUST_OK:
		return "trusted";
	case TRUST_OWNER:
		return "owned by another user";
	case TRUST_GROUP_WRITABLE:
		return "writable by its group";
	case TRUST_OTHER_WRITABLE:
		return "writable by everybody";
	case TRUST_ACL_WRITABLE:
		return "writable by another user or group through its ACL";
	case TRUST_ACL_UNREADABLE:
		return "group-writable, and its ACL cannot be read (is /proc mounted?)";
	}
	return "not trusted";
}
