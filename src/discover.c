/* discover.c: every installed Bucardo.pm, and the one perl would load. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "discover.h"

extern char **environ;

#define DISCOVER_MODULE		"Bucardo.pm"
#define DISCOVER_SCRIPT		"bucardo"
#define DISCOVER_DEFAULT_PATH	\
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DISCOVER_TIMEOUT_MS	10000
#define DISCOVER_INC_LIMIT	(1024 * 1024)
#define DISCOVER_STDERR_KEEP	512
#define DISCOVER_SHEBANG_MAX	256	/* Linux reads this much of #! */
#define DISCOVER_MAXLINKS	40	/* as the kernel's MAXSYMLINKS */

/*
 * Every entry ends in a NUL, which no path can contain. Hooks in @INC
 * print as CODE(0x...), a relative path, and are skipped as such.
 */
#define DISCOVER_INC_SCRIPT	"print qq{$_\\0} for @INC"

#define PLACE_INC	0x01	/* in a stock perl's default @INC */
#define PLACE_NOT_RHEL	0x02	/* Debian's rank; RHEL's comes later */
#define PLACE_ROOT	0x04	/* looked at only under a root */
#define PLACE_HOME	0x08	/* the pattern is below o->home */

struct discover_place {
	const char	*pattern;
	int		 flags;
};

/*
 * Debian's @INC order, then RHEL's, then the places perl only looks in when
 * told to (local::lib, perlbrew). Under a root nothing is run, so this
 * order is what decides the active copy: each list puts /usr/local before
 * the packaged copy, as the distributions' perl does. /usr/share/perl5 is
 * Debian's vendor directory but comes last on RHEL (after vendor_perl), so
 * it is listed twice; the second is a repeat on Debian and not looked at
 * again.
 */
static const struct discover_place discover_places[] = {
	{ "/etc/perl",					PLACE_INC },
	{ "/usr/local/lib/*/perl/5.*",			PLACE_INC },
	{ "/usr/local/share/perl/5.*",			PLACE_INC },
	{ "/usr/lib/*/perl5/5.*",			PLACE_INC },
	{ "/usr/share/perl5",			PLACE_INC | PLACE_NOT_RHEL },
	{ "/usr/local/lib64/perl5/5.*",			PLACE_INC },
	{ "/usr/local/share/perl5/5.*",			PLACE_INC },
	{ "/usr/local/lib64/perl5",			PLACE_INC },
	{ "/usr/local/share/perl5",			PLACE_INC },
	{ "/usr/lib64/perl5/vendor_perl",		PLACE_INC },
	{ "/usr/share/perl5/vendor_perl",		PLACE_INC },
	{ "/usr/share/perl5",				PLACE_INC },
	{ "/usr/local/lib/site_perl",			PLACE_INC },
	{ "/usr/local/lib/perl5/site_perl/5.*",		PLACE_INC },
	{ "/usr/lib/perl5/site_perl",			PLACE_INC },
	{ "/usr/share/perl5/site_perl",			PLACE_INC },
	{ "/perl5/lib/perl5",				PLACE_HOME },
	{ "/perl5/perlbrew/perls/*/lib/site_perl/5.*",	PLACE_HOME },
	{ "/root/perl5/lib/perl5",			PLACE_ROOT },
	{ "/home/*/perl5/lib/perl5",			PLACE_ROOT },
};

#define DISCOVER_NPLACES \
    (sizeof(discover_places) / sizeof(discover_places[0]))

struct discover_seen {
	dev_t	dev;
	ino_t	ino;
};

/* One search in progress; d is the caller's, the rest is scratch. */
struct discover_walk {
	struct discovery	*d;
	const char		*root;		/* "" on the live system */
	int			 first_only;	/* stop at the first hit */
	struct discover_seen	*seen;
	size_t			 nseen;
};

static int
discover_strv_push(char ***v, size_t *n, const char *s)
{
	char **nv, *copy;

	if ((copy = strdup(s)) == NULL)
		return -1;
	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL) {
		free(copy);
		return -1;
	}
	nv[(*n)++] = copy;
	*v = nv;
	return 0;
}

static int
discover_is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/*
 * Look name up on path_env as execvp(3) would, except that empty and
 * relative entries are skipped: they name the current directory, which
 * says nothing about how Bucardo is run. *out is NULL when none is found;
 * -1 only when out of memory.
 */
