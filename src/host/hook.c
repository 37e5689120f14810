/* hook.c: installing and removing the apt DPkg::Post-Invoke hook. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "base/base.h"
#include "hook.h"

#define HOOK_MARK	"// Written by bucardo-aiven hook install"

int
hook_binary_ok(const char *binary, struct err *e)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/._+-";

	if (binary[0] != '/' || binary[strspn(binary, allowed)] != '\0')
		return err_set(e, NULL, "the hook's command must be an absolute path of letters, "
		    "digits and /._+- only, which apt and sh both read literally; install the tool "
		    "under a plain path such as /usr/sbin and give it with --binary");
	return 0;
}

/*
 * The apt configuration directory below root, opened: it must pass the
 * trust rule. Returns as fsroot_locate: 0, FSROOT_UNTRUSTED, or -1 with
 * errno kept (ENOENT or ENOTDIR: no apt here).
 */
static int
hook_dir(struct fsroot *root, struct fsloc *loc, struct err *e)
{
	int rc = fsroot_locate(root, HOOK_DIR, FS_FOLLOW | FS_OPEN_DIR, loc, NULL, e), saved;

	if (rc == -1 && (errno == ENOENT || errno == ENOTDIR)) {
		saved = errno;
		err_hint(e, "is apt installed here?");
		errno = saved;
	}
	return rc;
}

/*
 * Is the file name in dirfd one this tool wrote? Never remove or replace an
 * admin's own file. Only a regular file is opened, without blocking.
 * Returns 1 when it is ours, 0 when it is not (absent included: errno is
 * then ENOENT), -1 when it cannot be read (e set, dir naming the directory).
 */
static int
hook_ours(int dirfd, const char *dir, const char *name, struct err *e)
{
	char head[sizeof(HOOK_MARK)];
	struct stat st;
	ssize_t n;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, NULL, "%s/%s: cannot inspect the apt hook", dir, name);
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		return err_sys(e, NULL, "%s/%s: cannot read the apt hook", dir, name);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;	/* replaced meanwhile by something that is not ours */
	}
	n = read(fd, head, sizeof(head) - 1);
	if (n == -1) {
		err_sys(e, NULL, "%s/%s: cannot read the apt hook", dir, name);
		close(fd);
		return -1;
	}
	close(fd);
	if (n != (ssize_t)sizeof(head) - 1)
		return 0;
	head[n] = '\0';
	return strcmp(head, HOOK_MARK) == 0;
}

int
hook_installed(struct fsroot *root, struct err *e)
{
	struct fsloc loc;
	int rc = hook_dir(root, &loc, e);

	if (rc == 0)
		rc = hook_ours(loc.fd, loc.host, HOOK_NAME, e);
	else if (rc == -1 && (errno == ENOENT || errno == ENOTDIR))
		rc = 0;		/* no apt directory: no hook */
	else
		rc = -1;	/* untrusted, or unreadable: cannot tell */
	fsloc_release(&loc);
	return rc;
}

int
hook_install(struct fsroot *root, const char *binary, struct err *e)
{
	struct buf text = BUF_INIT;
	struct fsloc loc;
	struct stat st;
	int rc = -1, ours;

	if (hook_binary_ok(binary, e) == -1)
		return -1;
	if (hook_dir(root, &loc, e) != 0)
		goto done;
	if ((ours = hook_ours(loc.fd, loc.host, HOOK_NAME, e)) == -1)
		goto done;
	if (!ours && fstatat(loc.fd, HOOK_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		err_set(e, NULL, "%s/%s: exists and was not written by bucardo-aiven; move it "
		    "aside first", loc.host, HOOK_NAME);
		goto done;
	}
	/*
	 * apt runs Post-Invoke through sh -c: "|| true" keeps a failure from
	 * failing the apt run, and the -x test keeps apt working once the
	 * tool is removed without the hook.
	 */
	if (buf_printf(&text,
	    "%s; remove with: bucardo-aiven hook remove\n"
	    "// Re-applies the Bucardo patch after every package operation, for the\n"
	    "// copies of Bucardo.pm that no package manager owns (CPAN, local::lib).\n"
	    "DPkg::Post-Invoke { \"if [ -x %s ]; then %s apply --reapply -q || true; fi\"; };\n",
	    HOOK_MARK, binary, binary) == -1) {
		err_sys(e, loc.host, "out of memory");
		goto done;
	}
	rc = atomic_write_at(loc.fd, loc.host, HOOK_NAME, text.data, text.len, 0644, 0, e);
done:
	fsloc_release(&loc);
	buf_release(&text);
	return rc;
}

int
hook_remove(struct fsroot *root, int *removed, struct err *e)
{
	struct fsloc loc;
	struct stat st;
	int rc, ours;

	*removed = 0;
	if ((rc = hook_dir(root, &loc, e)) != 0) {
		/* No apt, no hook; an untrusted directory is a failure whatever errno says. */
		rc = rc == -1 && (errno == ENOENT || errno == ENOTDIR) ? 0 : -1;
		fsloc_release(&loc);
		return rc;
	}
	if ((ours = hook_ours(loc.fd, loc.host, HOOK_NAME, e)) == -1)
		rc = -1;
	else if (fstatat(loc.fd, HOOK_NAME, &st, AT_SYMLINK_NOFOLLOW) == -1)
		rc = errno == ENOENT ? 0 : err_sys(e, NULL, "%s/%s: cannot inspect the apt hook",
		    loc.host, HOOK_NAME);
	else if (!ours)
		rc = err_set(e, NULL, "%s/%s: was not written by bucardo-aiven; left alone",
		    loc.host, HOOK_NAME);
	else if (unlinkat(loc.fd, HOOK_NAME, 0) == -1)
		rc = err_sys(e, NULL, "%s/%s: cannot remove the apt hook", loc.host, HOOK_NAME);
	else if (fsroot_sync_dir(loc.fd) == -1)
		rc = err_sys(e, NULL, "%s: the hook was removed, but flushing the directory "
		    "failed", loc.host);
	else
		*removed = 1;
	fsloc_release(&loc);
	return rc;
}
