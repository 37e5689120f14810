/* discover.h: finding every installed Bucardo.pm, and the one perl would load. */
#ifndef DISCOVER_H
#define DISCOVER_H

#include <stddef.h>
#include <sys/types.h>

#include "errmsg.h"
#include "fsroot.h"

struct module_copy {
	char	*path;		/* as the host sees it, links resolved; each file reported
				   once (an untrusted one by the way it was found) */
	char	*inner;		/* the file inside the root, links resolved */
	char	*asked;		/* the way it was found inside the root (DIR/Bucardo.pm):
				   what is judged by the trust rule, and opened */
	int	 active;	/* the copy Bucardo's perl would load */
	int	 untrusted;	/* fails the trust rule: never compiled, run or written */
	char	*why;		/* untrusted: the reason, "PATH: not trusted: ..." */
	char	*fault_path;	/* untrusted: the first component that fails */
	uid_t	 fault_uid;	/* ... and its owner */
};

struct discovery {
	struct module_copy	*copies;	/* in @INC order first, then the rest */
	size_t			 ncopies;
	char			**searched;	/* every directory looked in, in order (a
						   wildcard matching none: the pattern) */
	size_t			 nsearched;
	char			*active;	/* host path perl would load, or NULL */
	char			*warning;	/* why perl was not asked for @INC, or NULL */
};

#define DISCOVERY_INIT { NULL, 0, NULL, 0, NULL, NULL }

struct discover_options {
	struct fsroot	*root;		/* where to search: / runs perl, --root DIR runs nothing */
	struct fsroot	*host;		/* where interpreters are found and judged */
	const char	*path_env;	/* PATH to find `bucardo` and `perl` in; NULL: a
					   standard one; relative entries skipped */
	const char	*home;		/* for local::lib (~/perl5); NULL: none */
	const char	*perl5lib;	/* PERL5LIB as Bucardo would see it, or NULL */
	const char	*perllib;	/* PERLLIB (used when PERL5LIB is unset), or NULL */
};

/*
 * Find the perl that would run Bucardo (the `#!` interpreter of `bucardo` on
 * PATH, else `perl`), ask it for @INC through perl_ask_inc (which runs it
 * only when it passes the trust rule, with a clean environment), put the
 * PERL5LIB or PERLLIB directories first as perl would (not under taint), and
 * the directory of a symlinked bucardo script before them, as its own code
 * does; walk that list for Bucardo.pm without compiling it, then add the
 * places packages and CPAN installs use. A perl that is not trusted or not
 * there is not asked: the copies are then ranked as a stock perl ranks them,
 * and d->warning says why. Under a root nothing is run: the usual
 * Debian/RHEL @INC order below the root decides which copy is active. Every
 * path is resolved inside the root (fsroot_locate); a copy that fails the
 * trust rule is still reported, marked untrusted. Returns 0, or -1 when perl
 * fails to list @INC (killed after PERL_INC_TIMEOUT_MS) or memory runs out;
 * d must be released either way.
 */
int	discover_modules(struct discovery *d, const struct discover_options *o,
	    struct err *e);

/*
 * Only the active copy: what perl would load (same rules as above), as the
 * host sees it. *active is NULL when none would load. Cheaper than
 * discover_modules.
 */
int	discover_active(char **active, const struct discover_options *o, struct err *e);

void	discovery_release(struct discovery *d);

/*
 * The perl that would run Bucardo, for `perl -c` (caller frees): absolute,
 * or NULL when there is none. Under a root, the host's perl on PATH, since
 * nothing from the root is run. Not judged here: verify.c judges it.
 */
char	*discover_perl(const struct discover_options *o);

#endif