static int
discover_which(char **out, const char *path_env, const char *name)
{
	struct buf b = BUF_INIT;
	const char *p, *end;
	size_t len;

	*out = NULL;
	if (strchr(name, '/') != NULL) {
		if (name[0] == '/' && discover_is_exec(name) &&
		    (*out = strdup(name)) == NULL)
			return -1;
		return 0;
	}
	for (p = path_env; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (len == 0 || p[0] != '/')
			continue;
		buf_reset(&b);
		if (buf_append(&b, p, len) == -1 || buf_puts(&b, "/") == -1 ||
		    buf_puts(&b, name) == -1) {
			buf_release(&b);
			return -1;
		}
		if (discover_is_exec(b.data)) {
			*out = buf_detach(&b, NULL);
			return *out == NULL ? -1 : 0;
		}
	}
	buf_release(&b);
	return 0;
}

/*
 * Does a #! switch cluster ("-wT") turn on taint mode? Scanning stops at a
 * switch that takes an argument, so "-Mstrict" is not read as -t.
 */
static int
discover_taint_switch(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || s[0] != '-' || s[1] == '-')
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] == 'T' || s[i] == 't')
			return s[i];
		if (strchr("wWXcsaunpSU", s[i]) == NULL)
			break;
	}
	return 0;
}

/*
 * The interpreter the kernel would run the script with: "#!/usr/bin/perl -w"
 * is /usr/bin/perl, "#!/usr/bin/env perl" is perl on PATH. Anything else (no
 * #!, a shell wrapper, a missing interpreter) leaves *interp NULL and the
 * caller asks perl on PATH. *taint is 'T' or 't' when the line turns taint
 * mode on, in which perl ignores PERL5LIB.
 */
static int
discover_shebang(char **interp, int *taint, const char *script,
    const char *path_env)
{
	char line[DISCOVER_SHEBANG_MAX + 1], *p, *prog, *base;
	size_t len;
	ssize_t n;
	int fd, is_env;

	*interp = NULL;
	*taint = 0;
	if ((fd = open(script, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, line, DISCOVER_SHEBANG_MAX);
	close(fd);
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';

	p = line + 2;
	p += strspn(p, " \t");
	prog = p;
	p += strcspn(p, " \t");
	if (*p != '\0')
		*p++ = '\0';
	base = strrchr(prog, '/');
	base = base != NULL ? base + 1 : prog;
	is_env = strcmp(base, "env") == 0;
	if (is_env) {
		p += strspn(p, " \t");
		if (strncmp(p, "-S", 2) == 0 && (p[2] == ' ' || p[2] == '\t'))
			p += 2 + strspn(p + 2, " \t");
		prog = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
		base = strrchr(prog, '/');
		base = base != NULL ? base + 1 : prog;
	}
	if (strncmp(base, "perl", 4) != 0)
		return 0;
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (*taint == 0)
			*taint = discover_taint_switch(p, len);
		p += len;
	}
	if (is_env)
		return discover_which(interp, path_env, prog);
	if (prog[0] == '/' && discover_is_exec(prog) &&
	    (*interp = strdup(prog)) == NULL)
		return -1;
	return 0;
}

/*
 * Bucardo runs `unshift @INC, dirname(readlink $0)` before `require Bucardo`
 * when its script is a symlink. Perl takes a relative target's dirname
 * literally, relative to the current directory, which is only right when
 * Bucardo is started from the link's own directory. We resolve it against
 * the link's directory instead: that is the copy the link was made to
 * reach, and the answer does not change with where the tool is run. Only
 * one level is read, as readlink does. *dir is NULL for a plain file.
 *
 * Bucardo 5.6.0 first cuts $0 down to its last component when its
 * directory is on PATH, and then tests -l on that name in the current
 * directory; so started through PATH, the rule only applies where the
 * current directory holds the link. We assume it applies: the link was
 * made so that Bucardo would find the module beside its target.
 */
static int
discover_link_dir(char **dir, const char *script)
{
	struct buf b = BUF_INIT;
	char target[PATH_MAX];
	const char *slash;
	struct stat st;
	ssize_t n;

	*dir = NULL;
	if (lstat(script, &st) == -1 || !S_ISLNK(st.st_mode))
		return 0;
	n = readlink(script, target, sizeof(target));
	if (n <= 0 || (size_t)n >= sizeof(target))
		return 0;
	target[n] = '\0';
	if (target[0] != '/') {
		slash = strrchr(script, '/');
		if (buf_append(&b, script, (size_t)(slash - script + 1)) == -1)
			goto fail;
	}
	slash = strrchr(target, '/');
	if (slash == NULL) {
		if (buf_puts(&b, ".") == -1)
			goto fail;
	} else if (buf_append(&b, target,
	    slash == target ? 1 : (size_t)(slash - target)) == -1)
		goto fail;
	if ((*dir = realpath(b.data, NULL)) == NULL)
		*dir = buf_detach(&b, NULL);
	buf_release(&b);
	return *dir == NULL ? -1 : 0;
fail:
	buf_release(&b);
	return -1;
}

/*
 * Read from *fd once it is ready; EOF closes it. Past limit, a hard buffer
 * fails with EFBIG and a soft one drops the excess.
 */
static int
discover_drain(int *fd, struct buf *b, size_t limit, int hard)
{
	char chunk[4096];
	size_t room;
	ssize_t n;

	n = read(*fd, chunk, sizeof(chunk));
	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	room = b->len < limit ? limit - b->len : 0;
	if ((size_t)n > room) {
		if (hard) {
			errno = EFBIG;
			return -1;
		}
		n = (ssize_t)room;
	}
	return buf_append(b, chunk, (size_t)n);
}

static long
discover_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/*
 * The environment for asking perl: PERL5LIB and PERLLIB stay, since they
 * change what Bucardo would load and that is what we report; PERL5OPT and
 * PERL5DB go, since they make perl run code (-M, a debugger), and this runs
 * as root. Caller frees the array (not the strings).
 */
static char **
discover_environment(void)
{
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "PERL5OPT=", 9) != 0 &&
		    strncmp(environ[i], "PERL5DB=", 8) != 0 &&
		    strncmp(environ[i], "PERL5DB_THREADED=", 17) != 0)
			env[k++] = environ[i];
	return env;
}

