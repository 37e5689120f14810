/* discover.h: finding every installed Bucardo.pm, and the one perl would load. */
#ifndef DISCOVER_H
#define DISCOVER_H

#include <stddef.h>
#include <sys/types.h>

#include "base/base.h"
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
	void			*searched_index;	/* tsearch(3) tree over searched */
	char			*active;	/* host path a start of `bucardo` through PATH
						   loads, or NULL */
	char			*warning;	/* why perl was not asked for @INC, or NULL */
	char			*script;	/* host path of the `bucardo` script a start
						   through PATH runs (links not resolved), or NULL */
	char			*script_link;	/* the script is a symbolic link: its target as
						   read, or NULL */
	char			*script_version;	/* the script's $VERSION, or NULL */
	char			*active_version;	/* the active copy's $VERSION; NULL when
						   unknown or the copy is untrusted */
	char			*other;		/* host path of the copy another start loads
						   (the script is a link and the copy beside its
						   target is not the active one), or NULL */
	char			*other_start;	/* that start, in words: "started from DIR ..." */
	char			*other_version;	/* the other copy's $VERSION, or NULL */
};

#define DISCOVERY_INIT { NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

struct discover_options {
	struct fsroot	*root;		/* where to search: / runs perl, --root DIR runs nothing */
	struct fsroot	*host;		/* where interpreters are found and judged */
	const char	*path_env;	/* PATH to find `bucardo` and `perl` in; NULL: a
					   standard one; relative entries skipped */
	const char	*home;		/* for local::lib (~/perl5), perlbrew and plenv
					   below it; NULL: none */
	const char	*perlbrew_root;	/* $PERLBREW_ROOT, for its perls; NULL: none */
	const char	*perl5lib;	/* PERL5LIB as Bucardo would see it, or NULL */
	const char	*perllib;	/* PERLLIB (used when PERL5LIB is unset), or NULL */
};

/*
 * Find the perl that would run Bucardo (the `#!` interpreter of `bucardo` on
 * PATH, else `perl`), ask it for @INC through perl_ask_inc (which runs it
 * only when it passes the trust rule, with a clean environment), put the
 * PERL5LIB or PERLLIB directories first as perl would (not under taint),
 * walk that list for Bucardo.pm without compiling it, then add the places
 * packages, CPAN, local::lib, perlbrew and plenv install into (their home
 * trees below o->home, /root and every home in /home). A perl that is not
 * trusted or not there is not asked: the copies are then ranked as a stock
 * perl ranks them, and d->warning says why. Under a root nothing is run:
 * the distributions' @INC order below the root decides which copy is
 * active, and the script is the first `bucardo` on the standard PATH
 * there.
 *
 * The active copy is the one a start of `bucardo` through PATH loads. The
 * script puts dirname(readlink $progname) before @INC when -l $progname,
 * but first cuts $progname = $0 down to its last component when $0's
 * directory is one of PATH's entries, so that a start through PATH tests
 * the bare name in the current directory (assumed not to hold the link).
 * When the script is a symbolic link and a start from the link's
 * directory, or by a path outside PATH, loads another copy (the one beside
 * the link's target), d->other names it and d->other_start says how it is
 * started. d->script_version, d->active_version and d->other_version hold
 * the $VERSION of the script and of those copies (read, never run), for
 * Bucardo's "Version mismatch" refusal.
 *
 * Every path is resolved inside the root (fsroot_locate); a copy that fails
 * the trust rule is still reported, marked untrusted, and never read.
 * Returns 0, or -1 when perl fails to list @INC (killed after
 * PERL_INC_TIMEOUT_MS) or memory runs out; d must be released either way.
 */
int	discover_modules(struct discovery *d, const struct discover_options *o,
	    struct err *e);

/*
 * As discover_modules, but stops at the active copy: d->copies holds the
 * copies found on the way there (and the other start's copy), and every
 * other field is filled as discover_modules fills it.
 */
int	discover_first(struct discovery *d, const struct discover_options *o, struct err *e);

/*
 * Only the active copy: what perl would load (same rules as above), as the
 * host sees it. *active is NULL when none would load. Cheaper than
 * discover_first: no versions are read.
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
