/* watchlist.c: STATE/watchlist, the files apply --reapply keeps patched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "watchlist.h"

/* Far more than any host has copies of Bucardo.pm. */
#define WATCHLIST_LIMIT	(1024u * 1024)

int
watchlist_read(char ***paths, size_t *n, const char *state_dir, struct err *e)
{
	struct buf text = BUF_INIT, name = BUF_INIT;
	struct stat st;
	char **list = NULL, *line, *nl;
	size_t count = 0;
	int fd, rc = -1;

	*paths = NULL;
	*n = 0;
	/*
	 * The list decides which files --reapply patches: trust it no more
	 * than the store itself (store_open's rule): ours, and ours alone.
	 */
	if (lstat(state_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))))
		return err_set(e, state_dir, "the state directory is not owned by uid %u alone "
		    "(owner %u, mode %o), so its list of files to keep patched cannot be "
		    "trusted; chown %u and chmod 700 it", (unsigned)geteuid(),
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
	if (buf_printf(&name, "%s/watchlist", state_dir) == -1)
		return err_sys(e, state_dir, "out of memory");
	if ((fd = open(name.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		rc = errno == ENOENT || errno == ENOTDIR ? 0 :
		    err_sys(e, name.data, "cannot read the list of files to keep patched");
		goto done;
	}
	if (buf_read_fd(&text, fd, WATCHLIST_LIMIT) == -1) {
		err_sys(e, name.data, "cannot read the list of files to keep patched");
		close(fd);
		goto done;
	}
	close(fd);
	for (line = text.data; line != NULL && *line != '\0'; line = nl ? nl + 1 : NULL) {
		char **grown;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (*line != '/')
			continue;	/* only absolute paths are written; skip anything else */
		if ((grown = reallocarray(list, count + 1, sizeof(*list))) == NULL ||
		    (grown[count] = strdup(line)) == NULL) {
			if (grown != NULL)
				list = grown;
			err_sys(e, name.data, "out of memory");
			watchlist_free(list, count);
			goto done;
		}
		list = grown;
		count++;
	}
	*paths = list;
	*n = count;
	rc = 0;
done:
	buf_release(&text);
	buf_release(&name);
	return rc;
}

int
watchlist_has(char *const *paths, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(paths[i], path) == 0)
			return 1;
	return 0;
}

/* Every byte, or -1 with errno set (a short write sets ENOSPC). */
static int
watchlist_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
watchlist_update(const char *state_dir, const char *path, int add, struct err *e)
{
	struct buf text = BUF_INIT, name = BUF_INIT, tmp = BUF_INIT;
	char **paths;
	size_t n, i;
	int fd = -1, rc = -1, present;

	if (strchr(path, '\n') != NULL || path[0] != '/')
		return err_set(e, path, "cannot be listed: not an absolute path on one line");
	if (watchlist_read(&paths, &n, state_dir, e) == -1)
		return -1;
	present = watchlist_has(paths, n, path);
	if (present == !!add) {
		watchlist_free(paths, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (strcmp(paths[i], path) != 0 && buf_printf(&text, "%s\n", paths[i]) == -1)
			goto nomem;
	if (add && buf_printf(&text, "%s\n", path) == -1)
		goto nomem;
	/*
	 * One fixed temporary name: the caller holds the lock, so no other run
	 * writes it, and one left by a killed run is simply truncated.
	 */
	if (buf_printf(&name, "%s/watchlist", state_dir) == -1 ||
	    buf_printf(&tmp, "%s/.watchlist.tmp", state_dir) == -1)
		goto nomem;
	/* Written beside and renamed over: the list is whole or as it was. */
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		err_sys(e, tmp.data, "cannot write the list of files to keep patched");
		goto done;
	}
	if (watchlist_write_all(fd, text.data, text.len) == -1 || fsync(fd) == -1) {
		err_sys(e, tmp.data, "cannot write the list of files to keep patched");
		unlink(tmp.data);
		goto done;
	}
	if (close(fd) == -1) {
		fd = -1;
		err_sys(e, tmp.data, "cannot write the list of files to keep patched");
		unlink(tmp.data);
		goto done;
	}
	fd = -1;
	if (rename(tmp.data, name.data) == -1) {
		err_sys(e, name.data, "cannot replace the list of files to keep patched");
		unlink(tmp.data);
		goto done;
	}
	/* The rename itself must survive a power cut, or the old list comes back. */
	if ((fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fsync(fd) == -1 && errno != EINVAL)) {
		err_sys(e, state_dir, "cannot flush the list of files to keep patched to disk");
		goto done;
	}
	rc = 0;
	goto done;
nomem:
	err_sys(e, state_dir, "out of memory");
done:
	if (fd != -1)
		close(fd);
	watchlist_free(paths, n);
	buf_release(&text);
	buf_release(&name);
	buf_release(&tmp);
	return rc;
}

void
watchlist_free(char **paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