/*
 * Ask perl for @INC, NUL-separated, into inc. No shell; stdin is /dev/null;
 * the environment as discover_environment() leaves it. Killed after
 * DISCOVER_TIMEOUT_MS.
 */
static int
discover_ask_inc(struct buf *inc, const char *perl, int taint, struct err *e)
{
	posix_spawn_file_actions_t fa;
	struct buf errout = BUF_INIT;
	struct pollfd pfd[2];
	struct timespec deadline;
	const char *argv[5];
	char tflag[3] = "-T", **env;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int fa_ok = 0, rv = -1, status, rc;
	size_t argc = 0;
	nfds_t nfd;
	pid_t pid = -1;
	long ms;

	argv[argc++] = perl;
	if (taint) {
		tflag[1] = (char)taint;
		argv[argc++] = tflag;
	}
	argv[argc++] = "-e";
	argv[argc++] = DISCOVER_INC_SCRIPT;
	argv[argc] = NULL;

	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		err_sys(e, NULL, "pipe");
		goto cleanup;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto spawnfail;
	fa_ok = 1;
	if ((rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
	    "/dev/null", O_RDONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, outp[1],
	    STDOUT_FILENO)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, errp[1],
	    STDERR_FILENO)) != 0)
		goto spawnfail;
	if ((env = discover_environment()) == NULL) {
		err_sys(e, NULL, "out of memory");
		goto cleanup;
	}
	rc = posix_spawn(&pid, perl, &fa, NULL, (char *const *)argv, env);
	free(env);
	if (rc != 0) {
		pid = -1;
		goto spawnfail;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += DISCOVER_TIMEOUT_MS / 1000;
	while (outp[0] != -1 || errp[0] != -1) {
		if ((ms = discover_ms_left(&deadline)) <= 0)
			goto timeout;
		nfd = 0;
		if (outp[0] != -1) {
			pfd[nfd].fd = outp[0];
			pfd[nfd++].events = POLLIN;
		}
		if (errp[0] != -1) {
			pfd[nfd].fd = errp[0];
			pfd[nfd++].events = POLLIN;
		}
		if (poll(pfd, nfd, (int)ms) == -1) {
			if (errno == EINTR)
				continue;
			err_sys(e, NULL, "poll");
			goto cleanup;
		}
		while (nfd-- > 0) {
			if (pfd[nfd].revents == 0)
				continue;
			if (pfd[nfd].fd == outp[0]) {
				if (discover_drain(&outp[0], inc,
				    DISCOVER_INC_LIMIT, 1) == -1) {
					err_sys(e, perl, "reading @INC");
					goto cleanup;
				}
			} else if (discover_drain(&errp[0], &errout,
			    DISCOVER_STDERR_KEEP, 0) == -1) {
				err_sys(e, perl, "reading its errors");
				goto cleanup;
			}
		}
	}
	/* A perl that closed its output may still hang; the limit holds. */
	while ((rc = waitpid(pid, &status, WNOHANG)) != pid) {
		if (rc == -1 && errno != EINTR) {
			err_sys(e, perl, "waitpid");
			goto cleanup;
		}
		if (discover_ms_left(&deadline) <= 0)
			goto timeout;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (errout.len > 0)
			errout.data[strcspn(errout.data, "\n")] = '\0';
		if (WIFEXITED(status))
			err_set(e, perl, "listing @INC failed with status "
			    "%d%s%s", WEXITSTATUS(status),
			    errout.len > 0 ? ": " : "",
			    errout.len > 0 ? errout.data : "");
		else
			err_set(e, perl, "listing @INC: killed by signal %d",
			    WTERMSIG(status));
		goto cleanup;
	}
	rv = 0;
	goto cleanup;
timeout:
	err_set(e, perl, "gave no @INC within %d seconds, killed",
	    DISCOVER_TIMEOUT_MS / 1000);
	goto cleanup;
spawnfail:
	errno = rc;
	err_sys(e, perl, "cannot run");
cleanup:
	if (pid != -1) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (outp[0] != -1)
		close(outp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	buf_release(&errout);
	return rv;
}

/*
 * Resolve rel (absolute, meant below root) as the kernel would inside a
 * chroot at root: component by component, absolute link targets and ".."
 * kept below root, at most DISCOVER_MAXLINKS links. realpath(3) would follow
 * an absolute link out of the root and report the host's file. out gets
 * the host path of the result; -1 with errno when it does not resolve.
 */
static int
discover_resolve(struct buf *out, const char *root, const char *rel)
{
	struct buf rest = BUF_INIT, done = BUF_INIT, host = BUF_INIT;
	struct buf next = BUF_INIT;
	char target[PATH_MAX], *comp, *slash;
	struct stat st;
	size_t pos = 0, len, keep;
	ssize_t n;
	int links = 0, rv = -1;

	if (buf_puts(&rest, rel) == -1 || buf_puts(&done, "") == -1)
		goto cleanup;
	for (;;) {
		pos += strspn(rest.data + pos, "/");
		if (rest.data[pos] == '\0')
			break;
		comp = rest.data + pos;
		len = strcspn(comp, "/");
		pos += len;
		if (len == 1 && comp[0] == '.')
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			slash = strrchr(done.data, '/');
			done.len = slash != NULL ?
			    (size_t)(slash - done.data) : 0;
			done.data[done.len] = '\0';
			continue;
		}
		keep = done.len;
		buf_reset(&host);
		if (buf_puts(&done, "/") == -1 ||
		    buf_append(&done, comp, len) == -1 ||
		    buf_puts(&host, root) == -1 ||
		    buf_puts(&host, done.data) == -1)
			goto cleanup;
		if (lstat(host.data, &st) == -1)
			goto cleanup;
		if (S_ISLNK(st.st_mode)) {
			if (++links > DISCOVER_MAXLINKS) {
				errno = ELOOP;
				goto cleanup;
			}
			if ((n = readlink(host.data, target,
			    sizeof(target))) == -1)
				goto cleanup;
			if (n == 0 || (size_t)n >= sizeof(target)) {
				errno = n == 0 ? ENOENT : ENAMETOOLONG;
				goto cleanup;
			}
			buf_reset(&next);
			if (buf_append(&next, target, (size_t)n) == -1 ||
			    buf_puts(&next, "/") == -1 ||
			    buf_puts(&next, rest.data + pos) == -1)
				goto cleanup;
			buf_release(&rest);
			rest = next;
			next = (struct buf)BUF_INIT;
			pos = 0;
			done.len = target[0] == '/' ? 0 : keep;
			done.data[done.len] = '\0';
			continue;
		}
		if (!S_ISDIR(st.st_mode) &&
		    rest.data[pos + strspn(rest.data + pos, "/")] != '\0') {
			errno = ENOTDIR;
			goto cleanup;
		}
	}
	buf_reset(out);
	if (buf_puts(out, root) == -1 ||
	    buf_puts(out, done.len > 0 ? done.data : "/") == -1)
		goto cleanup;
	rv = 0;
cleanup:
	buf_release(&next);
	buf_release(&host);
	buf_release(&done);
	buf_release(&rest);
	return rv;
}

