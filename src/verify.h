/* verify.h: asking perl whether a file compiles (perl -c), without a shell. */
#ifndef VERIFY_H
#define VERIFY_H

#include <sys/types.h>

#include "buf.h"
#include "errmsg.h"

enum perl_verdict {
	PERL_COMPILES,		/* "syntax OK" */
	PERL_FAILS,		/* perl ran and rejected the file */
	PERL_NOT_RUN		/* perl could not be started (missing, not executable) */
};

/*
 * Run `PERL -c FILE` by execve with an argument vector (PERL is looked up in
 * PATH unless it contains a slash), stdin and stdout on /dev/null, an
 * environment cleaned of PERL5OPT, PERL5LIB, PERLLIB, PERL5DB and
 * PERL5DB_THREADED unless keep_perl_env is set, and a time limit of
 * timeout_sec (0: none). Perl's stderr (its diagnostics) is appended to diag
 * (may be NULL), capped at 8 KiB; the rest is read and dropped.
 * Returns the verdict; PERL_NOT_RUN also sets e. Returns -1 (with e set) when
 * something else failed, a timeout included; perl is then killed and reaped.
 */
int	verify_perl_compiles(const char *perl, const char *file, int keep_perl_env,
	    unsigned timeout_sec, struct buf *diag, struct err *e);

/*
 * The same check in two halves, so that the caller can do other work (the
 * backup) while perl compiles: start returns 0 once perl runs (or
 * PERL_NOT_RUN, or -1); finish waits for the verdict, as
 * verify_perl_compiles returns it. abort kills and reaps a started perl;
 * finish and abort may both be called, in any order.
 */
struct perl_run {
	pid_t		 pid;
	int		 errfd;
	long long	 deadline;
	unsigned	 timeout_sec;
};

#define PERL_RUN_INIT { -1, -1, -1, 0 }

int	verify_perl_start(struct perl_run *run, const char *perl, const char *file,
	    int keep_perl_env, unsigned timeout_sec, struct err *e);
int	verify_perl_finish(struct perl_run *run, const char *file, struct buf *diag,
	    struct err *e);
void	verify_perl_abort(struct perl_run *run);

#endif
