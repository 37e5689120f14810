/* cli.c: the command line: options, the command table, usage and dispatch. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "commands.h"
#include "options.h"
#include "rules.h"
#include "run.h"

struct command {
	const char	*name;
	int		(*run)(struct options *);
	const char	*args;
	const char	*summary;
	unsigned	 accepts;
};

static const struct command commands[] = {
	{ "status", cmd_status, "[--function NAME] [FILE ...]",
	    "show every Bucardo.pm, its version and state, and which one perl loads",
	    OPT_FUNCTION },
	{ "apply", cmd_apply,
	    "[--check] [--diff] [--function NAME] [--no-perl-check] [--detailed-exitcodes] "
	    "[--reapply] [FILE ...]",
	    "rewrite the session_replication_role statements (backing up the original)",
	    OPT_CHECK | OPT_DIFF | OPT_FUNCTION | OPT_NO_PERL_CHECK | OPT_DETAILED |
	    OPT_KEEP_PERL_ENV | OPT_REAPPLY },
	{ "revert", cmd_revert, "[--check] [--diff] [--force] [--detailed-exitcodes] [FILE ...]",
	    "put back the original from the backup store", OPT_CHECK | OPT_DIFF | OPT_FORCE |
	    OPT_DETAILED },
	{ "history", cmd_history, "[FILE]",
	    "list what the backup store holds: when, which file, which version, what was done", 0 },
	{ "check-db", cmd_check_db, "[--function NAME] [--bucardo-db CONNINFO] CONNINFO ...",
	    "check that a target database is ready for Bucardo with the patched module",
	    OPT_FUNCTION | OPT_BUCARDO_DB },
	{ "hook", cmd_hook, "install | remove | status",
	    "add or remove the apt hook that re-applies after every package operation", 0 },
};

static void
usage(FILE *to)
{
	size_t i;

	fprintf(to, "usage: %s [--root DIR] [--state-dir DIR] [--json] [-q] [-v] COMMAND [ARGS]\n",
	    PROGNAME);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "       %s %s %s\n", PROGNAME, commands[i].name, commands[i].args);
	fprintf(to, "\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(to, "\nglobal options:\n"
	    "  --root DIR        search below DIR instead of /; state in DIR/var/lib/bucardo-aiven\n"
	    "  --state-dir DIR   backup store (default %s)\n"
	    "  --pid-dir DIR     where Bucardo keeps its pid files (default %s)\n"
	    "  --rules DIR       rewrite rules from DIR instead of the built-in patches/\n"
	    "  --lock-timeout N  wait up to N seconds for another run (default 30)\n"
	    "  --json            one JSON document on stdout\n"
	    "  -q, --quiet       print nothing but errors\n"
	    "  -v, --verbose     show each statement found and how it is rewritten\n"
	    "  -h, --help        this text;  -V, --version  the version\n"
	    "\nSee bucardo-aiven(8).\n", DEFAULT_STATE_DIR, DEFAULT_PID_DIR);
}

static int
parse_timeout(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > 86400)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { LONG_ROOT = 256, LONG_STATE, LONG_PID, LONG_RULES, LONG_FUNCTION, LONG_CHECK,
		LONG_DIFF, LONG_NO_PERL, LONG_DETAILED, LONG_FORCE, LONG_JSON, LONG_LOCK,
		LONG_KEEP_ENV, LONG_BUCARDO_DB, LONG_REAPPLY };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, LONG_ROOT },
		{ "state-dir", required_argument, NULL, LONG_STATE },
		{ "pid-dir", required_argument, NULL, LONG_PID },
		{ "rules", required_argument, NULL, LONG_RULES },
		{ "lock-timeout", required_argument, NULL, LONG_LOCK },
		{ "function", required_argument, NULL, LONG_FUNCTION },
		{ "check", no_argument, NULL, LONG_CHECK },
		{ "diff", no_argument, NULL, LONG_DIFF },
		{ "no-perl-check", no_argument, NULL, LONG_NO_PERL },
		{ "keep-perl-env", no_argument, NULL, LONG_KEEP_ENV },
		{ "detailed-exitcodes", no_argument, NULL, LONG_DETAILED },
		{ "force", no_argument, NULL, LONG_FORCE },
		{ "bucardo-db", required_argument, NULL, LONG_BUCARDO_DB },
		{ "reapply", no_argument, NULL, LONG_REAPPLY },
		{ "json", no_argument, NULL, LONG_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o;
	const struct command *cmd = NULL;
	struct stat st;
	size_t i;
	int c;

	memset(&o, 0, sizeof(o));
	o.function = DEFAULT_FUNCTION;
	o.lock_timeout = 30;
	while ((c = getopt_long(argc, argv, "qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case LONG_ROOT: o.root = optarg; break;
		case LONG_STATE: o.state_dir = optarg; break;
		case LONG_PID: o.pid_dir = optarg; break;
		case LONG_RULES: o.rules_dir = optarg; break;
		case LONG_FUNCTION: o.function = optarg; o.seen |= OPT_FUNCTION; break;
		case LONG_CHECK: o.check = 1; o.seen |= OPT_CHECK; break;
		case LONG_DIFF: o.diff = 1; o.seen |= OPT_DIFF; break;
		case LONG_NO_PERL: o.no_perl_check = 1; o.seen |= OPT_NO_PERL_CHECK; break;
		case LONG_KEEP_ENV: o.keep_perl_env = 1; o.seen |= OPT_KEEP_PERL_ENV; break;
		case LONG_DETAILED: o.detailed_exitcodes = 1; o.seen |= OPT_DETAILED; break;
		case LONG_FORCE: o.force = 1; o.seen |= OPT_FORCE; break;
		case LONG_BUCARDO_DB: o.bucardo_db = optarg; o.seen |= OPT_BUCARDO_DB; break;
		case LONG_REAPPLY: o.reapply = 1; o.seen |= OPT_REAPPLY; break;
		case LONG_JSON: o.json = 1; break;
		case LONG_LOCK:
			if (parse_timeout(optarg, &o.lock_timeout) == -1) {
				run_complain("--lock-timeout: '%s' is not a number of seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("%s %s\n", PROGNAME, PACKAGE_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		run_complain("%s: unknown command; try --help", argv[optind]);
		return EXIT_USAGE;
	}
	if (o.seen & ~cmd->accepts) {
		run_complain("%s: an option given does not apply to this command; try --help", cmd->name);
		return EXIT_USAGE;
	}
	if (!rules_function_ok(o.function)) {
		run_complain("--function %s: not a plain SQL function name (schema.name, letters, "
		    "digits and _ only)", o.function);
		return EXIT_USAGE;
	}
	if (o.root != NULL) {
		if (stat(o.root, &st) == -1 || !S_ISDIR(st.st_mode)) {
			run_complain("%s: --root must be an existing directory", o.root);
			return EXIT_USAGE;
		}
		if (strcmp(o.root, "/") == 0)
			o.root = NULL;
		else if (realpath(o.root, o.root_real) == NULL) {
			run_complain("%s: --root cannot be resolved", o.root);
			return EXIT_USAGE;
		}
	}
	if (o.state_dir == NULL) {
		snprintf(o.state_buf, sizeof(o.state_buf), "%s%s", o.root ? o.root : "",
		    DEFAULT_STATE_DIR);
		o.state_dir = o.state_buf;
	}
	if (o.pid_dir == NULL) {
		snprintf(o.pid_buf, sizeof(o.pid_buf), "%s%s", o.root ? o.root : "", DEFAULT_PID_DIR);
		o.pid_dir = o.pid_buf;
	}
	o.files = argv + optind + 1;
	o.nfiles = argc - optind - 1;
	return cmd->run(&o);
}