static int
discover_searched(const struct discovery *d, const char *dir)
{
	size_t i;

	for (i = 0; i < d->nsearched; i++)
		if (strcmp(d->searched[i], dir) == 0)
			return 1;
	return 0;
}

static int
discover_add(struct discover_walk *w, const char *found_as, const char *real,
    const struct stat *st, int inc)
{
	struct discovery *d = w->d;
	struct discover_seen *ns;
	struct module_copy *nc, *c;
	size_t i;

	for (i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev &&
		    w->seen[i].ino == st->st_ino)
			return 0;
	if ((ns = reallocarray(w->seen, w->nseen + 1, sizeof(*ns))) == NULL)
		return -1;
	w->seen = ns;
	if ((nc = reallocarray(d->copies, d->ncopies + 1, sizeof(*nc))) == NULL)
		return -1;
	d->copies = nc;
	c = &d->copies[d->ncopies];
	c->active = 0;
	c->found_as = NULL;
	if ((c->path = strdup(real)) == NULL ||
	    (c->found_as = strdup(found_as)) == NULL) {
		free(c->path);
		free(c->found_as);
		return -1;
	}
	if (inc && d->active == NULL) {
		if ((d->active = strdup(real)) == NULL) {
			free(c->path);
			free(c->found_as);
			return -1;
		}
		c->active = 1;
	}
	ns[w->nseen].dev = st->st_dev;
	ns[w->nseen++].ino = st->st_ino;
	d->ncopies++;
	return 0;
}

