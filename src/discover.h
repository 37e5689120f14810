/* discover.h: finding every installed Bucardo.pm, and the one perl would load. */
#ifndef DISCOVER_H
#define DISCOVER_H

#include <stddef.h>

#include "errmsg.h"

struct module_copy {
	char	*path;		/* real path (symlinks resolved); each reported once */
	char	*found_as;	/* the first place it was found (may be a link) */
	int	 active;	/* the copy Bucardo's perl would load */
};

struct discovery {
	struct module_copy	*copies;	/* in @INC order first, then the rest */
	size_t			 ncopies;
	char			**searched;	/* every directory looked in, in order (a
						   wildcard matching none: the pattern) */
	size_t			 nsearched;
	char			*perl;		/* the interpreter asked; NULL under a root
						   or with no perl on PATH */
	char			*script;	/* the bucardo script found on PATH, or NULL
						   (always under a root) */
	char			*active;	/* real path perl would load, or NULL */
};

#define DISCOVERY_INIT { NULL, 0, NULL, 0, NULL, NULL, NULL }

struct discover_options {
	const char	*root;		/* NULL: the live system; else search below it, run nothing */
	const char	*path_env;	/* PATH to find `bucardo` and `perl` in; NULL: a
					   standard one; relative entries skipped */
	const char	*home;		/* for local::lib (~/perl5); NULL: none */
};

/*
 * Find the perl that would run Bucardo (the `#!` interpreter of `bucardo` on
 * PATH, else `perl`), ask it for @INC (respecting PERL5LIB as Bucardo would;
 * a bucardo script reached through a symlink puts the link target's
 * directory first), walk @INC for Bucardo.pm without compiling it, then add
 * the places packages and CPAN installs use. Under a root, nothing is run:
 * the usual Debian/RHEL @INC order below the root decides which is active,
 * and symlinks resolve as inside a chroot. Returns 0, or -1 when the root
 * is unusable or perl fails to list @INC (killed after 10 seconds); d must
 * be released either way.
 */
int	discover_modules(struct discovery *d, const struct discover_options *o,
	    struct err *e);

/*
 * Only the active copy: what perl would load (same rules as above). *active
 * is NULL when none would load. Cheaper than discover_modules.
 */
int	discover_active(char **active, const struct discover_options *o, struct err *e);

void	discovery_release(struct discovery *d);

/*
 * The perl that would run Bucardo, for `perl -c` (caller frees): absolute,
 * or NULL when there is none. Under a root, the host's perl on PATH, since
 * nothing from the root is run.
 */
char	*discover_perl(const struct discover_options *o);

#endif
