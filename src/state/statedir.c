/* statedir.c: opening the state directory and the directories below it, refusing what others control. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statedir.h"

void
statedir_close(struct statedir *sd)
{
	if (sd->fd != -1)
		close(sd->fd);
	free(sd->path);
	*sd = (struct statedir)STATEDIR_INIT;
}

int
statedir_open(struct statedir *sd, struct fsroot *root, const char *inner,
    enum statedir_mode mode, struct err *e)
{
	struct trust_report tr = TRUST_REPORT_INIT;
	struct fsloc loc;
	int rc;

	*sd = (struct statedir)STATEDIR_INIT;
	/* Looked at as it is first, so that a fault of its own gets its own words. */
	rc = fsroot_locate(root, inner, FS_OPEN_DIR | FS_CONTINUE, &loc, &tr, e);
	if (rc == -1 && errno == ENOENT && mode == STATEDIR_CREATE) {
		trust_report_release(&tr);
		rc = fsroot_locate(root, inner, FS_OPEN_DIR | FS_MKDIR, &loc, &tr, e);
	}
	if (rc == FSROOT_UNTRUSTED && loc.host != NULL && tr.path != NULL &&
	    strcmp(tr.path, loc.host) == 0)
		rc = 0;		/* the directory itself: judged below */
	if (rc == FSROOT_UNTRUSTED) {
		err_hint(e, "its backups cannot be trusted; choose a --state-dir that only "
		    "uid %lu can reach", (unsigned long)geteuid());
		rc = -1;
	} else if (rc == -1 && errno == ENOENT && mode == STATEDIR_READ) {
		rc = 0;
	} else if (rc == -1 && errno == ELOOP) {
		err_set(e, NULL, "%s%s: the state directory is a symbolic link; refused, since it "
		    "could lead anywhere; give the directory itself with --state-dir", root->host,
		    inner);
	} else if (rc == -1 && (errno == EACCES || errno == EPERM) && geteuid() != 0) {
		/* The usual cause: the default state directory, and not root. */
		err_hint(e, "run it as root (sudo bucardo-aiven ...), which the default "
		    "/var/lib/bucardo-aiven needs, or give --state-dir a directory of your own");
	} else if (rc == -1 && errno == ENOTDIR) {
		err_hint(e, "the state directory is not a directory; move it aside or choose "
		    "another --state-dir");
	} else if (rc == 0 && loc.st.st_uid == 0 && geteuid() != 0) {
		/* The packaged state directory: the command wants root, not a chown. */
		rc = err_set(e, loc.host, "the state directory belongs to root: run it as root "
		    "(sudo bucardo-aiven ...), or give --state-dir a directory of your own");
	} else if (rc == 0 && loc.st.st_uid != geteuid()) {
		rc = err_set(e, loc.host, "the state directory is owned by uid %u, not by uid %u "
		    "running this, so its backups cannot be trusted; chown %u %s, or choose "
		    "another --state-dir", (unsigned)loc.st.st_uid, (unsigned)geteuid(),
		    (unsigned)geteuid(), loc.host);
	} else if (rc == 0 && (loc.st.st_mode & (S_IWGRP | S_IWOTH))) {
		rc = err_set(e, loc.host, "the state directory is writable by group or others, "
		    "who could plant a backup; chmod 700 %s", loc.host);
	} else if (rc == 0 && loc.fd != -1 && fsroot_default_acl_names(loc.fd) != 0) {
		rc = err_set(e, loc.host, "the state directory has a default ACL naming users or "
		    "groups (or its ACL cannot be read): what is kept in it would inherit their "
		    "access; remove it with setfacl -k %s", loc.host);
	}
	if (rc == 0 && loc.fd != -1) {
		sd->fd = loc.fd;
		sd->path = loc.host;
		loc.fd = -1;
		loc.host = NULL;
	}
	fsloc_release(&loc);
	trust_report_release(&tr);
	return rc;
}

int
statedir_subdir(const struct statedir *sd, const char *rel, int create, struct err *e)
{
	char name[NAME_MAX + 1];
	const char *p = rel;
	size_t len;
	int fd, next, saved;

	if ((fd = fcntl(sd->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return err_sys(e, sd->path, "cannot open the state directory");
	while (*(p += strspn(p, "/")) != '\0') {
		len = strcspn(p, "/");
		if (len > NAME_MAX || (len == 2 && p[0] == '.' && p[1] == '.') ||
		    (len == 1 && p[0] == '.')) {
			close(fd);
			errno = EINVAL;
			return err_set(e, sd->path, "%s: not a plain path below the state directory",
			    rel);
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next == -1 && errno == ENOENT && create) {
			if (mkdirat(fd, name, 0700) == -1 && errno != EEXIST) {
				saved = errno;
				close(fd);
				errno = saved;
				return err_sys(e, sd->path, "cannot create %s", rel);
			}
			if (fsroot_sync_dir(fd) == -1) {
				saved = errno;
				close(fd);
				errno = saved;
				return err_sys(e, sd->path, "cannot make %s durable", rel);
			}
			next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		saved = errno;
		close(fd);
		if (next == -1) {
			errno = saved;
			if (errno == ENOENT)
				return -1;
			if (errno == ELOOP || errno == ENOTDIR)
				return err_set(e, sd->path, "%s: not a directory (a link or a file); "
				    "move it aside and run again", rel);
			return err_sys(e, sd->path, "cannot open %s", rel);
		}
		fd = next;
	}
	return fd;
}