/*
 * Look for Bucardo.pm in one directory, given relative to the root (on the
 * live system, as is). Not being there, for whatever reason, is not an
 * error; only running out of memory is.
 */
static int
discover_dir(struct discover_walk *w, const char *rel, int inc)
{
	struct buf dir = BUF_INIT, file = BUF_INIT, real = BUF_INIT;
	struct stat st;
	char *rp;
	size_t n;
	int rv = -1;

	if (w->first_only && w->d->active != NULL)
		return 0;
	n = strlen(rel);
	while (n > 1 && rel[n - 1] == '/')
		n--;
	if (buf_puts(&dir, w->root) == -1 || buf_append(&dir, rel, n) == -1)
		goto cleanup;
	if (discover_searched(w->d, dir.data)) {
		rv = 0;
		goto cleanup;
	}
	if (discover_strv_push(&w->d->searched, &w->d->nsearched,
	    dir.data) == -1)
		goto cleanup;
	if (buf_puts(&file, dir.data) == -1 ||
	    buf_puts(&file, dir.data[dir.len - 1] == '/' ? "" : "/") == -1 ||
	    buf_puts(&file, DISCOVER_MODULE) == -1)
		goto cleanup;

	if (w->root[0] == '\0') {
		if ((rp = realpath(file.data, NULL)) == NULL) {
			rv = errno == ENOMEM ? -1 : 0;
			goto cleanup;
		}
		rv = buf_puts(&real, rp);
		free(rp);
		if (rv == -1)
			goto cleanup;
	} else if (discover_resolve(&real, w->root,
	    file.data + strlen(w->root)) == -1) {
		rv = errno == ENOMEM ? -1 : 0;
		goto cleanup;
	}
	rv = 0;
	if (stat(real.data, &st) == -1 || !S_ISREG(st.st_mode) ||
	    access(real.data, R_OK) == -1)
		goto cleanup;
	rv = discover_add(w, file.data, real.data, &st, inc);
cleanup:
	buf_release(&real);
	buf_release(&file);
	buf_release(&dir);
	return rv;
}

