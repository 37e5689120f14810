/* perl.h: the perl that runs Bucardo: finding it, asking it for @INC, vouching for what it loads. */
#ifndef PERL_H
#define PERL_H

#include "base/base.h"
#include "fsroot.h"

/* How long perl may take to list @INC (it loads nothing). */
#define PERL_INC_TIMEOUT_MS	10000

/*
 * Ask perl (an absolute path) for its @INC, as NUL-terminated entries
 * appended to inc. Run through child.c (trusted program, clean environment:
 * PERL5LIB and the like never reach it, see child.h) with -f, so that no
 * sitecustomize.pl runs either, and with -T or -t when taint is 'T' or 't'
 * (a #! line that turns on taint mode changes @INC). The script loads no
 * module. Returns 0; CHILD_UNTRUSTED or CHILD_NOT_RUN when perl was not
 * run (e says why); -1 when it failed or gave no answer within
 * PERL_INC_TIMEOUT_MS (it is then killed).
 */
int	perl_ask_inc(struct fsroot *host, const char *perl, int taint, struct buf *inc,
	    struct err *e);

/*
 * Could anybody but root (or the invoking user) change what perl loads
 * from dir? Judges the way to dir and everything below it, links followed
 * (fsroot_judge_tree): perl opens Foo/Bar.pm, its .so and its arch and
 * version subdirectories below each @INC entry. A directory that does not
 * exist is judged by the way to its nearest existing parent, since whoever
 * can write that can create it. Returns 0 when trusted, FSROOT_UNTRUSTED
 * with e saying which file or directory and why, -1 on error.
 */
int	perl_dir_trusted(struct fsroot *host, const char *dir, struct err *e);

/*
 * perl_dir_trusted for every absolute entry of inc (as perl_ask_inc gives
 * it): what `perl -c` would load a module from. Returns as it does, for
 * the first entry that fails.
 */
int	perl_inc_trusted(struct fsroot *host, const struct buf *inc, struct err *e);

/*
 * An absolute path for name: itself when it holds a slash, else the first
 * executable regular file of that name in CHILD_PATH. NULL when there is
 * none or memory runs out; the caller frees.
 */
char	*perl_find(const char *name);

#endif
