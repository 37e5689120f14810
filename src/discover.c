/* discover.c: every installed Bucardo.pm, and the one perl would load. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "discover.h"
#include "perl.h"
#include "child.h"

#define DISCOVER_MODULE		"Bucardo.pm"
#define DISCOVER_SCRIPT		"bucardo"
#define DISCOVER_DEFAULT_PATH	\
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DISCOVER_SHEBANG_MAX	256	/* Linux reads this much of #! */

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
	size_t	index;	/* in d->copies */
};

/* One search in progress; d is the caller's, the rest is scratch. */
struct discover_walk {
	struct discovery	*d;
	struct fsroot		*root;
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

static int
discover_searched(const struct discovery *d, const char *dir)
{
	size_t i;

	for (i = 0; i < d->nsearched; i++)
		if (strcmp(d->searched[i], dir) == 0)
			return 1;
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
	d->ncopies++;
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
	if (discover_searched(w->d, dir.data))
		goto cleanup;
	if ((rv = discover_strv_push(&w->d->searched, &w->d->nsearched, dir.data)) == -1)
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
	struct fsloc loc;
	struct err ignored = ERR_INIT;
	int rhel = fsroot_locate(w->root, "/usr/share/perl5/vendor_perl", FS_FOLLOW | FS_ANY_OWNER,
	    &loc, NULL, &ignored) == 0 && S_ISDIR(loc.st.st_mode);

	fsloc_release(&loc);
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
	int rhel, inc, live = w->root->host[0] == '\0';

	rhel = discover_rhel_layout(w);
	for (i = 0; i < DISCOVER_NPLACES; i++) {
		pl = &discover_places[i];
		if (w->first_only && w->d->active != NULL)
			break;
		if ((pl->flags & PLACE_ROOT) && live)
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

/* The live system: ask perl, walk what it says, then the usual places. */
static int
discover_live(struct discover_walk *w, const struct discover_options *o,
    const char *path_env, struct err *e)
{
	struct buf inc = BUF_INIT;
	struct err why = ERR_INIT;
	char *script = NULL, *perl = NULL, *linkdir = NULL, *p, *end;
	int taint = 0, inc_known = 0, rv = -1, asked;

	if (discover_which(&script, path_env, DISCOVER_SCRIPT) == -1 ||
	    (script != NULL && discover_shebang(&perl, &taint, script, path_env) == -1) ||
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
	if (inc_known) {
		if (script != NULL && discover_link_dir(&linkdir, script) == -1)
			goto nomem;
		if (linkdir != NULL && discover_dir(w, linkdir, 1) == -1)
			goto nomem;
		if (!taint && discover_perl_lib(w, o) == -1)
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
	free(perl);
	free(script);
	buf_release(&inc);
	return rv;
}

static int
discover_collect(struct discovery *d, const struct discover_options *o,
    int first_only, struct err *e)
{
	struct discover_walk w = { d, o->root, first_only, NULL, 0 };
	const char *path_env;
	int rv;

	path_env = o->path_env != NULL ? o->path_env : DISCOVER_DEFAULT_PATH;
	if (o->root->host[0] == '\0')
		rv = discover_live(&w, o, path_env, e);
	else if ((rv = discover_places_walk(&w, o->home, 0)) == -1)
		err_sys(e, o->root->host, "discovering Bucardo.pm");
	free(w.seen);
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

	for (i = 0; i < d->ncopies; i++)
		discover_copy_release(&d->copies[i]);
	free(d->copies);
	for (i = 0; i < d->nsearched; i++)
		free(d->searched[i]);
	free(d->searched);
	free(d->active);
	free(d->warning);
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