static int
discover_glob_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		if ((strchr("*?[]\\", *s) != NULL && buf_puts(b, "\\") == -1) ||
		    buf_append(b, s, 1) == -1)
			return -1;
	return 0;
}

/* Newest perl version first: it is the one a root's perl most likely is. */
static int
discover_cmp_newest(const void *a, const void *b)
{
	return strverscmp(*(char *const *)b, *(char *const *)a);
}

/*
 * Look in every directory matching prefix (literal, e.g. $HOME) followed by
 * pattern, below the root. A pattern matching nothing is itself recorded
 * in d->searched, so "none found" can say where it looked.
 */
static int
discover_pattern(struct discover_walk *w, const char *prefix,
    const char *pattern, int inc)
{
	struct buf b = BUF_INIT;
	glob_t g;
	size_t i, rootlen = strlen(w->root);
	int rv = -1, rc;

	if (strpbrk(pattern, "*?[") == NULL) {
		if (buf_puts(&b, prefix) == -1 || buf_puts(&b, pattern) == -1)
			goto cleanup;
		rv = discover_dir(w, b.data, inc);
		goto cleanup;
	}
	if (discover_glob_escape(&b, w->root) == -1 ||
	    discover_glob_escape(&b, prefix) == -1 ||
	    buf_puts(&b, pattern) == -1)
		goto cleanup;
	memset(&g, 0, sizeof(g));
	rc = glob(b.data, GLOB_NOSORT, NULL, &g);
	if (rc == GLOB_NOSPACE) {
		globfree(&g);
		errno = ENOMEM;
		goto cleanup;
	}
	if (rc != 0 || g.gl_pathc == 0) {
		globfree(&g);
		buf_reset(&b);
		if (buf_puts(&b, w->root) == -1 || buf_puts(&b, prefix) == -1 ||
		    buf_puts(&b, pattern) == -1)
			goto cleanup;
		rv = discover_searched(w->d, b.data) ? 0 :
		    discover_strv_push(&w->d->searched, &w->d->nsearched,
		    b.data);
		goto cleanup;
	}
	qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv),
	    discover_cmp_newest);
	rv = 0;
	for (i = 0; i < g.gl_pathc && rv == 0; i++)
		rv = discover_dir(w, g.gl_pathv[i] + rootlen, inc);
	globfree(&g);
cleanup:
	buf_release(&b);
	return rv;
}

/*
 * RHEL's perl (and Fedora's, and Arch's) has a vendor_perl directory and
 * puts /usr/share/perl5 after it; Debian's has none.
 */
static int
discover_rhel_layout(const struct discover_walk *w)
{
	struct buf b = BUF_INIT;
	struct stat st;
	const char *vendor = "/usr/share/perl5/vendor_perl";
	int rhel = 0;

	if (w->root[0] == '\0')
		rhel = stat(vendor, &st) == 0 && S_ISDIR(st.st_mode);
	else if (discover_resolve(&b, w->root, vendor) == 0)
		rhel = stat(b.data, &st) == 0 && S_ISDIR(st.st_mode);
	buf_release(&b);
	return rhel;
}

/*
 * The standard places, in discover_places order. inc_known: @INC came
 * from perl itself, so none of these can make a copy active.
 */
static int
discover_places_walk(struct discover_walk *w, const char *home, int inc_known)
{
	const struct discover_place *pl;
	const char *prefix;
	size_t i;
	int rhel, inc;

	rhel = discover_rhel_layout(w);
	for (i = 0; i < DISCOVER_NPLACES; i++) {
		pl = &discover_places[i];
		if (w->first_only && w->d->active != NULL)
			break;
		if ((pl->flags & PLACE_ROOT) && w->root[0] == '\0')
			continue;
		if ((pl->flags & PLACE_NOT_RHEL) && rhel)
			continue;
		prefix = "";
		if (pl->flags & PLACE_HOME) {
			if (home == NULL || home[0] != '/')
				continue;
			prefix = home;
		}
		inc = !inc_known && (pl->flags & PLACE_INC);
		if (w->first_only && !inc)
			continue;
		if (discover_pattern(w, prefix, pl->pattern, inc) == -1)
			return -1;
	}
	return 0;
}

