/* discover.c: every installed Bucardo.pm, and the one perl would load. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "discover.h"
#include "engine/engine.h"
#include "perl.h"
#include "child.h"

#define DISCOVER_MODULE		"Bucardo.pm"
#define DISCOVER_SCRIPT		"bucardo"
/*
 * Where `bucardo` is looked for without a PATH: root's login PATH
 * (login.defs ENV_SUPATH), a CPAN install's /usr/local first, then the
 * directories children run with (child.h), written there once.
 */
#define DISCOVER_DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:" CHILD_PATH
#define DISCOVER_SHEBANG_MAX	256	/* Linux reads this much of #! */
#define DISCOVER_VERSION_MAX	65536	/* how much of a file $VERSION is looked for in */
/*
 * The most directories one wildcard is searched in, the newest first: far
 * more than any real install tree has (perlbrew's perls, site_perl's
 * versions), and a bound on what a user's home can make status and apply
 * walk (a farm of links to links multiplies the matches).
 */
#define DISCOVER_GLOB_MAX	4096

#define PLACE_INC	0x01	/* in a stock perl's default @INC */
#define PLACE_NOT_RHEL	0x02	/* Debian's rank; RHEL's comes later */
#define PLACE_HOMES	0x04	/* below every home: $HOME, /root and each of /home */
#define PLACE_PERLBREW	0x08	/* below $PERLBREW_ROOT */

struct discover_place {
	const char	*pattern;
	int		 flags;
};

/*
 * Every distribution's @INC order merged into one, then the places perl
 * only looks in when told to (local::lib, perlbrew, plenv). Under a root
 * nothing is run, so this order is what decides the active copy; each
 * distribution's own directories keep the order its perl gives them, and
 * no two distributions order a shared directory differently but one:
 * /usr/share/perl5 is Debian's vendor directory but comes last on RHEL
 * (after vendor_perl), so it is listed twice; the second is a repeat on
 * Debian and not looked at again. The trees, and whose they are:
 *   Debian, Ubuntu  /etc/perl .. /usr/share/perl5, /usr/local/lib/site_perl
 *   Fedora, EL9     /usr/local/{lib64,share}/perl5/5.*, vendor_perl, /usr/share/perl5
 *   EL8             /usr/local/{lib64,share}/perl5, vendor_perl, /usr/share/perl5
 *   FreeBSD         /usr/local/lib/perl5/site_perl[/mach/5.*]
 *   Alpine          /usr/local/lib/perl5/site_perl, /usr/local/share/perl5/site_perl,
 *                   /usr/lib/perl5/vendor_perl, /usr/share/perl5/vendor_perl
 *   Arch            /usr/lib/perl5/5.NN/site_perl, /usr/share/perl5/site_perl,
 *                   /usr/lib/perl5/5.NN/vendor_perl, /usr/share/perl5/vendor_perl
 *   openSUSE        /usr/lib/perl5/site_perl/5.*, /usr/lib/perl5/vendor_perl/5.*
 *   a perl built with the default prefix: /usr/local/lib/perl5/site_perl/5.*
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
	{ "/usr/local/lib/perl5/site_perl/mach/5.*",	PLACE_INC },
	{ "/usr/local/lib/perl5/site_perl",		PLACE_INC },
	{ "/usr/local/share/perl5/site_perl",		PLACE_INC },
	{ "/usr/local/lib/perl5/site_perl/5.*",		PLACE_INC },
	{ "/usr/lib/perl5/5.*/site_perl",		PLACE_INC },
	{ "/usr/share/perl5/site_perl",			PLACE_INC },
	{ "/usr/lib/perl5/site_perl/5.*",		PLACE_INC },
	{ "/usr/lib/perl5/site_perl",			PLACE_INC },
	{ "/usr/lib64/perl5/vendor_perl",		PLACE_INC },
	{ "/usr/lib/perl5/vendor_perl",			PLACE_INC },
	{ "/usr/lib/perl5/5.*/vendor_perl",		PLACE_INC },
	{ "/usr/lib/perl5/vendor_perl/5.*",		PLACE_INC },
	{ "/usr/share/perl5/vendor_perl",		PLACE_INC },
	{ "/usr/share/perl5",				PLACE_INC },
	{ "/usr/local/lib/site_perl",			PLACE_INC },
	{ "/perl5/lib/perl5",				PLACE_HOMES },
	{ "/perl5/perlbrew/perls/*/lib/site_perl/5.*",	PLACE_HOMES },
	{ "/.plenv/versions/*/lib/perl5/site_perl/5.*",	PLACE_HOMES },
	{ "/perls/*/lib/site_perl/5.*",			PLACE_PERLBREW },
	{ "/opt/perlbrew/perls/*/lib/site_perl/5.*",	0 },
};

