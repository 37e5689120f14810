/* test-watchlist.c: STATE/watchlist, the files apply --reapply keeps patched: read, update, refuse. */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "watchlist.h"
#include "tap.h"

static char base[PATH_MAX];

static int
has(const char *msg, const char *needle)
{
	if (msg != NULL && strstr(msg, needle) != NULL)
		return 1;
	printf("#   text:  %s\n#   lacks: %s\n", msg ? msg : "(null)", needle);
	return 0;
}

static const char *
at(const char *rel)
{
	static char bufs[8][PATH_MAX + 64];
	static int next;
	char *out = bufs[next++ % 8];

	snprintf(out, sizeof(bufs[0]), "%s/%s", base, rel);
	return out;
}

static int
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The list file's bytes (at most 4 KiB), or "(none)". */
static const char *
slurp(void)
{
	static char text[4096];
	FILE *f = fopen(at("state/watchlist"), "r");
	size_t n;

	if (f == NULL)
		return "(none)";
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static ino_t
inode(void)
{
	struct stat st;

	return lstat(at("state/watchlist"), &st) == 0 ? st.st_ino : 0;
}

/* Nothing but the list in the state directory: no temporary file left behind. */
static int
only_the_list(void)
{
	DIR *d = opendir(at("state"));
	struct dirent *de;
	int clean = 1;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "watchlist") != 0) {
			printf("#   left behind: %s\n", de->d_name);
			clean = 0;
		}
	closedir(d);
	return clean;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
update(const struct statedir *sd, const char *path, const char *function, enum rule_form form,
    int add, struct err *e)
{
	struct watch_entry en = { (char *)path, (char *)function, form };

	memset(e, 0, sizeof(*e));
	return watchlist_update(sd, &en, add, e);
}

static void
test_read_none(struct statedir *sd)
{
	struct statedir none = STATEDIR_INIT;
	struct watch_entry *list = (struct watch_entry *)1;
	struct err e = ERR_INIT;
	size_t n = 99;

	ok(watchlist_read(&list, &n, &none, &e) == 0 && list == NULL && n == 0,
	    "no state directory: an empty list");
	ok(update(&none, "/usr/share/perl5/Bucardo.pm", NULL, RULE_FORMS, 1, &e) == -1 &&
	    has(e.msg, "no state directory"), "no state directory: nothing can be listed");
	n = 99;
	ok(watchlist_read(&list, &n, sd, &e) == 0 && list == NULL && n == 0,
	    "no list yet: an empty list");
}

static void
test_update(struct statedir *sd)
{
	struct watch_entry *list = NULL;
	const struct watch_entry *en;
	struct err e = ERR_INIT;
	struct stat st;
	size_t n = 0;
	ino_t was;

	ok(update(sd, "/usr/share/perl5/Bucardo.pm", "ext.srr", RULE_FORM_GUARDED, 1, &e) == 0,
	    "add an entry (%s)", e.msg);
	is_str(slurp(), "/usr/share/perl5/Bucardo.pm\tfunction=ext.srr\tform=guarded\n",
	    "one line: the path, then the function and the form, tab-separated");
	if (lstat(at("state/watchlist"), &st) == -1)
		st.st_mode = 0;
	ok((st.st_mode & 07777) == 0600, "written 0600 (%o)", (unsigned)(st.st_mode & 07777));
	ok(only_the_list(), "no temporary file left behind");

	was = inode();
	ok(update(sd, "/usr/share/perl5/Bucardo.pm", "ext.srr", RULE_FORM_GUARDED, 1, &e) == 0 &&
	    inode() == was, "adding the same entry again writes nothing");
	ok(update(sd, "/usr/local/share/perl/5.36.0/Bucardo.pm", NULL, RULE_FORMS, 1, &e) == 0,
	    "add a second entry, with nothing recorded but its path");
	is_str(slurp(), "/usr/share/perl5/Bucardo.pm\tfunction=ext.srr\tform=guarded\n"
	    "/usr/local/share/perl/5.36.0/Bucardo.pm\n", "appended, the first kept as it was");
	ok(inode() != was, "and the list replaced by a new file (renamed over it), not edited");

	ok(update(sd, "/usr/share/perl5/Bucardo.pm", NULL, RULE_FORM_PLAIN, 1, &e) == 0,
	    "add a listed path again with another form");
	is_str(slurp(), "/usr/local/share/perl/5.36.0/Bucardo.pm\n"
	    "/usr/share/perl5/Bucardo.pm\tform=plain\n", "its one line replaced, not doubled");

	ok(watchlist_read(&list, &n, sd, &e) == 0 && n == 2, "read back: two entries (%s)", e.msg);
	en = watchlist_find(list, n, "/usr/share/perl5/Bucardo.pm");
	ok(en != NULL && en->function == NULL && en->form == RULE_FORM_PLAIN,
	    "watchlist_find: the entry as last written");
	en = watchlist_find(list, n, "/usr/local/share/perl/5.36.0/Bucardo.pm");
	ok(en != NULL && en->function == NULL && en->form == RULE_FORMS,
	    "a path alone: no function and no form recorded");
	ok(watchlist_find(list, n, "/usr/share/perl5") == NULL, "watchlist_find: no prefix match");
	watchlist_free(list, n);

	was = inode();
	ok(update(sd, "/nowhere/Bucardo.pm", NULL, RULE_FORMS, 0, &e) == 0 && inode() == was,
	    "removing a path that is not listed writes nothing");
	ok(update(sd, "/usr/local/share/perl/5.36.0/Bucardo.pm", NULL, RULE_FORMS, 0, &e) == 0,
	    "remove an entry");
	is_str(slurp(), "/usr/share/perl5/Bucardo.pm\tform=plain\n", "only the other is left");
	ok(update(sd, "/usr/share/perl5/Bucardo.pm", NULL, RULE_FORMS, 0, &e) == 0,
	    "remove the last entry");
	is_str(slurp(), "", "an empty list is an empty file");
	ok(watchlist_read(&list, &n, sd, &e) == 0 && n == 0 && list == NULL,
	    "which reads as no entries");

	ok(update(sd, "relative/Bucardo.pm", NULL, RULE_FORMS, 1, &e) == -1 &&
	    has(e.msg, "not an absolute path"), "a relative path refused: %s", e.msg);
	ok(update(sd, "/a\tb/Bucardo.pm", NULL, RULE_FORMS, 1, &e) == -1 &&
	    has(e.msg, "tabs or newlines"), "a path with a tab refused: %s", e.msg);
	ok(update(sd, "/a\n/etc/passwd", NULL, RULE_FORMS, 1, &e) == -1,
	    "a path with a newline refused: it would list a second file");
	is_str(slurp(), "", "and the list is left as it was");
}

