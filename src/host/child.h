/* child.h: running a child process as root: only a trusted program, a clean environment, a deadline. */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>

#include "base/base.h"
#include "fsroot.h"

/*
 * The environment every child gets, whatever the tool's own: perl reads
 * PERL5OPT, PERL5LIB, PERLLIB, PERL5DB, PERL_USE_UNSAFE_INC and more
 * (perlrun(1), ENVIRONMENT), and the dynamic linker LD_PRELOAD and
 * LD_LIBRARY_PATH (ld.so(8)); any of them would make the child load code
 * from wherever it points. Callers add entries only through extra_env.
 */
#define CHILD_PATH	"/usr/sbin:/usr/bin:/sbin:/bin"

/* The descriptor a child reads child_cmd.input on: its path is "/dev/fd/3". */
#define CHILD_INPUT_FD	3

struct child_cmd {
	const char	*const *argv;		/* argv[0]: absolute path of the program */
	int		 input;			/* -1, or a descriptor the child gets as
						   CHILD_INPUT_FD (the caller keeps its own) */
	const char	*const *extra_env;	/* "NAME=value" entries to add, or NULL */
	unsigned	 timeout_ms;		/* from the start; the child is killed after it */
	int		 capture_stdout;	/* 0: stdout goes to /dev/null */
};

/* No argument, no input, no extra environment, no deadline yet. */
#define CHILD_CMD_INIT { NULL, -1, NULL, 0, 0 }

/* A child started by child_start and not yet reaped. */
struct child {
	pid_t		 pid;		/* also its process group */
	int		 out;		/* its stdout, -1 when not captured or closed */
	int		 err;		/* its stderr, -1 once closed */
	long long	 deadline;	/* CLOCK_MONOTONIC, milliseconds */
	unsigned	 timeout_ms;
	char		*program;	/* argv[0], for messages */
};

#define CHILD_INIT { -1, -1, -1, 0, 0, NULL }

/* child_start's result when the program fails the trust rule: it was not run. */
#define CHILD_UNTRUSTED	1
/* child_start's result when the program is missing or cannot be executed. */
#define CHILD_NOT_RUN	2

/*
 * Start argv[0] with the other arguments, no shell. The program is found
 * from host's root with the trust rule (fsroot_locate), must be an ELF
 * executable (a #! script would run an interpreter nobody checked), and is
 * executed through the descriptor that was checked (fexecve(3)). The child
 * gets stdin from /dev/null, the current directory /, no descriptor but
 * 0-2 (and cmd->input as CHILD_INPUT_FD), its own process group, and only PATH=CHILD_PATH, LC_ALL=C and
 * extra_env. Returns 0 when it runs; CHILD_UNTRUSTED or CHILD_NOT_RUN
 * (nothing runs; e says why); -1 on other failures. sp is the caller's to
 * end with child_finish or child_abort.
 */
int	child_start(struct child *sp, struct fsroot *host, const struct child_cmd *cmd,
	    struct err *e);

/*
 * Wait for the child: its stdout into out (at most out_limit bytes, more
 * is an error: EFBIG), the first err_keep bytes of its stderr into errout
 * (either may be NULL to drop), then its exit status into *status. At the
 * deadline the whole process group is killed and reaped, and -1 returned
 * with e saying so; also -1 on other failures. Returns 0 otherwise.
 */
int	child_finish(struct child *sp, struct buf *out, size_t out_limit, struct buf *errout,
	    size_t err_keep, int *status, struct err *e);

/* Kill the child's process group and reap it, if any; safe to call twice. */
void	child_abort(struct child *sp);

#endif
