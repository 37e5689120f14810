/* verify.h: asking perl whether a file compiles (perl -c), without a shell. */
#ifndef VERIFY_H
#define VERIFY_H

#include "buf.h"
#include "err.h"

enum perl_verdict {
	PERL_COMPILES,		/* "syntax OK" */
	PERL_FAILS,		/* perl ran and rejected the file */
	PERL_NOT_RUN		/* perl could not be started (missing, not executable) */
};

/*
 * Run `PERL -c FILE` by execve with an argument vector, stdin from /dev/null,
 * an environment cleaned of PERL5OPT, PERL5LIB, PERLLIB and PERL5DB unless
 * keep_perl_env is set, and a time limit of timeout_sec. Perl's stderr (its
 * diagnostics) is collected into diag, capped at a few KiB.
 * Returns the verdict, or -1 (with e set) when something else failed.
 */
int	verify_perl_compiles(const char *perl, const char *file, int keep_perl_env,
	    unsigned timeout_sec, struct buf *diag, struct err *e);

#endif
