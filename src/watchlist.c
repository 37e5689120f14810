/* watchlist.c: STATE/watchlist, the files apply --reapply keeps patched. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "watchlist.h"

#define WATCHLIST_NAME	"watchlist"
/* Far more than any host has copies of Bucardo.pm. */
#define WATCHLIST_LIMIT	(1024u * 1024)

int
watchlist_read(char ***paths, size_t *n, const struct statedir *sd, struct err *e)
{
	struct buf text = BUF_INIT;
	struct stat st;
	char **list = NULL, **grown, *line, *nl;
	size_t count = 0;
	int fd, rc = -1;

	*paths = NULL;
	*n = 0;
	if (sd->fd == -1)
		return 0;
	/* Its type first: a fifo or a device planted there is never opened. */
	if (fstatat(sd->fd, WATCHLIST_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
		goto planted;
	fd = openat(sd->fd, WATCHLIST_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, sd->path, "cannot read the list of files to keep patched");
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		goto planted;
	}
	if (buf_read_fd(&text, fd, WATCHLIST_LIMIT) == -1) {
		err_sys(e, sd->path, "cannot read the list of files to keep patched");
		close(fd);
		goto done;
	}
	close(fd);
	for (line = text.data; line != NULL && *line != '\0'; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (*line != '/')
			continue;	/* only absolute paths are written; skip anything else */
		if ((grown = reallocarray(list, count + 1, sizeof(*list))) == NULL ||
		    (grown[count] = strdup(line)) == NULL) {
			if (grown != NULL)
				list = grown;
			err_sys(e, sd->path, "out of memory");
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
	return rc;
planted:
	return err_set(e, NULL, "%s/" WATCHLIST_NAME ": not a regular file; move it aside and "
	    "run apply again", sd->path);
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

int
watchlist_update(const struct statedir *sd, const char *path, int add, struct err *e)
{
	struct buf text = BUF_INIT;
	char **paths;
	size_t n, i;
	int rc = -1, present;

	if (strchr(path, '\n') != NULL || path[0] != '/')
		return err_set(e, path, "cannot be listed: not an absolute path on one line");
	if (sd->fd == -1)
		return err_set(e, path, "cannot be listed: no state directory");
	if (watchlist_read(&paths, &n, sd, e) == -1)
		return -1;
	present = watchlist_has(paths, n, path);
	if (present == !!add) {
		watchlist_free(paths, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (strcmp(paths[i], path) != 0 && buf_printf(&text, "%s\n", paths[i]) == -1)
			goto nomem;
	if ((add && buf_printf(&text, "%s\n", path) == -1) || buf_append(&text, "", 0) == -1)
		goto nomem;
	/* Whole or as it was, and the rename made durable: else the old list comes back. */
	rc = atomic_write_at(sd->fd, sd->path, WATCHLIST_NAME, text.data, text.len, 0600, 0, e);
	goto done;
nomem:
	err_sys(e, sd->path, "out of memory");
done:
	watchlist_free(paths, n);
	buf_release(&text);
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
