/* test-store-faults.c: the store's own checks, each faced with the fault it is there for. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "errmsg.h"
#include "store.h"
#include "tap.h"

#define BUCARDO	"/usr/share/perl5/Bucardo.pm"
/* Two releases of one module: the same length, one byte apart. */
#define V560	"package Bucardo;\nour $VERSION = '5.6.0';\n# the rest of it\n1;\n"
#define V561	"package Bucardo;\nour $VERSION = '5.6.1';\n# the rest of it\n1;\n"

static char top[] = "/tmp/test-store-faults.XXXXXX";
static struct fsroot host = FSROOT_INIT;

static int
has(const char *msg, const char *needle)
{
	if (strstr(msg, needle) != NULL) {
		printf("#   %s\n", msg);
		return 1;
	}
	printf("#   message: %s\n#   lacks:   %s\n", msg, needle);
	return 0;
}

static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (len > 0 && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Is path's content exactly what it was (same inode, same bytes as saved)? */
static int
same_file(const char *path, const struct stat *was, const struct buf *bytes)
{
	struct stat st;
	struct buf now = BUF_INIT;
	int fd, same;

	if (stat(path, &st) == -1 || st.st_ino != was->st_ino ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	same = buf_read_fd(&now, fd, 1 << 20) == 0 && now.len == bytes->len &&
	    memcmp(now.data, bytes->data, now.len) == 0;
	close(fd);
	buf_release(&now);
	return same;
}

static int
read_whole(const char *path, struct buf *out)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = buf_read_fd(out, fd, 1 << 20);
	close(fd);
	return rc;
}

static struct store *
open_store(const char *name, char *state)
{
	struct store *s = NULL;
	struct err e = ERR_INIT;

	snprintf(state, PATH_MAX, "%s/%s", top, name);
	if (store_open(&s, &host, state, STORE_WRITE, 0, &e) == -1) {
		printf("Bail out! store_open %s: %s\n", state, e.msg);
		exit(1);
	}
	return s;
}

/*
 * A gzip copy that is plausible but wrong: what apply kept for 5.6.1 (the
 * same length as 5.6.0, one byte apart), under the name of 5.6.0's id, as a
 * misnamed backup or a planted one would be. Keeping 5.6.0 must not take it
 * for 5.6.0's copy, and reading 5.6.0's copy must not return it.
 */
static void
test_wrong_copy(void)
{
	char state[PATH_MAX], id560[41], id561[41], gz560[2 * PATH_MAX], gz561[2 * PATH_MAX];
	struct store *s = open_store("wrong", state);
	struct buf planted = BUF_INIT, got = BUF_INIT;
	struct err e = ERR_INIT;
	struct stat was;
	int r;

	must(store_keep_original(s, BUCARDO, V561, strlen(V561), id561, &e));
	must(store_blob_id(s, V560, strlen(V560), id560, &e));
	snprintf(gz561, sizeof(gz561), "%s/originals%s.%s.gz", state, BUCARDO, id561);
	snprintf(gz560, sizeof(gz560), "%s/originals%s.%s.gz", state, BUCARDO, id560);
	must(rename(gz561, gz560));
	must(stat(gz560, &was));
	must(read_whole(gz560, &planted));

	r = store_keep_original(s, BUCARDO, V560, strlen(V560), NULL, &e);
	ok(r == -1 && has(e.msg, "holds other bytes"),
	    "keep: a copy under the original's id holding another original of the same length "
	    "is refused");
	ok(same_file(gz560, &was, &planted), "keep: and it is left as it was");
	r = store_read_kept(s, BUCARDO, id560, &got, &e);
	ok(r == -1 && got.len == 0 && has(e.msg, "does not hold what its name says"),
	    "read: it is not given back as 5.6.0's original");
	buf_release(&got);
	buf_release(&planted);
	store_close(s);
}

/* gzip of count zero bytes, at level 9 (64 MiB and more shrink to 64 KiB). */
static int
gzip_zeros(const char *path, size_t count)
{
	static char zeros[1 << 16];
	gzFile gz;
	size_t n;

	if ((gz = gzopen(path, "wb9")) == NULL)
		return -1;
	for (; count > 0; count -= n) {
		n = count < sizeof(zeros) ? count : sizeof(zeros);
		if (gzwrite(gz, zeros, (unsigned)n) != (int)n) {
			gzclose(gz);
			return -1;
		}
	}
	return gzclose(gz) == Z_OK ? 0 : -1;
}

/* A gzip copy that expands without end (a bomb) is not read whole. */
static void
test_bomb(void)
{
	char state[PATH_MAX], id[41], gz[2 * PATH_MAX];
	struct store *s = open_store("bomb", state);
	struct buf got = BUF_INIT;
	struct err e = ERR_INIT;
	int r;

	must(store_keep_original(s, BUCARDO, V560, strlen(V560), id, &e));
	snprintf(gz, sizeof(gz), "%s/originals%s.%s.gz", state, BUCARDO, id);
	must(unlink(gz));
	must(gzip_zeros(gz, (size_t)65 * 1024 * 1024));
	r = store_read_kept(s, BUCARDO, id, &got, &e);
	ok(r == -1 && got.len == 0 && has(e.msg, "larger than any Bucardo.pm"),
	    "read: a copy that expands past the limit is refused as too large");
	r = store_keep_original(s, BUCARDO, V560, strlen(V560), NULL, &e);
	ok(r == -1 && has(e.msg, "larger than any Bucardo.pm"),
	    "keep: the same copy under the original's id is refused as too large");
	buf_release(&got);
	store_close(s);
}

/*
 * The store names a file by its real path: one with .. is not canonical,
 * and the store says so itself, not relying on the state directory's own
 * refusal of .. (a second line of defence, with its own words).
 */
static void
test_not_canonical(void)
{
	static const char *const paths[] = {
		"/usr/share/../share/perl5/Bucardo.pm",
		"/usr/share/perl5/../../../etc/Bucardo.pm",
		"/usr/share/./perl5/Bucardo.pm",
	};
	char state[PATH_MAX], id[41];
	struct store *s = open_store("canonical", state);
	struct store_record rec;
	struct err e = ERR_INIT;
	size_t i;
	int r;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = store_keep_original(s, paths[i], V560, strlen(V560), id, &e);
		ok(r == -1 && has(e.msg, "not a canonical absolute path"),
		    "keep: %s is refused as not canonical", paths[i]);
		memset(&rec, 0, sizeof(rec));
		rec.action = "apply";
		rec.path = paths[i];
		rec.before = V560;
		rec.before_len = strlen(V560);
		rec.after = V561;
		rec.after_len = strlen(V561);
		r = store_commit(s, &rec, &e);
		ok(r == -1 && has(e.msg, "not a canonical absolute path"),
		    "commit: %s is refused as not canonical", paths[i]);
	}
	store_close(s);
}

