/* options.h: the command line as the commands see it: options, option flags, exit statuses. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <limits.h>

#define PROGNAME		"bucardo-aiven"
#define DEFAULT_FUNCTION	"aiven_extras.session_replication_role"

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_CHANGED = 2,	/* --detailed-exitcodes, something (would have) changed */
	EXIT_NOT_PATCHED = 3,	/* status: a copy is not patched */
	EXIT_NONE_FOUND = 4,	/* status: no copy found */
	EXIT_USAGE = 64		/* EX_USAGE */
};

/* Options that only some commands take; the table says which. */
enum {
	OPT_CHECK = 1 << 0,
	OPT_DIFF = 1 << 1,
	OPT_FUNCTION = 1 << 2,
	OPT_NO_PERL_CHECK = 1 << 3,
	OPT_DETAILED = 1 << 4,
	OPT_FORCE = 1 << 5,
	OPT_KEEP_PERL_ENV = 1 << 6,
	OPT_BUCARDO_DB = 1 << 7,
	OPT_REAPPLY = 1 << 8
};

struct options {
	const char	*root;
	const char	*state_dir;
	const char	*pid_dir;
	const char	*rules_dir;
	const char	*function;
	const char	*bucardo_db;
	int		 json;
	int		 quiet;
	int		 verbose;
	int		 check;
	int		 diff;
	int		 no_perl_check;
	int		 detailed_exitcodes;
	int		 force;
	int		 keep_perl_env;
	int		 reapply;
	unsigned	 lock_timeout;
	unsigned	 seen;		/* OPT_* given on the command line */
	char		**files;
	int		 nfiles;
	char		 root_real[PATH_MAX];	/* realpath of root, "" without one */
	char		 state_buf[PATH_MAX];
	char		 pid_buf[PATH_MAX];
};

#endif