/* The live system: run perl, walk what it says, then the usual places. */
static int
discover_live(struct discover_walk *w, const struct discover_options *o,
    const char *path_env, struct err *e)
{
	struct discovery *d = w->d;
	struct buf inc = BUF_INIT;
	char *linkdir = NULL, *p, *end;
	int taint = 0, inc_known = 0, rv = -1;

	if (discover_which(&d->script, path_env, DISCOVER_SCRIPT) == -1 ||
	    (d->script != NULL && discover_shebang(&d->perl, &taint,
	    d->script, path_env) == -1) ||
	    (d->perl == NULL &&
	    discover_which(&d->perl, path_env, "perl") == -1))
		goto nomem;

	/*
	 * No perl at all: Bucardo cannot run, but the copies are still worth
	 * reporting, ranked as a stock perl would rank them.
	 */
	if (d->perl != NULL) {
		if (discover_ask_inc(&inc, d->perl, taint, e) == -1)
			goto cleanup;
		inc_known = 1;
		if (d->script != NULL &&
		    discover_link_dir(&linkdir, d->script) == -1)
			goto nomem;
		if (linkdir != NULL && discover_dir(w, linkdir, 1) == -1)
			goto nomem;
		for (p = inc.data, end = inc.data + inc.len;
		    p != NULL && p < end; p += strlen(p) + 1)
			if (p[0] == '/' && discover_dir(w, p, 1) == -1)
				goto nomem;
	}
	if (discover_places_walk(w, o->home, inc_known) == -1)
		goto nomem;
	rv = 0;
	goto cleanup;
nomem:
	err_sys(e, NULL, "discovering Bucardo.pm");
cleanup:
	free(linkdir);
	buf_release(&inc);
	return rv;
}

static int
discover_collect(struct discovery *d, const struct discover_options *o,
    int first_only, struct err *e)
{
	struct discover_walk w = { d, "", first_only, NULL, 0 };
	const char *path_env;
	char *root = NULL;
	int rv = -1;

	path_env = o->path_env != NULL ? o->path_env : DISCOVER_DEFAULT_PATH;
	if (o->root != NULL) {
		if ((root = realpath(o->root, NULL)) == NULL) {
			err_sys(e, o->root, "cannot use as root");
			goto cleanup;
		}
		if (strcmp(root, "/") != 0)
			w.root = root;
	}
	if (w.root[0] == '\0')
		rv = discover_live(&w, o, path_env, e);
	else if ((rv = discover_places_walk(&w, o->home, 0)) == -1)
		err_sys(e, w.root, "discovering Bucardo.pm");
cleanup:
	free(w.seen);
	free(root);
	return rv;
}

int
discover_modules(struct discovery *d, const struct discover_options *o,
    struct err *e)
{
	return discover_collect(d, o, 0, e);
}

int
discover_active(char **active, const struct discover_options *o,
    struct err *e)
{
	struct discovery d = DISCOVERY_INIT;
	int rv;

	*active = NULL;
	if ((rv = discover_collect(&d, o, 1, e)) == 0) {
		*active = d.active;
		d.active = NULL;
	}
	discovery_release(&d);
	return rv;
}

void
discovery_release(struct discovery *d)
{
	size_t i;

	for (i = 0; i < d->ncopies; i++) {
		free(d->copies[i].path);
		free(d->copies[i].found_as);
	}
	free(d->copies);
	for (i = 0; i < d->nsearched; i++)
		free(d->searched[i]);
	free(d->searched);
	free(d->perl);
	free(d->script);
	free(d->active);
	*d = (struct discovery)DISCOVERY_INIT;
}

char *
discover_perl(const struct discover_options *o)
{
	const char *path_env;
	char *script = NULL, *perl = NULL, *root;
	int taint, live = 1;

	path_env = o->path_env != NULL ? o->path_env : DISCOVER_DEFAULT_PATH;
	if (o->root != NULL && (root = realpath(o->root, NULL)) != NULL) {
		live = strcmp(root, "/") == 0;
		free(root);
	} else if (o->root != NULL)
		live = 0;
	if (live && discover_which(&script, path_env, DISCOVER_SCRIPT) == 0 &&
	    script != NULL)
		discover_shebang(&perl, &taint, script, path_env);
	free(script);
	if (perl == NULL)
		discover_which(&perl, path_env, "perl");
	return perl;
}