#define DISCOVER_NPLACES \
    (sizeof(discover_places) / sizeof(discover_places[0]))

struct discover_seen {
	dev_t	dev;
	ino_t	ino;
	size_t	index;	/* in d->copies */
};

/* One search in progress; d is the caller's, the rest is scratch. */
struct discover_walk {
	struct discovery	*d;
	struct fsroot		*root;
	int			 first_only;	/* stop at the first hit */
	int			 again;		/* look in a directory even if searched before */
	long			 hit;		/* d->copies index the last discover_dir found, or -1 */
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
discover_strcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
discover_no_free(void *p)
{
	(void)p;	/* the strings belong to d->searched */
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
	struct stat st;
	size_t len;
	ssize_t n;
	int fd, is_env;

	*interp = NULL;
	*taint = 0;
	/* Read, never run: but a fifo on PATH must not block us either. */
	if ((fd = open(script, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
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
 * The first executable `name` on path_env inside the root, as a start
 * through PATH would find it there (absolute entries only); *out is its
 * path inside the root, or NULL. -1 only when out of memory.
 */
static int
discover_root_which(char **out, struct fsroot *root, const char *path_env, const char *name)
{
	struct buf b = BUF_INIT;
	struct fsloc loc;
	struct err ignored = ERR_INIT;
	const char *p, *end;
	size_t len;
	int found;

	*out = NULL;
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
		found = fsroot_locate(root, b.data, FS_FOLLOW | FS_ANY_OWNER, &loc, NULL,
		    &ignored) == 0 && S_ISREG(loc.st.st_mode) && (loc.st.st_mode & 0111) != 0;
		fsloc_release(&loc);
		if (found) {
			*out = buf_detach(&b, NULL);
			return *out == NULL ? -1 : 0;
		}
	}
	buf_release(&b);
	return 0;
}

/*
 * $0 of a start of `script` (found on PATH by discover_which, which joins
 * entry and name with a slash) through PATH, as bash forms it: an entry
 * that ends in a slash gets no second one. The caller frees.
 */
static char *
discover_argv0(const char *script)
{
	const char *slash = strrchr(script, '/');
	char *argv0;

	if ((argv0 = strdup(script)) == NULL || slash == NULL || slash == script ||
	    slash[-1] != '/')
		return argv0;
	memmove(argv0 + (slash - script), slash + 1, strlen(slash + 1) + 1);
	return argv0;
}

/*
 * Does Bucardo's script, started with argv0 as its $0, cut $progname down
 * to the last component? It does when $0 has a directory part that is, as
 * written, one of PATH's entries (Bucardo 5.6.0's `$progname =~
 * m{(.+)/(.+)}` compared with each `split /:/` of PATH). Its `-l
 * $progname` then looks for the bare name in the current directory.
 */
static int
discover_progname_cut(const char *argv0, const char *path_env)
{
	const char *slash = strrchr(argv0, '/'), *p, *end;
	size_t len;

	if (path_env == NULL || slash == NULL || slash == argv0 || slash[1] == '\0' ||
	    strchr(argv0, '\n') != NULL)
		return 0;
	len = (size_t)(slash - argv0);
	for (p = path_env; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchrnul(p, ':');
		if ((size_t)(end - p) == len && memcmp(p, argv0, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * The script at inner (a path inside the root, not followed) when it is a
 * symbolic link: *target as readlink(2) gives it (one level, as Bucardo's
 * readlink does), and *dir, dirname(target) inside the root, where
 * `unshift @INC, dirname(readlink $progname)` makes Bucardo look first.
 * Perl takes a relative dirname from the current directory, which is the
 * link's own directory only when Bucardo is started from there; it is
 * resolved against the link's directory here, the copy the link was made
 * to reach, so the answer does not change with where the tool runs. Both
 * NULL for a plain file; -1 only when out of memory.
 */
static int
discover_script_link(char **target, char **dir, struct fsroot *root, const char *inner)
{
	struct fsloc loc;
	struct err ignored = ERR_INIT;
	struct buf b = BUF_INIT;
	char link[PATH_MAX];
	const char *slash;
	ssize_t n;
	int rv = -1;

	*target = *dir = NULL;
	if (fsroot_locate(root, inner, FS_ANY_OWNER, &loc, NULL, &ignored) != 0 ||
	    !S_ISLNK(loc.st.st_mode) ||
	    (n = readlinkat(loc.dirfd, loc.name, link, sizeof(link))) <= 0 ||
	    (size_t)n >= sizeof(link)) {
		rv = 0;
		goto cleanup;
	}
	link[n] = '\0';
	if (link[0] != '/') {
		slash = strrchr(loc.inner, '/');
		if (buf_append(&b, loc.inner, (size_t)(slash - loc.inner)) == -1 ||
		    buf_puts(&b, "/") == -1)
			goto cleanup;
	}
	slash = strrchr(link, '/');
	if (slash == NULL) {
		if (buf_puts(&b, ".") == -1)
			goto cleanup;
	} else if (buf_append(&b, link, slash == link ? 1 : (size_t)(slash - link)) == -1)
		goto cleanup;
	if ((*target = strdup(link)) == NULL || (*dir = buf_detach(&b, NULL)) == NULL)
		goto cleanup;
	rv = 0;
cleanup:
	if (rv == -1) {
		free(*target);
		*target = NULL;
	}
	buf_release(&b);
	fsloc_release(&loc);
	return rv;
}

/*
 * The `our $VERSION = '...'` of the file at inner, looked for in its first
 * DISCOVER_VERSION_MAX bytes: opened through the root as a regular file
 * (never a fifo or a device, without blocking), judged unless flags say
 * FS_ANY_OWNER. NULL when there is none, or the file cannot be read or is
 * not trusted. Read, never run.
 */
static char *
discover_version(struct fsroot *root, const char *inner, unsigned flags)
{
	struct perl_source src;
	struct fsloc loc;
	struct err ignored = ERR_INIT;
	char *text = NULL, *version = NULL;
	size_t len = 0;
	ssize_t n;

	if (fsroot_locate(root, inner, FS_FOLLOW | FS_OPEN_FILE | flags, &loc, NULL,
	    &ignored) != 0 || (text = malloc(DISCOVER_VERSION_MAX)) == NULL)
		goto cleanup;
	while (len < DISCOVER_VERSION_MAX) {
		n = read(loc.fd, text + len, DISCOVER_VERSION_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (locate_source(&src, text, len) == 0)
		version = locate_version(&src);
	locate_source_release(&src);
cleanup:
	free(text);
	fsloc_release(&loc);
	return version;
}

/*
 * Whether dir was looked in already. A tree, not a scan of the list: a
 * user's home can make one wildcard match a great many directories (links
 * to links), and a scan per match made discovery quadratic in them.
 */
static int
discover_searched(const struct discovery *d, const char *dir)
{
	return tfind(dir, &d->searched_index, discover_strcmp) != NULL;
}

/* Record dir as looked in: in order in d->searched, and in the index. */
static int
discover_mark_searched(struct discovery *d, const char *dir)
{
	if (discover_strv_push(&d->searched, &d->nsearched, dir) == -1)
		return -1;
	if (tsearch(d->searched[d->nsearched - 1], &d->searched_index, discover_strcmp) == NULL)
		return -1;
	return 0;
}

/* Fill c (zeroed) for the file at loc, found as asked inside the root. */
static int
discover_fill(struct module_copy *c, const struct fsroot *root, const struct fsloc *loc,
    const char *asked, const struct trust_report *tr, const struct err *why)
{
	/*
	 * Reached through a way another user controls: shown by that way, since
	 * the file it leads to today is theirs to choose.
	 */
	if (tr != NULL ? asprintf(&c->path, "%s%s", root->host, asked) == -1 :
	    (c->path = strdup(loc->host)) == NULL) {
		c->path = NULL;
		return -1;
	}
	if ((c->inner = strdup(loc->inner)) == NULL || (c->asked = strdup(asked)) == NULL)
		return -1;
	if (tr != NULL) {
		c->untrusted = 1;
		c->fault_uid = tr->uid;
		if ((c->why = strdup(why->msg)) == NULL ||
		    (tr->path != NULL && (c->fault_path = strdup(tr->path)) == NULL))
			return -1;
	}
	return 0;
}

static void
discover_copy_release(struct module_copy *c)
{
	free(c->path);
	free(c->inner);
	free(c->asked);
	free(c->why);
	free(c->fault_path);
	memset(c, 0, sizeof(*c));
}

static int
discover_add(struct discover_walk *w, const struct fsloc *loc, const struct stat *st, int inc,
    const char *asked, const struct trust_report *tr, const struct err *why)
{
	struct discovery *d = w->d;
	struct discover_seen *ns;
	struct module_copy *nc, *c, better;
	size_t i;

	for (i = 0; i < w->nseen; i++) {
		if (w->seen[i].dev != st->st_dev || w->seen[i].ino != st->st_ino)
			continue;
		/*
		 * The same file found again. A way another user controls found
		 * first must not make root's own copy untrusted: a trusted way
		 * found later wins, unless the first is how Bucardo loads it.
		 */
		c = &d->copies[w->seen[i].index];
		w->hit = (long)w->seen[i].index;
		if (c->untrusted && tr == NULL && !c->active) {
			memset(&better, 0, sizeof(better));
			if (discover_fill(&better, w->root, loc, asked, NULL, why) == -1) {
				discover_copy_release(&better);
				return -1;
			}
			discover_copy_release(c);
			*c = better;
		}
		return 0;
	}
	if ((ns = reallocarray(w->seen, w->nseen + 1, sizeof(*ns))) == NULL)
		return -1;
	w->seen = ns;
	if ((nc = reallocarray(d->copies, d->ncopies + 1, sizeof(*nc))) == NULL)
		return -1;
	d->copies = nc;
	c = &d->copies[d->ncopies];
	memset(c, 0, sizeof(*c));
	if (discover_fill(c, w->root, loc, asked, tr, why) == -1)
		goto nomem;
	if (inc && d->active == NULL) {
		if ((d->active = strdup(loc->host)) == NULL)
			goto nomem;
		c->active = 1;
	}
	ns[w->nseen].dev = st->st_dev;
	ns[w->nseen].ino = st->st_ino;
	ns[w->nseen++].index = d->ncopies;
	w->hit = (long)d->ncopies++;
	return 0;
nomem:
	discover_copy_release(c);
	return -1;
}

/*
 * Look for Bucardo.pm in one directory, given inside the root. Found
 * through the root (links resolved inside it) without opening it; not
 * being there, for whatever reason, is not an error; only running out of
 * memory is.
 */
static int
discover_dir(struct discover_walk *w, const char *rel, int inc)
{
	struct buf dir = BUF_INIT, file = BUF_INIT;
	struct trust_report tr = TRUST_REPORT_INIT;
	struct fsloc loc = FSLOC_INIT;
	struct err e = ERR_INIT;
	size_t n;
	int rv = -1, found;

	w->hit = -1;
	if (w->first_only && w->d->active != NULL)
		return 0;
	n = strlen(rel);
	while (n > 1 && rel[n - 1] == '/')
		n--;
	if (buf_puts(&dir, w->root->host) == -1 || buf_append(&dir, rel, n) == -1 ||
	    buf_append(&file, rel, n) == -1 ||
	    buf_puts(&file, rel[n - 1] == '/' ? "" : "/") == -1 ||
	    buf_puts(&file, DISCOVER_MODULE) == -1)
		goto cleanup;
	rv = 0;
	if (discover_searched(w->d, dir.data)) {
		if (!w->again)
			goto cleanup;
	} else if ((rv = discover_mark_searched(w->d, dir.data)) == -1)
		goto cleanup;
	found = fsroot_locate(w->root, file.data, FS_FOLLOW | FS_CONTINUE, &loc, &tr, &e);
	if (found == -1) {
		rv = errno == ENOMEM ? -1 : 0;
		goto cleanup;
	}
	/* A fifo or a device named Bucardo.pm is no copy; an unreadable one is none of ours. */
	if (!S_ISREG(loc.st.st_mode) ||
	    faccessat(loc.dirfd, loc.name, R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) == -1)
		goto cleanup;
	rv = discover_add(w, &loc, &loc.st, inc, file.data, found == FSROOT_UNTRUSTED ? &tr : NULL,
	    &e);
cleanup:
	fsloc_release(&loc);
	trust_report_release(&tr);
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
 * pattern, below the root. glob(3) only names candidates: each is then
 * resolved inside the root by discover_dir, so a link the glob followed
 * out of the root leads nowhere. A pattern matching nothing is itself
 * recorded in d->searched, so "none found" can say where it looked.
 */
static int
discover_pattern(struct discover_walk *w, const char *prefix,
    const char *pattern, int inc)
{
	struct buf b = BUF_INIT;
	glob_t g;
	size_t i, rootlen = strlen(w->root->host);
	int rv = -1, rc;

	if (strpbrk(pattern, "*?[") == NULL) {
		if (buf_puts(&b, prefix) == -1 || buf_puts(&b, pattern) == -1)
			goto cleanup;
		rv = discover_dir(w, b.data, inc);
		goto cleanup;
	}
	if (discover_glob_escape(&b, w->root->host) == -1 ||
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
		if (buf_puts(&b, w->root->host) == -1 || buf_puts(&b, prefix) == -1 ||
		    buf_puts(&b, pattern) == -1)
			goto cleanup;
		rv = discover_searched(w->d, b.data) ? 0 : discover_mark_searched(w->d, b.data);
		goto cleanup;
	}
	qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv),
	    discover_cmp_newest);
	rv = 0;
	/* The newest DISCOVER_GLOB_MAX only, the rest named as not searched. */
	for (i = 0; i < g.gl_pathc && i < DISCOVER_GLOB_MAX && rv == 0; i++)
		rv = discover_dir(w, g.gl_pathv[i] + rootlen, inc);
	if (rv == 0 && g.gl_pathc > DISCOVER_GLOB_MAX) {
		buf_reset(&b);
		if (buf_printf(&b, "%s%s%s (%zu more matches not searched)", w->root->host, prefix,
		    pattern, g.gl_pathc - DISCOVER_GLOB_MAX) == -1 ||
		    discover_mark_searched(w->d, b.data) == -1)
			rv = -1;
	}
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
	struct fsloc loc;
	struct err ignored = ERR_INIT;
	int rhel = fsroot_locate(w->root, "/usr/share/perl5/vendor_perl", FS_FOLLOW | FS_ANY_OWNER,
	    &loc, NULL, &ignored) == 0 && S_ISDIR(loc.st.st_mode);

	fsloc_release(&loc);
	return rhel;
}

/*
 * One home-relative tree (suffix) below home, /root and every home in /home:
 * the homes of whoever may have installed Bucardo for themselves or for a
 * service user. A copy another user owns is reported, marked untrusted.
 */
static int
discover_homes(struct discover_walk *w, const char *home, const char *suffix)
{
	char *pattern;
	int rv;

	if (home != NULL && home[0] == '/' && discover_pattern(w, home, suffix, 0) == -1)
		return -1;
	if (discover_pattern(w, "/root", suffix, 0) == -1)
		return -1;
	if (asprintf(&pattern, "/home/*%s", suffix) == -1)
		return -1;
	rv = discover_pattern(w, "", pattern, 0);
	free(pattern);
	return rv;
}

/*
 * The standard places, in discover_places order. inc_known: @INC came
 * from perl itself, so none of these can make a copy active.
 */
static int
discover_places_walk(struct discover_walk *w, const struct discover_options *o, int inc_known)
{
	const struct discover_place *pl;
	size_t i;
	int rhel, inc;

	rhel = discover_rhel_layout(w);
	for (i = 0; i < DISCOVER_NPLACES; i++) {
		pl = &discover_places[i];
		if (w->first_only && w->d->active != NULL)
			break;
		if ((pl->flags & PLACE_NOT_RHEL) && rhel)
			continue;
		inc = !inc_known && (pl->flags & PLACE_INC);
		if (w->first_only && !inc)
			continue;
		if (pl->flags & PLACE_HOMES) {
			if (discover_homes(w, o->home, pl->pattern) == -1)
				return -1;
		} else if (pl->flags & PLACE_PERLBREW) {
			if (o->perlbrew_root != NULL && o->perlbrew_root[0] == '/' &&
			    discover_pattern(w, o->perlbrew_root, pl->pattern, 0) == -1)
				return -1;
		} else if (discover_pattern(w, "", pl->pattern, inc) == -1)
			return -1;
	}
	return 0;
}

/*
 * The directories of PERL5LIB (or PERLLIB when PERL5LIB is unset), which
 * perl puts before its own @INC (perlrun(1)). perl is not told them: it is
 * run with a clean environment, so they are walked here.
 */
static int
discover_perl_lib(struct discover_walk *w, const struct discover_options *o)
{
	const char *value = o->perl5lib != NULL ? o->perl5lib : o->perllib, *p, *end;
	char *dir;
	int rv = 0;

	if (value == NULL)
		return 0;
	for (p = value; *p != '\0' && rv == 0; p = *end == ':' ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p || *p != '/')
			continue;	/* relative: the current directory's, not Bucardo's */
		if ((dir = strndup(p, (size_t)(end - p))) == NULL)
			return -1;
		rv = discover_dir(w, dir, 1);
		free(dir);
	}
	return rv;
}

/*
 * The live system: ask perl, walk what it says (after first, the directory
 * of a linked script that Bucardo puts before @INC, when not NULL), then
 * the usual places.
 */
static int
discover_live(struct discover_walk *w, const struct discover_options *o,
    const char *path_env, const char *script, const char *first, struct err *e)
{
	struct buf inc = BUF_INIT;
	struct err why = ERR_INIT;
	char *perl = NULL, *p, *end;
	int taint = 0, inc_known = 0, rv = -1, asked;

	if ((script != NULL && discover_shebang(&perl, &taint, script, path_env) == -1) ||
	    (perl == NULL && discover_which(&perl, path_env, "perl") == -1))
		goto nomem;

	/*
	 * No perl, or one we may not run: Bucardo cannot be asked, but the
	 * copies are still worth reporting, ranked as a stock perl would rank
	 * them.
	 */
	if (perl != NULL) {
		asked = perl_ask_inc(o->host, perl, taint, &inc, &why);
		if (asked == -1) {
			err_set(e, NULL, "%s", why.msg);
			goto cleanup;
		}
		if (asked != 0) {
			if (asprintf(&w->d->warning, "%s; which copy Bucardo loads is guessed "
			    "from the usual @INC order", why.msg) == -1)
				w->d->warning = NULL;
		} else
			inc_known = 1;
	}
	if (first != NULL && discover_dir(w, first, 1) == -1)
		goto nomem;
	if (inc_known) {
		if (!taint && discover_perl_lib(w, o) == -1)
			goto nomem;
		for (p = inc.data, end = inc.data + inc.len;
		    p != NULL && p < end; p += strlen(p) + 1)
			if (p[0] == '/' && discover_dir(w, p, 1) == -1)
				goto nomem;
	}
	if (discover_places_walk(w, o, inc_known) == -1)
		goto nomem;
	rv = 0;
	goto cleanup;
nomem:
	err_sys(e, NULL, "discovering Bucardo.pm");
cleanup:
	free(perl);
	buf_release(&inc);
	return rv;
}

/*
 * The copy beside a linked script's target, when a start through PATH
 * does not load it: Bucardo loads it when started another way (from the
 * link's directory, or by a path whose directory is not on PATH). Recorded
 * in d->other, with the start in words, unless it is the active copy.
 */
static int
discover_other(struct discover_walk *w, const char *linkdir)
{
	struct discovery *d = w->d;
	const char *slash;
	char *where;
	int first_only = w->first_only, rv;

	w->first_only = 0;
	w->again = 1;
	rv = discover_dir(w, linkdir, 0);
	w->again = 0;
	w->first_only = first_only;
	if (rv == -1 || w->hit < 0 || d->copies[w->hit].active)
		return rv;
	slash = strrchr(d->script, '/');
	if ((where = strndup(d->script, slash == d->script ? 1 :
	    (size_t)(slash - d->script))) == NULL)
		return -1;
	/* A relative target is read from the current directory: right only from the link's. */
	rv = d->script_link[0] == '/' ?
	    asprintf(&d->other_start, "started from %s (where the link is), or by a path whose "
	    "directory is not on PATH", where) :
	    asprintf(&d->other_start, "started from %s (where the link is)", where);
	free(where);
	if (rv == -1) {
		d->other_start = NULL;
		return -1;
	}
	if ((d->other = strdup(d->copies[w->hit].path)) == NULL)
		return -1;
	return 0;
}

/*
 * The $VERSION of the script and of the active copy (only a trusted one is
 * read), and the other copy's.
 */
static void
discover_versions(struct discover_walk *w, const char *script)
{
	struct discovery *d = w->d;
	size_t i;

	if (script != NULL)
		d->script_version = discover_version(w->root, script, FS_ANY_OWNER);
	for (i = 0; i < d->ncopies; i++) {
		const struct module_copy *c = &d->copies[i];

		if (c->untrusted)
			continue;
		if (c->active && d->active_version == NULL)
			d->active_version = discover_version(w->root, c->asked, 0);
		if (d->other != NULL && d->other_version == NULL &&
		    strcmp(c->path, d->other) == 0)
			d->other_version = discover_version(w->root, c->asked, 0);
	}
}

/*
 * first_only: stop at the active copy. facts: also the script's and the
 * copies' versions, and the copy another start loads.
 */
static int
discover_collect(struct discovery *d, const struct discover_options *o,
    int first_only, int facts, struct err *e)
{
	struct discover_walk w = { d, o->root, first_only, 0, -1, NULL, 0 };
	const char *path_env;
	char *script = NULL, *argv0 = NULL, *linkdir = NULL;
	int live = o->root->host[0] == '\0', cut = 0, rv = -1;

	/*
	 * Under a root its own PATH is unknown: the standard one, inside it.
	 * Its script is read, never run.
	 */
	path_env = o->path_env != NULL && live ? o->path_env : DISCOVER_DEFAULT_PATH;
	if ((live ? discover_which(&script, path_env, DISCOVER_SCRIPT) :
	    discover_root_which(&script, o->root, path_env, DISCOVER_SCRIPT)) == -1)
		goto nomem;
	if (script != NULL) {
		if ((argv0 = discover_argv0(script)) == NULL ||
		    discover_script_link(&d->script_link, &linkdir, o->root, script) == -1)
			goto nomem;
		if (asprintf(&d->script, "%s%s", o->root->host, argv0) == -1) {
			d->script = NULL;
			goto nomem;
		}
		cut = discover_progname_cut(argv0, path_env);
	}
	/*
	 * Bucardo's `unshift @INC, dirname(readlink $progname)` when -l
	 * $progname: started through PATH, $progname is the bare name, and
	 * the link is not in the current directory (we assume), so @INC is
	 * left as it is; only an uncut $0 puts the link's directory first.
	 */
	if (live)
		rv = discover_live(&w, o, path_env, script, cut ? NULL : linkdir, e);
	else if ((linkdir != NULL && !cut && discover_dir(&w, linkdir, 1) == -1) ||
	    discover_places_walk(&w, o, 0) == -1)
		goto nomem;
	else
		rv = 0;
	if (rv == 0 && facts && linkdir != NULL && cut && discover_other(&w, linkdir) == -1)
		goto nomem;
	if (rv == 0 && facts)
		discover_versions(&w, script);
	goto cleanup;
nomem:
	rv = err_sys(e, o->root->host[0] != '\0' ? o->root->host : NULL,
	    "discovering Bucardo.pm");
cleanup:
	free(linkdir);
	free(argv0);
	free(script);
	free(w.seen);
	return rv;
}

int
discover_modules(struct discovery *d, const struct discover_options *o,
    struct err *e)
{
	return discover_collect(d, o, 0, 1, e);
}

int
discover_first(struct discovery *d, const struct discover_options *o, struct err *e)
{
	return discover_collect(d, o, 1, 1, e);
}

int
discover_active(char **active, const struct discover_options *o,
    struct err *e)
{
	struct discovery d = DISCOVERY_INIT;
	int rv;

	*active = NULL;
	if ((rv = discover_collect(&d, o, 1, 0, e)) == 0) {
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

	for (i = 0; i < d->ncopies; i++)
		discover_copy_release(&d->copies[i]);
	free(d->copies);
	tdestroy(d->searched_index, discover_no_free);
	d->searched_index = NULL;
	for (i = 0; i < d->nsearched; i++)
		free(d->searched[i]);
	free(d->searched);
	free(d->active);
	free(d->warning);
	free(d->script);
	free(d->script_link);
	free(d->script_version);
	free(d->active_version);
	free(d->other);
	free(d->other_start);
	free(d->other_version);
	*d = (struct discovery)DISCOVERY_INIT;
}

char *
discover_perl(const struct discover_options *o)
{
	const char *path_env;
	char *script = NULL, *perl = NULL;
	int taint;

	path_env = o->path_env != NULL ? o->path_env : DISCOVER_DEFAULT_PATH;
	if (o->root->host[0] == '\0' && discover_which(&script, path_env, DISCOVER_SCRIPT) == 0 &&
	    script != NULL)
		discover_shebang(&perl, &taint, script, path_env);
	free(script);
	if (perl == NULL)
		discover_which(&perl, path_env, "perl");
	return perl;
}
