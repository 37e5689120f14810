/* watchlist.c: STATE/watchlist, the files apply --reapply keeps patched. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host.h"
#include "base/base.h"
#include "watchlist.h"

#define WATCHLIST_NAME	"watchlist"
/* Far more than any host has copies of Bucardo.pm. */
#define WATCHLIST_LIMIT	(1024u * 1024)

/* Fill en from one line (modified in place): PATH [TAB key=value]... */
static int
watchlist_parse(struct watch_entry *en, char *line)
{
	char *field, *next;

	en->function = NULL;
	en->form = RULE_FORMS;
	if ((next = strchr(line, '\t')) != NULL)
		*next++ = '\0';
	if ((en->path = strdup(line)) == NULL)
		return -1;
	for (field = next; field != NULL; field = next) {
		if ((next = strchr(field, '\t')) != NULL)
			*next++ = '\0';
		/* Only what would be accepted on the command line: the list is data. */
		if (strncmp(field, "function=", 9) == 0 && rules_function_ok(field + 9)) {
			free(en->function);
			if ((en->function = strdup(field + 9)) == NULL)
				return -1;
		} else if (strncmp(field, "form=", 5) == 0)
			en->form = rules_form_from_name(field + 5);
	}
	return 0;
}

int
watchlist_read(struct watch_entry **list, size_t *n, const struct statedir *sd, struct err *e)
{
	struct buf text = BUF_INIT;
	struct watch_entry *all = NULL, *grown;
	struct stat st;
	char *line, *nl;
	size_t count = 0;
	int fd, rc = -1;

	*list = NULL;
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
		if ((grown = reallocarray(all, count + 1, sizeof(*all))) == NULL) {
			err_sys(e, sd->path, "out of memory");
			goto fail;
		}
		all = grown;
		memset(&all[count], 0, sizeof(all[count]));
		if (watchlist_parse(&all[count++], line) == -1) {
			err_sys(e, sd->path, "out of memory");
			goto fail;
		}
	}
	*list = all;
	*n = count;
	rc = 0;
	goto done;
fail:
	watchlist_free(all, count);
done:
	buf_release(&text);
	return rc;
planted:
	return err_set(e, NULL, "%s/" WATCHLIST_NAME ": not a regular file; move it aside and "
	    "run apply again", sd->path);
}

const struct watch_entry *
watchlist_find(const struct watch_entry *list, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].path, path) == 0)
			return &list[i];
	return NULL;
}

/* Append the line for en to text. */
static int
watchlist_line(struct buf *text, const struct watch_entry *en)
{
	if (buf_puts(text, en->path) == -1 ||
	    (en->function != NULL && buf_printf(text, "\tfunction=%s", en->function) == -1) ||
	    (en->form != RULE_FORMS && buf_printf(text, "\tform=%s",
	    rules_form_name(en->form)) == -1))
		return -1;
	return buf_puts(text, "\n");
}

int
watchlist_update(const struct statedir *sd, const struct watch_entry *entry, int add,
    struct err *e)
{
	struct buf text = BUF_INIT;
	struct watch_entry *list;
	const struct watch_entry *have;
	size_t n, i;
	int rc = -1;

	if (strpbrk(entry->path, "\n\t") != NULL || entry->path[0] != '/')
		return err_set(e, entry->path, "cannot be listed: not an absolute path without tabs "
		    "or newlines");
	if (sd->fd == -1)
		return err_set(e, entry->path, "cannot be listed: no state directory");
	if (watchlist_read(&list, &n, sd, e) == -1)
		return -1;
	have = watchlist_find(list, n, entry->path);
	if (!add && have == NULL) {
		watchlist_free(list, n);
		return 0;
	}
	if (add && have != NULL && have->form == entry->form &&
	    ((have->function == NULL && entry->function == NULL) ||
	    (have->function != NULL && entry->function != NULL &&
	    strcmp(have->function, entry->function) == 0))) {
		watchlist_free(list, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (strcmp(list[i].path, entry->path) != 0 && watchlist_line(&text, &list[i]) == -1)
			goto nomem;
	if ((add && watchlist_line(&text, entry) == -1) || buf_append(&text, "", 0) == -1)
		goto nomem;
	/* Whole or as it was, and the rename made durable: else the old list comes back. */
	rc = atomic_write_at(sd->fd, sd->path, WATCHLIST_NAME, text.data, text.len, 0600, 0, e);
	goto done;
nomem:
	err_sys(e, sd->path, "out of memory");
done:
	watchlist_free(list, n);
	buf_release(&text);
	return rc;
}

void
watchlist_free(struct watch_entry *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].path);
		free(list[i].function);
	}
	free(list);
}
