/* verify.h: asking perl whether a file compiles (perl -c), run the way child.h runs children. */
#ifndef VERIFY_H
#define VERIFY_H

#include "base/base.h"
#include "fsroot.h"
#include "child.h"

/* What verify_perl_start and verify_perl_finish return besides -1: four distinct values. */
enum perl_verdict {
	PERL_STARTED = 0,	/* verify_perl_start: perl runs; finish gives the verdict */
	PERL_COMPILES = 1,	/* "syntax OK" */
	PERL_FAILS,		/* perl ran and rejected the file */
	PERL_NOT_RUN		/* perl was not run: missing, not trusted, or what it
				   would load is not trusted; the message says which */
};

/*
 * Whether perl may compile anything as root, decided once per run: `perl -c`
 * runs the BEGIN blocks of the file and of every module it uses, so the
 * interpreter and everything below every directory of its @INC must pass
 * the trust rule (perl_inc_trusted). perl_path is absolute, or a name
 * looked up in CHILD_PATH. With keep_perl_env, PERL5LIB and PERLLIB are
 * passed on too, when every directory they name is absolute and trusted,
 * whole; nothing else of the environment is (child.h).
 */
struct perl_vouch {
	int		 verdict;	/* 0: may run; PERL_NOT_RUN (why says so); -1: error */
	struct err	 why;
	char		*perl;		/* the interpreter, absolute */
	char		*env[3];	/* PERL5LIB=..., PERLLIB=..., NULL */
};

#define PERL_VOUCH_INIT { -1, ERR_INIT, NULL, { NULL, NULL, NULL } }

/*
 * Fill v (a fresh PERL_VOUCH_INIT, released with verify_vouch_release).
 * Safe to run in its own thread with its own host fsroot: it only reads
 * the file system and runs perl to list @INC. Returns v->verdict.
 */
int	verify_perl_vouch(struct perl_vouch *v, struct fsroot *host, const char *perl_path,
	    int keep_perl_env);
void	verify_vouch_release(struct perl_vouch *v);

/*
 * `perl -c` in two halves, so that the caller can back the original up
 * while perl compiles: start returns PERL_STARTED once perl runs,
 * PERL_NOT_RUN (e set: the vouch said no, or perl could not start), or -1
 * (e set). timeout_sec bounds the whole run. run is the caller's to end
 * with verify_perl_finish or verify_perl_abort.
 *
 * perl compiles what fd reads (the caller's, open for reading at offset 0,
 * e.g. from atomic_reopen; it may be closed once start returns): the file
 * that was judged, never a path that another user could make name another
 * file meanwhile. perl takes it as /dev/fd/3, which it opens itself
 * (perlrun(1): no /proc needed); file is the name messages give it.
 */
struct perl_run {
	struct child	 sp;
	int		 running;
};

#define PERL_RUN_INIT { CHILD_INIT, 0 }

int	verify_perl_start(struct perl_run *run, struct fsroot *host, const struct perl_vouch *v,
	    int fd, unsigned timeout_sec, struct err *e);

/*
 * The verdict of a started run: PERL_COMPILES or PERL_FAILS, with perl's
 * stderr appended to diag (may be NULL; the first 8 KiB kept; /dev/fd/3
 * there replaced by file), or -1 (e set; a timeout included, perl then
 * killed and reaped).
 */
int	verify_perl_finish(struct perl_run *run, const char *file, struct buf *diag,
	    struct err *e);

/* Kill and reap a started perl, if any; safe after finish, and twice. */
void	verify_perl_abort(struct perl_run *run);

/*
 * vouch, start on file (opened here, a regular file, no link followed),
 * then finish: the verdict, PERL_NOT_RUN, or -1.
 */
int	verify_perl_compiles(struct fsroot *host, const char *perl_path, const char *file,
	    int keep_perl_env, unsigned timeout_sec, struct buf *diag, struct err *e);

#endif