/*
 * Root's own git configuration, however broken, changes nothing: libgit2
 * reads no global, XDG or system file for the store. A broken ~/.gitconfig
 * would otherwise stop every apply, the package triggers' included. main()
 * sets HOME and XDG_CONFIG_HOME to a home holding broken ones before any
 * store is opened (libgit2 reads them when it starts), so every test here
 * runs with them; this one checks that the store works through libgit2.
 */
static const char broken_config[] = "[core\n\tbare = maybe\n[include]\n\tpath = \n";

static void
broken_home(void)
{
	char home[PATH_MAX], path[2 * PATH_MAX];

	snprintf(home, sizeof(home), "%s/home", top);
	must(mkdir(home, 0700));
	snprintf(path, sizeof(path), "%s/.gitconfig", home);
	must(write_file(path, broken_config, strlen(broken_config)));
	snprintf(path, sizeof(path), "%s/xdg", home);
	must(mkdir(path, 0700));
	must(setenv("XDG_CONFIG_HOME", path, 1));
	snprintf(path, sizeof(path), "%s/xdg/git", home);
	must(mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/xdg/git/config", home);
	must(write_file(path, broken_config, strlen(broken_config)));
	must(setenv("HOME", home, 1));
}

static void
test_git_config(void)
{
	char state[PATH_MAX], id[41];
	struct store *s;
	struct store_record rec;
	struct store_event *ev = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;
	int r;

	/* Real git agrees that the file is broken. */
	ok(system("git config --global --list >/dev/null 2>&1") != 0,
	    "control: git itself refuses this ~/.gitconfig");
	s = open_store("config", state);
	r = store_keep_original(s, BUCARDO, V560, strlen(V560), id, &e);
	ok(r == 0, "keep works with a broken ~/.gitconfig (%s)", r == 0 ? "" : e.msg);
	memset(&rec, 0, sizeof(rec));
	rec.action = "apply";
	rec.path = BUCARDO;
	rec.before = V560;
	rec.before_len = strlen(V560);
	rec.after = V561;
	rec.after_len = strlen(V561);
	r = store_commit(s, &rec, &e);
	ok(r == 0, "commit works with a broken ~/.gitconfig (%s)", r == 0 ? "" : e.msg);
	r = store_history(s, BUCARDO, &ev, &n, &e);
	ok(r == 0 && n == 1, "and the history reads back (%s)", r == 0 ? "" : e.msg);
	store_events_free(ev, n);
	store_close(s);
}

/*
 * The state directory is judged with the way to it: an existing one, of
 * root and 0700 itself, below a directory another user owns (who could
 * swap it for one holding planted backups) is refused, for reading too.
 */
static void
test_their_way(void)
{
	char theirs[PATH_MAX], state[2 * PATH_MAX];
	struct store *s = NULL;
	struct err e = ERR_INIT;
	int r;

	if (geteuid() != 0) {
		ok(1, "a state directory below another user's directory is refused # SKIP needs root "
		    "to chown");
		return;
	}
	snprintf(theirs, sizeof(theirs), "%s/theirs", top);
	snprintf(state, sizeof(state), "%s/state", theirs);
	must(mkdir(theirs, 0755));
	must(mkdir(state, 0700));
	must(chown(theirs, 65534, 65534));
	r = store_open(&s, &host, state, STORE_WRITE, 0, &e);
	ok(r == -1 && s == NULL && has(e.msg, theirs),
	    "an existing state directory of ours below another user's directory is refused, "
	    "naming theirs");
	store_close(s);
	s = NULL;
	r = store_open(&s, &host, state, STORE_READ, 0, &e);
	ok(r == -1 && s == NULL && has(e.msg, theirs), "for reading too");
	store_close(s);
	ok(access(theirs, F_OK) == 0 && rmdir(state) == 0,
	    "and nothing was made in it (the lock, store.git)");
}

/*
 * store_prepare writes the commit, store_publish moves the branch to it
 * only from where it was when the commit was made: a branch moved in
 * between (a commit made by hand in the store) is not overwritten, and the
 * commit made there is not lost.
 */
static void
test_branch_moved(void)
{
	char state[PATH_MAX], cmd[4 * PATH_MAX], out[PATH_MAX], theirs[64] = "", now[64] = "";
	struct store *s = open_store("moved", state);
	struct store_record rec;
	struct err e = ERR_INIT;
	FILE *f;
	int r;

	memset(&rec, 0, sizeof(rec));
	rec.action = "apply";
	rec.path = BUCARDO;
	rec.before = V560;
	rec.before_len = strlen(V560);
	rec.after = V561;
	rec.after_len = strlen(V561);
	must(store_commit(s, &rec, &e));
	rec.before = V561;
	rec.before_len = strlen(V561);
	rec.after = V560;
	rec.after_len = strlen(V560);
	must(store_prepare(s, &rec, &e));
	/* Real git, with a configuration of its own (HOME's is broken on purpose). */
	snprintf(out, sizeof(out), "%s/moved.out", top);
	snprintf(cmd, sizeof(cmd), "cd %s/store.git && export GIT_CONFIG_GLOBAL=/dev/null "
	    "GIT_AUTHOR_NAME=hand GIT_AUTHOR_EMAIL=hand@host GIT_COMMITTER_NAME=hand "
	    "GIT_COMMITTER_EMAIL=hand@host && c=$(git commit-tree -p HEAD -m 'by hand' "
	    "'HEAD^{tree}') && git update-ref refs/heads/main \"$c\" && echo \"$c\" >%s",
	    state, out);
	ok(system(cmd) == 0 && (f = fopen(out, "r")) != NULL && fscanf(f, "%63s", theirs) == 1 &&
	    fclose(f) == 0, "control: git moves the branch by hand between prepare and publish");
	r = store_publish(s, &e);
	ok(r == -1 && has(e.msg, "moved while this run wrote"),
	    "publish refuses to move a branch that moved since the commit was prepared");
	snprintf(cmd, sizeof(cmd), "%s/store.git/refs/heads/main", state);
	ok((f = fopen(cmd, "r")) != NULL && fscanf(f, "%63s", now) == 1 && fclose(f) == 0 &&
	    strcmp(now, theirs) == 0, "and the commit made by hand is still where the branch points");
	store_close(s);
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	struct err e = ERR_INIT;

	umask(022);
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if (fsroot_open(&host, "/", &e) != 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	/* Real git here must not read the system's configuration. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	broken_home();

	test_git_config();
	test_wrong_copy();
	test_bomb();
	test_not_canonical();
	test_their_way();
	test_branch_moved();

	fsroot_close(&host);
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
