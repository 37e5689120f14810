/* options.h: the command line as the commands see it: options, option flags, exit statuses. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <limits.h>

#include "host/host.h"
#include "engine/engine.h"

#define PROGNAME		"bucardo-aiven"
#define DEFAULT_FUNCTION	"aiven_extras.session_replication_role"

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_CHANGED = 2,	/* --detailed-exitcodes, something (would have) changed */
	EXIT_NOT_PATCHED = 3,	/* status: a copy is not patched */
	EXIT_NONE_FOUND = 4,	/* status: no copy found */
	EXIT_USAGE = 64,	/* EX_USAGE */
	/* With --detailed-exitcodes, Puppet's codes (puppet agent --detailed-exitcodes): */
	EXIT_DETAILED_FAILED = 4,		/* something failed, nothing changed */
	EXIT_DETAILED_CHANGED_FAILED = 6	/* something changed, something else failed */
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
	OPT_REAPPLY = 1 << 8,
	OPT_BINARY = 1 << 9,
	OPT_FORM = 1 << 10,
	OPT_MODULE = 1 << 11,
	OPT_MODULE_STATE = 1 << 12
};

struct options {
	const char	*root;
	const char	*state_dir;
	const char	*pid_dir;
	const char	*rules_dir;
	const char	*function;
	const char	*bucardo_db;
	const char	*binary;	/* hook install --binary */
	const char	*module;	/* check-db --module: the Bucardo.pm another host runs */
	const char	*module_state;	/* check-db --module-state STATE[:LAYOUT] */
	enum rule_form	 form;		/* apply --form; RULE_FORMS: each layout's own */
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
	/*
	 * Every path is found from one of these (fsroot.h): the root the tool
	 * works on, and the host's own / for what the administrator names on
	 * the command line (--state-dir, --pid-dir, --rules) and for the perl
	 * that is run. Without --root they are the same.
	 */
	struct fsroot	*fs;		/* / or --root DIR */
	struct fsroot	*host;
	struct fsroot	*state_fs;	/* fs (the default) or host (--state-dir) */
	char		*state_inner;	/* the state directory inside state_fs */
	struct fsroot	*pid_fs;	/* fs (the default) or host (--pid-dir) */
	char		*pid_inner;
	char		*state_buf;	/* state_dir and pid_dir as the host sees them */
	char		*pid_buf;
};

#endif
