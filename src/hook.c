/* hook.c: installing and removing the apt DPkg::Post-Invoke hook. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "hook.h"

#define HOOK_FILE	"/etc/apt/apt.conf.d/80bucardo-aiven"
#define HOOK_MARK	"// Written by bucardo-aiven hook install"

char *
hook_path(const char *root)
{
	char *p;

	if (asprintf(&p, "%s%s", root != NULL && strcmp(root, "/") != 0 ? root : "",
	    HOOK_FILE) == -1)
		return NULL;
	return p;
}

/* Is the file at path one this tool wrote? (Never remove an admin's own file.) */
static int
hook_ours(const char *path)
{
	char head[sizeof(HOOK_MARK)];
	int fd;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n != (ssize_t)sizeof(head) - 1)
		return 0;
	head[n] = '\0';
	return strcmp(head, HOOK_MARK) == 0;
}

int
hook_installed(const char *root)
{
	char *path = hook_path(root);
	int ours = path != NULL && hook_ours(path);

	free(path);
	return ours;
}

int
hook_install(const char *root, const char *binary, struct err *e)
{
	struct buf text = BUF_INIT, tmp = BUF_INIT;
	struct stat st;
	char *path = hook_path(root), *slash;
	int fd = -1, rc = -1;

	if (path == NULL)
		return err_sys(e, HOOK_FILE, "out of memory");
	if (strpbrk(binary, "\"'\\ \n;") != NULL) {
		err_set(e, binary, "the tool's path has characters an apt hook cannot quote; "
		    "install it under a plain path such as /usr/sbin");
		goto done;
	}
	if (lstat(path, &st) == 0 && !hook_ours(path)) {
		err_set(e, path, "exists and was not written by bucardo-aiven; "
		    "move it aside first");
		goto done;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_sys(e, path, "is not a directory; is apt installed here?");
		goto done;
	}
	*slash = '/';
	/*
	 * apt runs Post-Invoke through sh -c: "|| true" keeps a failure from
	 * failing the apt run (the tool logs it), and the -x test keeps apt
	 * working once the tool is removed without the hook.
	 */
	if (buf_printf(&text,
	    "%s; remove with: bucardo-aiven hook remove\n"
	    "// Re-applies the Bucardo patch after every package operation, for the\n"
	    "// copies of Bucardo.pm that no package manager owns (CPAN, local::lib).\n"
	    "DPkg::Post-Invoke { \"if [ -x %s ]; then %s apply --reapply -q || true; fi\"; };\n",
	    HOOK_MARK, binary, binary) == -1 ||
	    buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) == -1) {
		err_sys(e, path, "out of memory");
		goto done;
	}
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1) {
		err_sys(e, tmp.data, "cannot write the apt hook");
		goto done;
	}
	if (write(fd, text.data, text.len) != (ssize_t)text.len || fsync(fd) == -1 ||
	    close(fd) == -1) {
		fd = -1;
		err_sys(e, tmp.data, "cannot write the apt hook");
		unlink(tmp.data);
		goto done;
	}
	fd = -1;
	if (rename(tmp.data, path) == -1) {
		err_sys(e, path, "cannot install the apt hook");
		unlink(tmp.data);
		goto done;
	}
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	buf_release(&text);
	buf_release(&tmp);
	free(path);
	return rc;
}

int
hook_remove(const char *root, struct err *e)
{
	char *path = hook_path(root);
	struct stat st;
	int rc = 0;

	if (path == NULL)
		return err_sys(e, HOOK_FILE, "out of memory");
	if (lstat(path, &st) == -1)
		rc = errno == ENOENT ? 0 : err_sys(e, path, "cannot inspect the apt hook");
	else if (!hook_ours(path))
		rc = err_set(e, path, "was not written by bucardo-aiven; left alone");
	else if (unlink(path) == -1)
		rc = err_sys(e, path, "cannot remove the apt hook");
	free(path);
	return rc;
}