static void
test_parse(struct statedir *sd)
{
	struct watch_entry *list = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;
	int rc;

	must(put(at("state/watchlist"),
	    "/a/Bucardo.pm\tfunction=x.y\tform=guarded\tcolour=blue\n"
	    "# a comment, and a relative path, are skipped\n"
	    "relative/Bucardo.pm\n"
	    "\n"
	    "/b/Bucardo.pm\tfunction=x'); drop table t; --\tform=sideways\n"
	    "/c/Bucardo.pm"));
	rc = watchlist_read(&list, &n, sd, &e);
	ok(rc == 0 && n == 3, "three absolute paths read, the rest skipped (%zu; %s)", n, e.msg);
	if (n == 3) {
		is_str(list[0].path, "/a/Bucardo.pm", "the path ends at the first tab");
		is_str(list[0].function, "x.y", "function=");
		ok(list[0].form == RULE_FORM_GUARDED, "form=");
		is_str(list[1].function, NULL,
		    "a function --function would refuse is not taken from the list");
		ok(list[1].form == RULE_FORMS, "nor an unknown form");
		is_str(list[2].path, "/c/Bucardo.pm", "a last line without a newline is read");
	}
	watchlist_free(list, n);
}

static void
test_refused(struct statedir *sd)
{
	struct watch_entry *list = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;
	char *big;
	int fd;

	must(unlink(at("state/watchlist")));
	must(mkfifo(at("state/watchlist"), 0600));
	ok(watchlist_read(&list, &n, sd, &e) == -1 && has(e.msg, "not a regular file"),
	    "a fifo planted as the list: refused, without blocking: %s", e.msg);
	ok(update(sd, "/a/Bucardo.pm", NULL, RULE_FORMS, 1, &e) == -1,
	    "and not replaced by an update either");
	must(unlink(at("state/watchlist")));
	must(put(at("elsewhere"), "/etc/shadow\n"));
	must(symlink(at("elsewhere"), at("state/watchlist")));
	ok(watchlist_read(&list, &n, sd, &e) == -1 && has(e.msg, "not a regular file"),
	    "a symbolic link planted as the list: refused, never followed: %s", e.msg);
	must(unlink(at("state/watchlist")));

	/* Larger than any host's list can be: refused whole, not read in part. */
	if ((big = malloc(2u * 1024 * 1024)) == NULL)
		exit(1);
	memset(big, 'a', 2u * 1024 * 1024);
	big[0] = '/';
	fd = open(at("state/watchlist"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	must(fd == -1 || write(fd, big, 2u * 1024 * 1024) != 2 * 1024 * 1024);
	close(fd);
	free(big);
	ok(watchlist_read(&list, &n, sd, &e) == -1 && has(e.msg, "cannot read the list"),
	    "a list over 1 MiB: refused: %s", e.msg);
	must(unlink(at("state/watchlist")));
}

int
main(void)
{
	struct statedir sd = STATEDIR_INIT;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(base, sizeof(base), "%s/test-watchlist.XXXXXX", tmp);
	if (mkdtemp(base) == NULL || mkdir(at("state"), 0700) == -1) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	sd.fd = open(at("state"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sd.path = (char *)at("state");
	if (sd.fd == -1) {
		printf("Bail out! cannot open %s\n", at("state"));
		return 1;
	}
	sd.path = strdup(sd.path);

	test_read_none(&sd);
	test_update(&sd);
	test_parse(&sd);
	test_refused(&sd);

	close(sd.fd);
	free(sd.path);
	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
	return tap_done();
}
